//! Entry points for coverage-guided fuzzing (`make fuzz`, the `fuzz/` crate) and for replaying
//! what it found (`tests/fuzz_regressions.rs`): one function per reader of outside input, each
//! taking arbitrary bytes. None may panic, hang or allocate far beyond its input; each bound it
//! relies on is the reader's own (file length, fuel, output cap), not something added here.
//! Compiled only with the `fuzzing` feature.

pub mod hostile;

use crate::estimate::placement::DEFAULT_CTX_TOKENS;
use crate::gguf::read::GgufHeader;
use crate::gguf::source::{BytesSource, RangeSource};
use crate::local::GgufInfo;

/// A fuzz target: arbitrary bytes in, nothing out; it must not panic.
pub type Target = fn(&[u8]);

/// The targets by name, as `make fuzz` and the regression test list them.
pub const TARGETS: &[(&str, Target)] = &[
    ("gguf_header", gguf_header),
    ("split_names", split_names),
    ("ollama_manifest", ollama_manifest),
    ("catalog_ron", catalog_ron),
    ("conversation_ron", conversation_ron),
    ("chat_template", chat_template),
    ("assume_spec", assume_spec),
    ("server_spec", server_spec),
    ("hub_listing", hub_listing),
    ("think_split", think_split),
    ("server_stream", server_stream),
    ("server_models", server_models),
];

/// A GGUF header read from the bytes (whole, and by ranges of a size the first byte picks), then
/// described and estimated as "On this PC" and "Get a GGUF" do.
pub fn gguf_header(data: &[u8]) {
    let whole = GgufHeader::read_from(BytesSource(data));
    let first_guess = u64::from(data.first().copied().unwrap_or(1)).max(1);
    let mut ranges = RangeSource::new(data.len() as u64, first_guess, |r| {
        let (s, e) = (r.start as usize, r.end as usize);
        Ok(data[s.min(data.len())..e.min(data.len())].to_vec())
    });
    let ranged = GgufHeader::read_from(&mut ranges);
    assert_eq!(whole, ranged, "two sources of the same bytes disagree");
    if let Ok(header) = whole {
        if let Some(info) = GgufInfo::from_headers(&[header]) {
            let hw = crate::hardware::assume::parse_assume("24GiB GPU @1008GB/s, 64GiB RAM")
                .unwrap_or_else(|_| crate::hardware::HardwareSnapshot::unknown());
            let _ = info.estimate(DEFAULT_CTX_TOKENS, &hw);
            let _ = info.quant_label();
            let _ = info.arch_problem();
        }
    }
}

/// File names as split parts (`name-00001-of-00003.gguf`) and their siblings.
pub fn split_names(data: &[u8]) {
    let name = String::from_utf8_lossy(data);
    if let Some((stem, no, total)) = crate::gguf::names::split_part(&name) {
        assert!(no >= 1 && no <= total && name.starts_with(stem));
        if total <= 64 {
            let parts = crate::gguf::names::model_parts(std::path::Path::new(name.as_ref()));
            assert_eq!(parts.len() as u32, total);
        }
    }
}

/// An Ollama manifest: its weights layer's digest and the blob it names.
pub fn ollama_manifest(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Some(digest) = crate::local::scan::model_digest(&text) {
        if let Ok(file) = crate::local::scan::blob_file_name(&digest) {
            assert!(!file.contains('/') && !file.contains(".."), "{file}");
        }
    }
}

/// A user catalog file, parsed and each entry validated.
pub fn catalog_ron(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(file) = crate::catalog::load::parse_catalog(&text, "fuzz.ron") {
        for m in &file.models {
            let _ = crate::catalog::validate::validate_model(m);
        }
    }
}

/// A conversation file as the store reads it.
pub fn conversation_ron(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(c) = ron::from_str::<crate::chat::Conversation>(&text) {
        let _ = crate::chat::export::to_markdown(&c);
    }
}

/// A chat template (the bytes before the first NUL) rendered for a short conversation whose
/// messages are the rest: bounded by fuel, recursion and output size, whatever it does.
pub fn chat_template(data: &[u8]) {
    let (template, rest) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let template = String::from_utf8_lossy(template);
    let text = String::from_utf8_lossy(rest);
    use crate::engine::protocol::TemplateMessage;
    let messages = [
        TemplateMessage::new("system", "You are helpful."),
        TemplateMessage::new("user", &text),
        TemplateMessage::new("assistant", &format!("<think>{text}</think>{text}")),
        TemplateMessage::new("user", "and?"),
    ];
    let _ =
        crate::engine::template_sandbox::render_isolated(&template, &messages, true, "<s>", "</s>");
}

/// A server-plan spec (`seekdeck plan --cluster`, the card's Server plan field); one that parses
/// is planned for DeepSeek-V3 on both engines (the planner must not panic on any server).
pub fn server_spec(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let (Ok(spec), Some(model)) = (
        crate::hardware::server_spec::parse_server_spec(&text),
        crate::catalog::builtin_model("deepseek-v3"),
    ) {
        let plan = crate::estimate::server::plan(&model, &spec, Default::default());
        for l in &plan.layouts {
            let _ = crate::estimate::server::commands::commands(&model, &plan, l, None);
        }
    }
}

/// A "What if…" / `--assume` machine spec, as one machine and as a cluster; a cluster that
/// parses is planned for a 671B model (the estimate must not panic on any machine list).
pub fn assume_spec(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::hardware::assume::parse_assume(&text);
    if let Ok(c) = crate::hardware::cluster_spec::parse_cluster(&text) {
        if let (Some(main), Some(model)) = (
            c.machines.first(),
            crate::catalog::builtin_model("deepseek-r1"),
        ) {
            let machines =
                crate::estimate::cluster::ClusterMachines::from_snapshots(main, &c.machines[1..]);
            let split = crate::estimate::fit::weight_split(
                &model.architecture,
                crate::estimate::quant::Quant::IQ1_S,
                crate::estimate::tensors::MlaLayout::Split,
            );
            let _ =
                crate::estimate::cluster_plan::plan(&model.architecture, &split, 8192, &machines);
        }
    }
}

/// A Hub model-info answer as a repository listing: every path it yields is safe to join.
pub fn hub_listing(data: &[u8]) {
    if let Ok(listing) = crate::hub::repo::parse_listing("fuzz/repo", data) {
        for f in &listing.files {
            for p in &f.parts {
                assert!(crate::hub::repo::valid_path(&p.path), "{}", p.path);
                assert!(!p.path.split('/').any(|s| s == ".."));
            }
        }
    }
}

/// An answer split into its reasoning and its reply, as the chat pane shows R1's.
pub fn think_split(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = crate::chat::thinking::split(&text, true);
    let _ = crate::chat::thinking::split(&text, false);
}

/// A streamed answer of an OpenAI-compatible server: the SSE events the bytes hold, each read as
/// a chunk (content, reasoning, usage, an error), as the remote engine reads them.
pub fn server_stream(data: &[u8]) {
    use crate::engine::remote::{sse::SseEvents, wire};
    for event in SseEvents::new(std::io::Cursor::new(data)) {
        match event {
            Ok(text) => {
                assert!(text.len() <= data.len(), "an event longer than its bytes");
                let _ = wire::parse_chunk(&text);
            }
            Err(_) => break,
        }
    }
    let _ = wire::error_message(data);
    let _ = wire::is_context_exceeded(data);
}

/// A server's `/v1/models` answer: every id kept is short and free of control characters.
pub fn server_models(data: &[u8]) {
    if let Ok(models) = crate::engine::remote::wire::parse_models(data) {
        for m in models {
            assert!(!m.id.is_empty() && !m.id.chars().any(char::is_control));
            assert!(m.id.chars().count() <= 256);
        }
    }
}

/// Seed inputs for each target, from the same generators the tests use: real catalog models'
/// GGUF headers (shape-only, cut after the header), the embedded catalog, DeepSeek-R1's chat
/// template and a hostile one, a saved conversation, Hub and Ollama answers, machine specs.
/// `make fuzz` starts its corpora from these; the regression test replays them.
pub fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut out: Vec<(&'static str, Vec<u8>)> = Vec::new();
    let dir = tempfile::tempdir().ok();
    for m in crate::catalog::builtin_catalog_models().iter().take(4) {
        let Some(dir) = &dir else { break };
        let path = dir.path().join(format!("{}.gguf", m.id));
        let quant = crate::estimate::quant::Quant::Q4_K_M;
        let layout = crate::estimate::tensors::MlaLayout::Split;
        if crate::gguf::shape::write_shape_only(m, quant, layout, &path).is_err() {
            continue;
        }
        let Ok(header) = GgufHeader::read(&path) else {
            continue;
        };
        // The header and a little of the (sparse) weights: never the whole logical file.
        let mut bytes = Vec::new();
        if let Ok(file) = std::fs::File::open(&path) {
            use std::io::Read;
            let _ = file.take(header.data_offset + 64).read_to_end(&mut bytes);
        }
        out.push(("gguf_header", bytes));
    }
    out.push((
        "catalog_ron",
        crate::catalog::load::EMBEDDED_CATALOG.as_bytes().to_vec(),
    ));
    let r1 = include_str!("../tests/data/deepseek-r1.jinja");
    out.push((
        "chat_template",
        format!("{r1}\0hello <think>x</think>").into_bytes(),
    ));
    out.push((
        "chat_template",
        b"{% for a in range(10000) %}{% for b in range(10000) %}x{% endfor %}{% endfor %}\0hi"
            .to_vec(),
    ));
    let mut c = crate::chat::Conversation::new(None, Default::default(), true);
    c.messages
        .push(crate::chat::ChatMessage::user("What is 2+2?"));
    if let Ok(text) = ron::ser::to_string_pretty(&c, ron::ser::PrettyConfig::default()) {
        out.push(("conversation_ron", text.into_bytes()));
    }
    let sha = "ab".repeat(32);
    let commit = "cd".repeat(20);
    out.push((
        "hub_listing",
        format!(
            r#"{{"sha":"{commit}","siblings":[{{"rfilename":"Q4/m-00001-of-00002.gguf","size":9,"lfs":{{"sha256":"{sha}","size":9}}}},{{"rfilename":"Q4/m-00002-of-00002.gguf","size":9,"lfs":{{"sha256":"{sha}","size":9}}}},{{"rfilename":"../x.gguf","lfs":{{"sha256":"{sha}","size":1}}}}]}}"#
        )
        .into_bytes(),
    ));
    out.push((
        "ollama_manifest",
        format!(
            r#"{{"layers":[{{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:{sha}"}}]}}"#
        )
        .into_bytes(),
    ));
    for p in crate::hardware::assume::PRESETS
        .iter()
        .chain(&crate::hardware::cluster_spec::CLUSTER_PRESETS)
    {
        out.push(("assume_spec", p.spec.as_bytes().to_vec()));
    }
    for p in crate::hardware::server_spec::SERVER_PRESETS {
        out.push(("server_spec", p.spec.as_bytes().to_vec()));
    }
    for name in [
        "DeepSeek-R1-Q2_K-00001-of-00005.gguf",
        "a-99999-of-00001.gguf",
        "x.gguf",
    ] {
        out.push(("split_names", name.as_bytes().to_vec()));
    }
    for t in [
        "<think>a</think>b",
        "a</think>b",
        "<think>unfinished",
        "plain",
    ] {
        out.push(("think_split", t.as_bytes().to_vec()));
    }
    out.push((
        "server_stream",
        concat!(
            ": keep-alive\n\n",
            "data: {\"choices\":[{\"delta\":{\"reasoning_content\":\"hm\"}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"reasoning\":\"hm\"}}]}\r\n\r\n",
            "data: {\"choices\":[{\"delta\":{\"content\":\"4\"},\"finish_reason\":\"stop\"}]}\n\n",
            "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":3},\"timings\":{\"predicted_per_second\":9.5}}\n\n",
            "data: {\"error\":{\"message\":\"boom\"}}\n\n",
            "data: [DONE]\n\n"
        )
        .as_bytes()
        .to_vec(),
    ));
    out.push((
        "server_models",
        br#"{"object":"list","data":[{"id":"tiny","owned_by":"llamacpp","meta":{"n_ctx":2048,"n_ctx_train":16384,"n_params":1,"size":2}},{"id":"deepseek-ai/DeepSeek-R1","max_model_len":163840}]}"#.to_vec(),
    ));
    out
}
