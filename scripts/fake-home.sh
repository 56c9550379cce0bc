# Sourced by the chat screenshots: fills $home with what a user's disk would hold — two
# shape-only DeepSeek GGUFs (LM Studio's folder and ~/models, one in the legacy MLA layout) and
# the tiny random-weight test model at $home/models/tiny-chat.gguf — from $bindir's examples.
"$bindir/examples/fake_home" "$home/fake" >/dev/null
mkdir -p "$home/.lmstudio/models/lmstudio-community" "$home/models"
mv "$home/fake/DeepSeek-R1-Distill-Qwen-7B-Q4_K_M.gguf" "$home/.lmstudio/models/lmstudio-community/"
mv "$home/fake/DeepSeek-V2-Lite-Chat.Q4_K_M.gguf" "$home/models/"
rm -rf "$home/fake"
"$bindir/examples/tiny_model" "$home/models/tiny-chat.gguf" >/dev/null
