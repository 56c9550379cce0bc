//! Hostile inputs of a chosen size for every fuzz target, and the peak memory a reader takes on
//! one: the figures behind docs/reliability.md's "memory against input size" table
//! (`make reader-memory`) and the bound `tests/reader_memory.rs` holds. Each input is the worst
//! kind of its reader found by reading it: many small items (where memory per byte is highest),
//! claims far beyond the file, output that multiplies, one endless event.

/// One hostile input for a fuzz target.
pub struct Hostile {
    /// The target of `fuzzing::TARGETS` that reads it.
    pub target: &'static str,
    /// What it is, in words, for the table.
    pub what: &'static str,
    /// The bytes.
    pub bytes: Vec<u8>,
}

/// Every hostile input, each about `size` bytes (those whose point is a small file claiming much
/// stay small).
pub fn inputs(size: usize) -> Vec<Hostile> {
    let h = |target, what, bytes| Hostile {
        target,
        what,
        bytes,
    };
    vec![
        h(
            "gguf_header",
            "claims 16M tensors and a 60 MiB key in 51 bytes",
            gguf_claims(),
        ),
        h("gguf_header", "tensor infos filling the file", gguf_tensors(size)),
        h("gguf_header", "metadata entries filling the file", gguf_kvs(size)),
        h("split_names", "one file name", split_name(size)),
        h("ollama_manifest", "layers filling the manifest", manifest(size)),
        h("catalog_ron", "the catalog's models repeated", catalog(size)),
        h("catalog_ron", "brackets nested to the end", nested(b'[', size)),
        h("conversation_ron", "messages filling the file", conversation(size)),
        h(
            "chat_template",
            "a string multiplied to 4 GB",
            b"{{ 'x' * 4000000000 }}".to_vec(),
        ),
        h(
            "chat_template",
            "a list doubled in a loop",
            b"{% set ns = namespace(l=[1]) %}{% for i in range(100) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l|length }}"
                .to_vec(),
        ),
        h(
            "chat_template",
            "a string concatenated to 3 GB",
            b"{% set s = 'x' * 100000000 %}{% set s = s ~ s ~ s ~ s ~ s ~ s ~ s ~ s %}{% set s = s ~ s ~ s ~ s %}{{ s|length }}"
                .to_vec(),
        ),
        h(
            "chat_template",
            "output without end",
            b"{% for i in range(100000) %}{% for j in range(100000) %}xxxxxxxxxxxxxxxx{% endfor %}{% endfor %}"
                .to_vec(),
        ),
        h("chat_template", "a message filling the input", template_message(size)),
        h("assume_spec", "GPUs listed to the end", repeated(b"8GiB GPU, ", size)),
        h("server_spec", "GPU counts to the end", repeated(b"8x 8x ", size)),
        h("hub_listing", "files filling the answer", hub_listing(size)),
        h("think_split", "think tags to the end", repeated(b"<think>a</think>", size)),
        h("server_stream", "one event without end", endless_event(size)),
        h("server_stream", "small events filling the stream", repeated(b"data: {}\n\n", size)),
        h("server_models", "models filling the answer", served_models(size)),
    ]
}

/// Peak resident memory (bytes) that `run` takes above what the process held when called:
/// Linux's high-water mark, reset through `/proc/self/clear_refs` first. `None` off Linux or
/// where the kernel does not allow the reset. Meant for a process doing nothing else at the time.
pub fn peak_rss_above(run: impl FnOnce()) -> Option<u64> {
    let before = status_kib("VmRSS:")?;
    std::fs::write("/proc/self/clear_refs", "5").ok()?;
    run();
    let peak = status_kib("VmHWM:")?;
    Some(peak.saturating_sub(before) * 1024)
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

fn repeated(unit: &[u8], size: usize) -> Vec<u8> {
    unit.iter()
        .copied()
        .cycle()
        .take(size.max(unit.len()))
        .collect()
}

fn nested(open: u8, size: usize) -> Vec<u8> {
    vec![open; size]
}

fn gguf_start(n_tensors: u64, n_kv: u64) -> Vec<u8> {
    let mut b = b"GGUF".to_vec();
    b.extend(3u32.to_le_bytes());
    b.extend(n_tensors.to_le_bytes());
    b.extend(n_kv.to_le_bytes());
    b
}

fn gguf_string(b: &mut Vec<u8>, s: &[u8]) {
    b.extend((s.len() as u64).to_le_bytes());
    b.extend(s);
}

fn gguf_claims() -> Vec<u8> {
    let mut b = gguf_start(1 << 24, 1);
    b.extend((60u64 << 20).to_le_bytes());
    b.extend(b"abc");
    b.extend([0u8; 16]);
    b
}

/// Tensor infos with one-character names and four dimensions: the most entries per byte.
fn gguf_tensors(size: usize) -> Vec<u8> {
    const ENTRY: usize = 8 + 1 + 4 + 4 * 8 + 4 + 8;
    let n = size / ENTRY;
    let mut b = gguf_start(n as u64, 0);
    for i in 0..n {
        gguf_string(&mut b, &[b'a' + (i % 26) as u8]);
        b.extend(4u32.to_le_bytes());
        for _ in 0..4 {
            b.extend(1u64.to_le_bytes());
        }
        b.extend(0u32.to_le_bytes()); // F32
        b.extend(0u64.to_le_bytes());
    }
    b
}

/// Metadata entries with one-character keys and u8 values.
fn gguf_kvs(size: usize) -> Vec<u8> {
    const ENTRY: usize = 8 + 1 + 4 + 1;
    let n = size / ENTRY;
    let mut b = gguf_start(0, n as u64);
    for i in 0..n {
        gguf_string(&mut b, &[b'a' + (i % 26) as u8]);
        b.extend(0u32.to_le_bytes()); // UINT8
        b.push(1);
    }
    b
}

fn split_name(size: usize) -> Vec<u8> {
    let mut b = repeated(b"n", size.saturating_sub(24));
    b.extend(b"-00001-of-00002.gguf");
    b
}

fn json_list(head: &str, item: &str, tail: &str, size: usize) -> Vec<u8> {
    let mut b = head.as_bytes().to_vec();
    while b.len() + item.len() + tail.len() < size {
        b.extend(item.as_bytes());
        b.push(b',');
    }
    b.extend(item.as_bytes());
    b.extend(tail.as_bytes());
    b
}

fn manifest(size: usize) -> Vec<u8> {
    let item = format!(
        r#"{{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:{}"}}"#,
        "ab".repeat(32)
    );
    json_list(r#"{"layers":["#, &item, "]}", size)
}

fn hub_listing(size: usize) -> Vec<u8> {
    json_list(
        &format!(r#"{{"sha":"{}","siblings":["#, "cd".repeat(20)),
        r#"{"rfilename":"a.gguf","size":1}"#,
        "]}",
        size,
    )
}

fn served_models(size: usize) -> Vec<u8> {
    json_list(r#"{"object":"list","data":["#, r#"{"id":"m"}"#, "]}", size)
}

/// The embedded catalog with its list of models repeated until the file is `size` bytes.
fn catalog(size: usize) -> Vec<u8> {
    let text = crate::catalog::load::EMBEDDED_CATALOG;
    let (Some(start), Some(end)) = (text.find("models: ["), text.rfind(']')) else {
        return text.as_bytes().to_vec();
    };
    let start = start + "models: [".len();
    let models = &text[start..end];
    let mut b = text[..start].to_string();
    while b.len() + models.len() < size {
        b.push_str(models);
    }
    b.push_str(&text[end..]);
    b.into_bytes()
}

fn conversation(size: usize) -> Vec<u8> {
    let mut c = crate::chat::Conversation::new(None, Default::default(), true);
    let mut bytes = 0;
    while bytes < size {
        c.messages.push(crate::chat::ChatMessage::user("a"));
        bytes += 40;
    }
    let text = ron::ser::to_string(&c).unwrap_or_default();
    text.into_bytes()
}

fn template_message(size: usize) -> Vec<u8> {
    let mut b = include_bytes!("../../tests/data/deepseek-r1.jinja").to_vec();
    b.push(0);
    b.extend(repeated(b"x", size));
    b
}

fn endless_event(size: usize) -> Vec<u8> {
    let mut b = b"data: ".to_vec();
    b.extend(repeated(b"x", size));
    b
}
