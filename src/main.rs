//! The `seekdeck` binary: parses the command line; without a subcommand opens the window.

use clap::Parser;
use seekdeck::cli::{run, Cli};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

fn main() {
    let started = std::time::Instant::now();
    let cli = Cli::parse_from(seekdeck::cli::launch_args::llama_short_flags(
        std::env::args_os(),
    ));
    // Chat templates (code from the internet) render in a child of this same binary, whose
    // memory the kernel caps.
    seekdeck::engine::template_sandbox::use_helper(std::env::current_exe().ok());
    // The terminal shows warnings (or what SEEKDECK_LOG asks for); the window's log panel keeps
    // the last lines at info level, llama.cpp's included.
    let terminal = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_filter(
            tracing_subscriber::EnvFilter::try_from_env("SEEKDECK_LOG")
                .unwrap_or_else(|_| "warn".into()),
        );
    tracing_subscriber::registry()
        .with(terminal)
        .with(seekdeck::log_buffer::layer().with_filter(LevelFilter::INFO))
        .init();
    if cli.version {
        print!("{}", seekdeck::cli::version_text());
        return;
    }
    match &cli.command {
        Some(command) => match run(&cli, command) {
            Ok(text) => print!("{text}"),
            Err(e) => {
                eprintln!("seekdeck: {}", e.message);
                std::process::exit(e.code);
            }
        },
        None => {
            // Check the spec before opening a window, so a typo is one line and exit code 2.
            if let Some(spec) = &cli.assume {
                let error = if seekdeck::hardware::cluster_spec::is_cluster_spec(spec) {
                    seekdeck::hardware::cluster_spec::parse_cluster(spec)
                        .err()
                        .map(|e| e.to_string())
                } else {
                    seekdeck::hardware::assume::parse_assume(spec)
                        .err()
                        .map(|e| e.to_string())
                };
                if let Some(e) = error {
                    eprintln!("seekdeck: {e}");
                    std::process::exit(2);
                }
            }
            if let Err(e) = seekdeck::ui::window::run_window(cli.assume.clone(), started) {
                eprintln!("seekdeck: cannot open the window: {e}");
                std::process::exit(1);
            }
        }
    }
}
