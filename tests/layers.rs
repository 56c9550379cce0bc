//! The folders of `src/` are layers (ARCHITECTURE.md): a module may use the modules of its own
//! layer and of the layers above it, never one below. This reads every source file's `crate::`
//! paths (test code excluded) and fails on any arrow that runs back up, so the layout stays true.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;

/// Top to bottom; each line is one layer.
const LAYERS: &[&[&str]] = &[
    &["format", "paths", "log_buffer", "net"],
    &["catalog", "hardware"],
    &["estimate"],
    &["gguf"],
    &["local"],
    &["hub"],
    &["llama"],
    &["engine"],
    &["chat", "servers"],
    &["verify", "fuzzing"],
    &["cli"],
    &["app"],
    &["ui"],
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// `text` without its test-only code: the `#[cfg(test)] mod …` (and all after it) and each
/// `#[cfg(test)] use …;`. A `#[cfg(test)]` function is kept, and so is everything after it.
fn without_tests(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if line.trim() != "#[cfg(test)]" {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let next = lines.peek().map_or("", |l| l.trim_start());
        if next.starts_with("mod ") {
            break;
        }
        if next.starts_with("use ") {
            for skipped in lines.by_ref() {
                if skipped.contains(';') {
                    break;
                }
            }
        }
    }
    out
}

/// The top-level modules `text` refers to through `crate::`.
fn references(text: &str) -> BTreeSet<String> {
    let code = without_tests(text);
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or_default();
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or_default();
                for item in inner.split(',') {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if !name.is_empty() {
                        out.insert(name);
                    }
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
    }
    out
}

fn walk(dir: &Path, files: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
}

#[test]
fn no_module_uses_a_layer_below_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut wrong = Vec::new();
    for file in &files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(mine) = layer_of(&module) else {
            wrong.push(format!(
                "{}: module `{module}` is in no layer",
                rel.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for used in references(&text) {
            if used == module {
                continue;
            }
            match layer_of(&used) {
                Some(theirs) if theirs <= mine => {}
                Some(_) => wrong.push(format!(
                    "{}: `{module}` uses `{used}`, a layer below it",
                    rel.display()
                )),
                None => wrong.push(format!("{}: `crate::{used}` is in no layer", rel.display())),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_reader_sees_grouped_imports() {
    let refs = references("use crate::{app::App, ui};\nlet x = crate::format::format_bytes(1); // crate::cli\n#[cfg(test)]\nuse crate::verify;");
    assert_eq!(
        refs.into_iter().collect::<Vec<_>>(),
        ["app", "format", "ui"]
    );
    // A test-only function does not end the file's code: what follows it is read.
    let refs = references("#[cfg(test)]\nfn helper() {}\nfn later() { crate::engine::go(); }\n#[cfg(test)]\nmod tests { use crate::ui; }");
    assert_eq!(refs.into_iter().collect::<Vec<_>>(), ["engine"]);
}

/// `unsafe` lives in two documented modules, the FFI to llama.cpp's back-end registry: the RPC
/// back-end and the run-time modules; the crate denies it everywhere else (Cargo.toml), and
/// this keeps the exception from spreading.
#[test]
fn unsafe_code_is_in_the_two_registry_modules_alone() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    let with_unsafe: Vec<String> = files
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f).unwrap().lines().any(|l| {
                l.contains("unsafe {")
                    || l.contains("unsafe extern")
                    || l.contains("allow(unsafe_code)")
            })
        })
        .map(|f| {
            f.strip_prefix(root)
                .unwrap()
                .display()
                .to_string()
                .replace('\\', "/")
        })
        .collect();
    let mut with_unsafe = with_unsafe;
    with_unsafe.sort();
    assert_eq!(with_unsafe, ["src/llama/modules.rs", "src/llama/rpc.rs"]);
}
