# Sourced by the window scripts: starts a private Xvfb display (size in $XVFB_SCREEN), exports
# DISPLAY and a runtime dir, and stops the display when the script exits.
XVFB_SCREEN=${XVFB_SCREEN:-1600x1000x24}
display=:$((70 + RANDOM % 29))
Xvfb "$display" -screen 0 "$XVFB_SCREEN" -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
trap 'kill $xvfb_pid 2>/dev/null || true' EXIT
sleep 1
export DISPLAY=$display XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)}
