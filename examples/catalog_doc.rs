//! Prints docs/catalog.md: the built-in catalog, every fact with its source (`make catalog-doc`).

fn main() {
    print!(
        "{}",
        seekdeck::catalog::doc::catalog_markdown(&seekdeck::catalog::builtin_catalog_models())
    );
}
