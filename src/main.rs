//! The `seekdeck` binary: parses the command line; without a subcommand opens the window.

use clap::Parser;
use seekdeck::cli::{run, Cli};

fn main() {
    let started = std::time::Instant::now();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SEEKDECK_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
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
                if let Err(e) = seekdeck::hardware::assume::parse_assume(spec) {
                    eprintln!("seekdeck: {e}");
                    std::process::exit(2);
                }
            }
            if let Err(e) = seekdeck::app::run_window(cli.assume.clone(), started) {
                eprintln!("seekdeck: cannot open the window: {e}");
                std::process::exit(1);
            }
        }
    }
}
