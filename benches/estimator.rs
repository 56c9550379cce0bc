//! How long the fit estimator takes: every catalog model × every quantization × three contexts
//! (what the table and card recompute when the toolbar changes), and one model's full estimate.

#![allow(missing_docs)] // criterion_group! generates an undocumented function

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use seekdeck::catalog::load_catalog;
use seekdeck::estimate::fit::estimate;
use seekdeck::estimate::quant::Quant;
use seekdeck::estimate::weight_table::WeightTable;
use seekdeck::hardware::assume::parse_assume;

fn estimator(c: &mut Criterion) {
    let catalog = load_catalog(None);
    let Ok(hw) = parse_assume("24GiB GPU, 64GiB RAM") else {
        return;
    };
    let models = &catalog.models;
    let table = WeightTable::new(models);
    c.bench_function("all models x all quants x 3 contexts (weight table)", |b| {
        b.iter(|| {
            for (i, m) in models.iter().enumerate() {
                for q in Quant::ALL {
                    for ctx in [4096, 32768, m.architecture.context_tokens] {
                        black_box(table.estimate(models, i, q, ctx, &hw));
                    }
                }
            }
        });
    });
    c.bench_function("all models x all quants x 3 contexts (from scratch)", |b| {
        b.iter(|| {
            for m in models {
                for q in Quant::ALL {
                    for ctx in [4096, 32768, m.architecture.context_tokens] {
                        black_box(estimate(m, q, ctx, &hw));
                    }
                }
            }
        });
    });
    c.bench_function("weight table for the whole catalog", |b| {
        b.iter(|| black_box(WeightTable::new(models)))
    });
    if let Some(v3) = catalog.models.iter().find(|m| m.id == "deepseek-v3") {
        c.bench_function("DeepSeek-V3 Q4_K_M 32K", |b| {
            b.iter(|| black_box(estimate(v3, Quant::Q4_K_M, 32768, &hw)))
        });
    }
    c.bench_function("toolbar change: 13 models at one setting", |b| {
        b.iter(|| {
            for i in 0..models.len() {
                black_box(table.estimate(models, i, Quant::Q4_K_M, 8192, &hw));
            }
        });
    });
}

criterion_group!(benches, estimator);
criterion_main!(benches);
