#![allow(clippy::unwrap_used, missing_docs)]
use seekdeck::catalog::load_catalog;
use seekdeck::quant::Quant;
use seekdeck::shape_gguf::write_shape_only;
use seekdeck::tensors::MlaLayout;
#[test]
fn explore() {
    let dir = tempfile::tempdir().unwrap();
    for m in load_catalog(None).models {
        if ![
            "deepseek-v2",
            "deepseek-llm-67b",
            "deepseek-coder-1.3b",
            "deepseek-r1-distill-llama-70b",
        ]
        .contains(&m.id.as_str())
        {
            continue;
        }
        let p = dir.path().join(format!("{}.gguf", m.id));
        write_shape_only(&m, Quant::Q4_K_M, MlaLayout::Split, &p).unwrap();
        let mut line = format!("{:30}", m.id);
        for ctx in [1024u32, 4096] {
            if ctx > m.architecture.context_tokens {
                continue;
            }
            let r = seekdeck::reference::dry_run(&p, ctx).unwrap();
            line.push_str(&format!(" {}:{}", ctx, r.compute_bytes));
        }
        println!("{line}");
    }
}
