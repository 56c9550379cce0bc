//! `seekdeck worker`: serves this machine's devices (its GPUs, then its CPU and RAM as one more
//! device; `--gpu-only` leaves the RAM out) to other machines' seekdeck through llama.cpp's RPC server, so a model too large for one PC
//! can be split across several. The protocol has no authentication and no encryption: by default
//! the worker listens on loopback only, and any other address prints that warning.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Args;

use super::common::{failure, usage_error, CliError};
use crate::format::format_bytes;
use crate::hardware::rpc_probe::{DEFAULT_RPC_PORT, RPC_PROTOCOL};
use crate::llama::rpc::{serve, served_devices};

/// `seekdeck worker` options.
#[derive(Debug, Clone, Args)]
pub struct WorkerArgs {
    /// Port to listen on.
    #[arg(long, default_value_t = DEFAULT_RPC_PORT)]
    pub port: u16,
    /// Address to listen on; anything but loopback lets every machine that can reach this one
    /// use it, unauthenticated and unencrypted.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Keep the tensors received in this folder, so a second launch of the same model sends only
    /// their hashes instead of the weights.
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// CPU threads for the work (default: every CPU this process may use).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Serve only the GPUs, not the CPU and RAM beside them. seekdeck always tells llama.cpp how
    /// many layers each device takes; another llama.cpp client without `--tensor-split` splits by
    /// free memory, and a CPU counts all its RAM as free.
    #[arg(long)]
    pub gpu_only: bool,
}

/// The warning for a worker reachable from other machines.
pub const EXPOSED_WARNING: &str = "warning: llama.cpp's RPC protocol has no authentication and no encryption: anyone who can reach this address can use this machine's memory and run computations on it. Listen on a private network you trust (or keep the default 127.0.0.1 and tunnel).";

/// The worker's address as given, checked: an IP address (names are for the connecting side).
fn listen_address(args: &WorkerArgs) -> Result<(IpAddr, String), CliError> {
    let ip: IpAddr = args.host.parse().map_err(|_| {
        usage_error(format!(
            "--host must be an IP address of this machine (e.g. 127.0.0.1 or 192.168.1.20), not {:?}",
            args.host
        ))
    })?;
    if args.port == 0 {
        return Err(usage_error("--port must be 1 to 65535".into()));
    }
    let endpoint = match ip {
        IpAddr::V4(v4) => format!("{v4}:{}", args.port),
        IpAddr::V6(v6) => format!("[{v6}]:{}", args.port),
    };
    Ok((ip, endpoint))
}

/// Runs the worker until the process is stopped (Ctrl+C); returns only on an error.
pub fn run_worker(args: &WorkerArgs) -> Result<String, CliError> {
    let (ip, endpoint) = listen_address(args)?;
    if let Some(dir) = &args.cache {
        std::fs::create_dir_all(dir)
            .map_err(|e| failure(format!("cannot use {} as the cache: {e}", dir.display())))?;
    }
    let devices = served_devices(args.gpu_only).map_err(|e| failure(e.to_string()))?;
    let (major, minor, patch) = RPC_PROTOCOL;
    println!(
        "seekdeck worker on {endpoint} (llama.cpp RPC protocol {major}.{minor}.{patch}), serving:"
    );
    for d in &devices {
        println!(
            "  {} ({}): {} free of {}",
            d.name,
            d.description,
            format_bytes(d.free_bytes),
            format_bytes(d.total_bytes)
        );
    }
    if let Some(dir) = &args.cache {
        println!("  tensor cache: {}", dir.display());
    }
    if !ip.is_loopback() {
        eprintln!("{EXPOSED_WARNING}");
    }
    println!("Ctrl+C stops it.");
    let threads = args
        .threads
        .unwrap_or_else(|| crate::engine::thread_count().max(1) as usize);
    serve(&endpoint, args.cache.as_deref(), threads, args.gpu_only)
        .map_err(|e| failure(e.to_string()))?;
    Ok(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(host: &str, port: u16) -> WorkerArgs {
        WorkerArgs {
            port,
            host: host.into(),
            cache: None,
            threads: None,
            gpu_only: false,
        }
    }

    #[test]
    fn the_address_is_an_ip_and_ipv6_is_bracketed() {
        assert_eq!(
            listen_address(&args("127.0.0.1", 50052)).unwrap().1,
            "127.0.0.1:50052"
        );
        assert_eq!(listen_address(&args("::1", 7)).unwrap().1, "[::1]:7");
        assert!(listen_address(&args("my-laptop", 50052)).is_err());
        assert!(listen_address(&args("127.0.0.1", 0)).is_err());
    }
}
