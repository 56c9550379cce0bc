//! Prints llama.cpp's debug log of a `no_alloc` dry run of a catalog model's shape-only GGUF:
//! `dry_run_log MODEL QUANT CTX NGL [cpu-moe] [n-cpu-moe=N] [no-gpu] [rpc=HOST:PORT,…] [ts=3,2,1]`. A tool for reading how llama.cpp places and sizes
//! a model (build with `--features vulkan` or `cuda` to see a GPU placement).

use seekdeck::catalog::builtin_model;
use seekdeck::estimate::launch_settings::{LaunchSettings, TensorSplit};
use seekdeck::estimate::placement::Offload;
use seekdeck::estimate::quant::Quant;
use seekdeck::gguf::shape::with_shape_only;
use seekdeck::llama::dry_run::logged_dry_run;
use tracing::Level;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, quant, ctx, ngl, rest @ ..] = args.as_slice() else {
        eprintln!("usage: dry_run_log MODEL QUANT CTX NGL [cpu-moe] [n-cpu-moe=N] [no-gpu] [rpc=HOST:PORT,…] [ts=3,2,1]");
        std::process::exit(2);
    };
    let Some(m) = builtin_model(model) else {
        eprintln!("no model {model}");
        std::process::exit(2);
    };
    let Some(q) = Quant::parse(quant) else {
        eprintln!("no quantization {quant}");
        std::process::exit(2);
    };
    let (Ok(ctx), Ok(gpu_layers)) = (ctx.parse(), ngl.parse()) else {
        eprintln!("CTX and NGL are numbers");
        std::process::exit(2);
    };
    let placement = Offload {
        gpu_layers,
        cpu_moe: rest.iter().any(|a| a == "cpu-moe"),
        no_gpu: rest.iter().any(|a| a == "no-gpu"),
        n_cpu_moe: rest
            .iter()
            .find_map(|a| a.strip_prefix("n-cpu-moe="))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
    };
    if let Some(list) = rest.iter().find_map(|a| a.strip_prefix("rpc=")) {
        let mut devices = Vec::new();
        for endpoint in list.split(',') {
            match seekdeck::llama::rpc::add_worker(endpoint) {
                Ok(d) => devices.extend(d),
                Err(e) => {
                    eprintln!("{endpoint}: {e}");
                    std::process::exit(1);
                }
            }
        }
        seekdeck::llama::backend::use_cluster_devices(devices);
    }
    let mut settings = LaunchSettings::default();
    if let Some(ts) = rest.iter().find_map(|a| a.strip_prefix("ts=")) {
        settings.tensor_split = TensorSplit::parse(ts).unwrap_or_else(|e| {
            eprintln!("ts={ts}: {e}");
            std::process::exit(2)
        });
    }
    let scratch = std::env::temp_dir().join(format!("seekdeck-dry-run-{}", std::process::id()));
    let result = with_shape_only(&m, q, &scratch, |path| {
        logged_dry_run(path, ctx, placement, Level::DEBUG, &settings)
    });
    let _ = std::fs::remove_dir(&scratch);
    match result {
        Ok((log, _)) => print!("{log}"),
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
