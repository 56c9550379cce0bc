//! Writes each fuzz target's seed inputs (`seekdeck::fuzzing::seeds`) into `DIR/<target>/`, the
//! corpora `make fuzz` starts from: `cargo run --features fuzzing --example fuzz_seeds -- DIR`.

fn main() -> std::io::Result<()> {
    let dir = std::path::PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/corpus".into()),
    );
    for (i, (target, bytes)) in seekdeck::fuzzing::seeds().into_iter().enumerate() {
        let folder = dir.join(target);
        std::fs::create_dir_all(&folder)?;
        std::fs::write(folder.join(format!("seed-{i:03}")), bytes)?;
    }
    Ok(())
}
