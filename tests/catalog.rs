//! The catalog: 13 entries, every figure of the seed document reproduced exactly, and bad user files
//! reported with file, line, column and field while the rest still loads.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use seekdeck::catalog::load::{load_catalog, parse_catalog, CatalogIssue};
use seekdeck::catalog::{Model, SeedFacts};

const SEED: &str = include_str!("../docs/seed-models.md");

/// The rows of every Markdown table in the seed document, cells trimmed and `**` removed.
fn seed_rows() -> Vec<Vec<String>> {
    SEED.lines()
        .filter(|l| l.starts_with("| **"))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().replace("**", ""))
                .collect()
        })
        .collect()
}

fn by_name<'a>(models: &'a [Model], name: &str) -> &'a Model {
    models
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no model named {name}"))
}

/// The overview figures of the model named `name`, which the overview must list.
fn seed_of<'a>(models: &'a [Model], name: &str) -> &'a SeedFacts {
    by_name(models, name)
        .seed
        .as_ref()
        .unwrap_or_else(|| panic!("{name} has no overview figures"))
}

/// The overview's thirteen models come first, in its order, with their figures; the eight of the
/// family it does not list follow, each with a summary instead.
#[test]
fn thirteen_overview_models_then_eight_of_the_family_load_without_issues() {
    let cat = load_catalog(None);
    assert!(cat.issues.is_empty(), "{:?}", cat.issues);
    assert_eq!(cat.models.len(), 21);
    assert!(cat.models[..13].iter().all(|m| m.in_overview()));
    let family: Vec<&str> = cat.models[13..].iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        family,
        [
            "DeepSeek-R1-0528",
            "DeepSeek-R1-0528-Qwen3-8B",
            "DeepSeek-V3-0324",
            "DeepSeek-V3.1",
            "DeepSeek-V2.5",
            "DeepSeek-Coder-V2",
            "DeepSeek-Coder-V2-Lite",
            "DeepSeek-V3.2"
        ]
    );
    for m in &cat.models[13..] {
        assert!(!m.in_overview(), "{}", m.id);
        assert!(!m.features_display().is_empty(), "{}", m.id);
        assert!(!m.sources.is_empty(), "{}", m.id);
    }
}

#[test]
fn every_seed_figure_is_in_the_catalog() {
    let cat = load_catalog(None);
    let rows = seed_rows();
    let mut checked = 0;
    for row in &rows {
        match row.len() {
            // Overview: Model | Release | Parameter Size | Activation | Key Features | Input | Output
            7 => {
                let m = seed_of(&cat.models, &row[0]);
                assert_eq!(m.release.as_deref(), Some(row[1].as_str()), "{}", row[0]);
                assert_eq!(m.parameter_size, row[2], "{}", row[0]);
                assert_eq!(
                    m.activation_parameters.as_deref(),
                    Some(row[3].as_str()),
                    "{}",
                    row[0]
                );
                assert_eq!(
                    m.key_features.as_deref(),
                    Some(row[4].as_str()),
                    "{}",
                    row[0]
                );
                assert_eq!(
                    m.input_modalities.as_deref(),
                    Some(row[5].as_str()),
                    "{}",
                    row[0]
                );
                assert_eq!(
                    m.output_modalities.as_deref(),
                    Some(row[6].as_str()),
                    "{}",
                    row[0]
                );
            }
            // Hardware: Model | Parameter Size | Activation | Precision | VRAM | RAM
            6 => {
                let m = seed_of(&cat.models, &row[0]);
                assert_eq!(m.parameter_size, row[1], "{}", row[0]);
                assert_eq!(
                    m.activation_parameters.as_deref(),
                    Some(row[2].as_str()),
                    "{}",
                    row[0]
                );
                assert_eq!(m.precision, row[3], "{}", row[0]);
                assert_eq!(m.vram_required, row[4], "{}", row[0]);
                assert_eq!(m.system_ram_required, row[5], "{}", row[0]);
            }
            // Distills: Parameter Size | Precision | VRAM | RAM | Notes
            5 => {
                let m = cat
                    .models
                    .iter()
                    .filter(|m| m.family == "R1-Distill")
                    .filter_map(|m| m.seed.as_ref())
                    .find(|s| s.parameter_size == row[0])
                    .unwrap_or_else(|| panic!("no distill of size {}", row[0]));
                assert_eq!(m.precision, row[1]);
                assert_eq!(m.vram_required, row[2]);
                assert_eq!(m.system_ram_required, row[3]);
                assert_eq!(m.notes.as_deref(), Some(row[4].as_str()));
            }
            n => panic!("unexpected seed row of {n} cells: {row:?}"),
        }
        checked += 1;
    }
    // 7 overview rows, 7 hardware rows, 6 distill rows.
    assert_eq!(checked, 20);
}

#[test]
fn malformed_user_file_names_file_line_column_and_field() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        "tests/fixtures/catalog/missing_field.ron",
        dir.path().join("a_missing_field.ron"),
    )
    .unwrap();
    std::fs::copy(
        "tests/fixtures/catalog/syntax_error.ron",
        dir.path().join("b_syntax_error.ron"),
    )
    .unwrap();
    let cat = load_catalog(Some(dir.path()));
    // Everything else still loads.
    assert_eq!(cat.models.len(), 21);
    assert_eq!(cat.issues.len(), 2, "{:?}", cat.issues);
    let first = cat.issues[0].to_string();
    assert!(first.contains("a_missing_field.ron:"), "{first}");
    assert!(
        first.contains("layers"),
        "the message names the missing field: {first}"
    );
    match &cat.issues[1] {
        CatalogIssue::Parse {
            file, line, column, ..
        } => {
            assert!(file.ends_with("b_syntax_error.ron"));
            assert_eq!(*line, 4, "{}", cat.issues[1]);
            assert!(*column > 1);
        }
        other => panic!("expected a parse error, got {other}"),
    }
}

#[test]
fn impossible_entries_are_rejected_by_name() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        "tests/fixtures/catalog/impossible.ron",
        dir.path().join("impossible.ron"),
    )
    .unwrap();
    let cat = load_catalog(Some(dir.path()));
    let texts: Vec<String> = cat.issues.iter().map(ToString::to_string).collect();
    assert_eq!(texts.len(), 3, "{texts:?}");
    assert!(
        texts[0].contains("\"Zero Layers\"") && texts[0].contains("`layers` is zero"),
        "{}",
        texts[0]
    );
    assert!(
        texts[1].contains("\"Too Active\"") && texts[1].contains("params_active"),
        "{}",
        texts[1]
    );
    assert!(
        texts[2].contains("\"Odd Heads\"") && texts[2].contains("does not divide"),
        "{}",
        texts[2]
    );
    assert_eq!(cat.models.len(), 21);
}

#[test]
fn user_files_add_and_override_entries() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        "tests/fixtures/catalog/override.ron",
        dir.path().join("override.ron"),
    )
    .unwrap();
    let cat = load_catalog(Some(dir.path()));
    assert!(cat.issues.is_empty(), "{:?}", cat.issues);
    assert_eq!(cat.models.len(), 22);
    let r1 = cat.models.iter().find(|m| m.id == "deepseek-r1").unwrap();
    assert_eq!(r1.name, "DeepSeek-R1 (my notes)");
    assert!(cat.models.iter().any(|m| m.id == "my-finetune"));
}

#[test]
fn embedded_catalog_parses_on_its_own() {
    let file = parse_catalog(seekdeck::catalog::load::EMBEDDED_CATALOG, "embedded").unwrap();
    assert_eq!(file.models.len(), 21);
}

/// docs/catalog.md is generated from the catalog (`make catalog-doc`): it must say what the
/// catalog says, so a fact changed in the data without regenerating the page fails here.
#[test]
fn catalog_page_is_current() {
    let page =
        seekdeck::catalog::doc::catalog_markdown(&seekdeck::catalog::builtin_catalog_models());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/catalog.md");
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == page,
        "docs/catalog.md is out of date: run `make catalog-doc`"
    );
    // Every model's section names its sources.
    for m in seekdeck::catalog::builtin_catalog_models() {
        assert!(
            page.contains(&format!("<a id=\"{}\"></a>", m.id)),
            "{}",
            m.id
        );
    }
}

/// V3.2's sparse-attention indexer belongs to `deepseek32` and nothing else: a user entry that
/// drops it, or gives it to another architecture, is rejected with the reason.
#[test]
fn an_indexer_goes_with_deepseek32_only() {
    let v32 = seekdeck::catalog::builtin_model("deepseek-v3.2").unwrap();
    let mut no_indexer = v32.clone();
    no_indexer.id = "no-indexer".into();
    no_indexer.architecture.indexer = None;
    let mut misplaced = v32.clone();
    misplaced.id = "misplaced".into();
    misplaced.architecture.gguf_architecture = "deepseek2".into();
    let file = seekdeck::catalog::CatalogFile {
        models: vec![no_indexer, misplaced],
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("sparse.ron"),
        ron::ser::to_string_pretty(&file, ron::ser::PrettyConfig::default()).unwrap(),
    )
    .unwrap();
    let cat = load_catalog(Some(dir.path()));
    let texts: Vec<String> = cat.issues.iter().map(ToString::to_string).collect();
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(
        texts[0].contains("`deepseek32` needs an `indexer`"),
        "{}",
        texts[0]
    );
    assert!(texts[1].contains("an `indexer` needs"), "{}", texts[1]);
}

#[test]
fn every_score_carries_a_source_and_a_setting_and_the_thirteen_have_scores() {
    let models = load_catalog(None).models;
    let mut n = 0;
    for m in &models {
        for s in &m.scores {
            assert!(
                !s.source.trim().is_empty(),
                "{} {}: no source",
                m.id,
                s.benchmark
            );
            assert!(
                !s.setting.trim().is_empty(),
                "{} {}: no setting",
                m.id,
                s.benchmark
            );
            assert!(s.value.is_finite() && s.value >= 0.0);
            n += 1;
        }
        if m.in_overview() {
            assert!(!m.scores.is_empty(), "{} has no published scores", m.id);
        }
    }
    assert!(n >= 150, "{n}");
}

#[test]
fn the_r1_distill_scores_equal_the_r1_cards_table_row_by_row() {
    let table = include_str!("data/r1-distill-table.md");
    let models = load_catalog(None).models;
    let header: Vec<String> = table
        .lines()
        .find(|l| l.starts_with("| Model"))
        .unwrap()
        .trim_matches('|')
        .split('|')
        .map(|c| c.trim().to_string())
        .collect();
    let mut rows = 0;
    for line in table
        .lines()
        .filter(|l| l.starts_with("| DeepSeek-R1-Distill"))
    {
        let cells: Vec<String> = line
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().replace("**", ""))
            .collect();
        let m = models.iter().find(|m| m.name == cells[0]).unwrap();
        let r1_card: Vec<_> = m
            .scores
            .iter()
            .filter(|s| s.setting.starts_with("DeepSeek-R1 card"))
            .collect();
        assert_eq!(r1_card.len(), header.len() - 1, "{}", m.id);
        for (column, cell) in header[1..].iter().zip(&cells[1..]) {
            let published: f64 = cell.parse().unwrap();
            let s = r1_card
                .iter()
                .find(|s| s.source.ends_with(&format!("column {column}")))
                .unwrap_or_else(|| panic!("{} has no score for {column}", m.id));
            assert_eq!(s.value, published, "{} {column}", m.id);
            assert!(s.source.contains(&format!("row {}", cells[0])));
        }
        rows += 1;
    }
    assert_eq!(rows, 6);
}
