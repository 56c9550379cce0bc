//! Readings of another machine's `seekdeck worker` (llama.cpp's RPC server), taken in plain Rust
//! over TCP: the protocol's hello (its version), its device count and each device's free and
//! total memory. llama.cpp's own RPC client aborts the whole process when a server cannot be
//! reached or answers badly, so nothing is handed to it before this check has passed; here every
//! failure is a sentence, every wait has a deadline and every answer is checked for its size.
//!
//! The wire format (ggml-rpc.cpp of the vendored llama.cpp, protocol 7.0.0): a request is one
//! command byte, a little-endian `u64` size and that many bytes; an answer is a `u64` size and
//! that many bytes.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The RPC protocol version this build of llama.cpp speaks (`RPC_PROTO_*_VERSION`).
pub const RPC_PROTOCOL: (u8, u8, u8) = (7, 0, 0);

/// The port `rpc-server` and `seekdeck worker` listen on unless told otherwise.
pub const DEFAULT_RPC_PORT: u16 = 50052;

/// Transport capabilities exchanged in the hello (`RPC_CONN_CAPS_SIZE`); all zero asks for plain
/// TCP.
const CONN_CAPS_SIZE: usize = 24;
const CMD_GET_DEVICE_MEMORY: u8 = 11;
const CMD_HELLO: u8 = 14;
const CMD_DEVICE_COUNT: u8 = 15;
/// More devices than any one machine has: an answer beyond it is not a real worker.
const MAX_DEVICES: u32 = 64;

/// One device a worker serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteDevice {
    /// Free memory in bytes, as the worker reports it.
    pub free_bytes: u64,
    /// Total memory in bytes.
    pub total_bytes: u64,
}

/// What a worker said about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerReading {
    /// `host:port` as asked.
    pub endpoint: String,
    /// Its protocol version.
    pub version: (u8, u8, u8),
    /// Its devices, in the order llama.cpp numbers them.
    pub devices: Vec<RemoteDevice>,
}

impl WorkerReading {
    /// Free memory over all its devices.
    pub fn free_bytes(&self) -> u64 {
        self.devices.iter().map(|d| d.free_bytes).sum()
    }
}

/// Why a worker could not be read, in words for its row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// Not `host:port`, or the host has no address.
    #[error("\"{0}\" is not host:port (e.g. 192.168.1.20:50052)")]
    BadEndpoint(String),
    /// Nothing answered the connection.
    #[error("cannot reach {endpoint}: {reason}")]
    Unreachable {
        /// `host:port`.
        endpoint: String,
        /// The OS's reason.
        reason: String,
    },
    /// It accepted but did not answer in time (a worker serves one client at a time: it may be
    /// busy with another seekdeck).
    #[error("{0} did not answer in time (busy serving another client, or not a seekdeck worker)")]
    Silent(String),
    /// It answered something that is not llama.cpp's RPC protocol.
    #[error("{endpoint} is not a llama.cpp RPC worker ({detail})")]
    NotAWorker {
        /// `host:port`.
        endpoint: String,
        /// What was wrong with the answer.
        detail: String,
    },
    /// It speaks another version of the protocol.
    #[error("{endpoint} speaks RPC protocol {}.{}.{}, this seekdeck {}.{}.{}: run the same seekdeck (or llama.cpp) version on both machines", .theirs.0, .theirs.1, .theirs.2, RPC_PROTOCOL.0, RPC_PROTOCOL.1, RPC_PROTOCOL.2)]
    VersionMismatch {
        /// `host:port`.
        endpoint: String,
        /// Its version.
        theirs: (u8, u8, u8),
    },
}

/// Connects to `endpoint` and reads its version and devices, every step within `timeout`.
pub fn probe_worker(endpoint: &str, timeout: Duration) -> Result<WorkerReading, ProbeError> {
    let addr = resolve(endpoint)?;
    let stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| ProbeError::Unreachable {
            endpoint: endpoint.to_owned(),
            reason: e.to_string(),
        })?;
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            ProbeError::Silent(endpoint.to_owned())
        }
        _ => ProbeError::NotAWorker {
            endpoint: endpoint.to_owned(),
            detail: e.to_string(),
        },
    };
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    stream.set_write_timeout(Some(timeout)).map_err(io)?;
    let _ = stream.set_nodelay(true);
    let mut rpc = Rpc { stream, endpoint };
    let hello = rpc.call(CMD_HELLO, &[0; CONN_CAPS_SIZE], 4 + CONN_CAPS_SIZE)?;
    let version = (hello[0], hello[1], hello[2]);
    if version.0 != RPC_PROTOCOL.0 || version.1 > RPC_PROTOCOL.1 {
        return Err(ProbeError::VersionMismatch {
            endpoint: endpoint.to_owned(),
            theirs: version,
        });
    }
    let count = rpc.call(CMD_DEVICE_COUNT, &[], 4)?;
    let count = u32::from_le_bytes([count[0], count[1], count[2], count[3]]);
    if count == 0 || count > MAX_DEVICES {
        return Err(rpc.not_a_worker(format!("it reports {count} devices")));
    }
    let mut devices = Vec::new();
    for device in 0..count {
        let m = rpc.call(CMD_GET_DEVICE_MEMORY, &device.to_le_bytes(), 16)?;
        let free_bytes = u64::from_le_bytes(m[..8].try_into().unwrap_or_default());
        let total_bytes = u64::from_le_bytes(m[8..].try_into().unwrap_or_default());
        if free_bytes > total_bytes {
            return Err(rpc.not_a_worker(format!(
                "device {device} has more free memory ({free_bytes} bytes) than in all ({total_bytes})"
            )));
        }
        devices.push(RemoteDevice {
            free_bytes,
            total_bytes,
        });
    }
    Ok(WorkerReading {
        endpoint: endpoint.to_owned(),
        version,
        devices,
    })
}

/// Whether `endpoint` is written as `host:port` (a name or an address, a port from 1 to 65535),
/// without asking the network: for checking what is typed.
pub fn check_endpoint(endpoint: &str) -> Result<(), ProbeError> {
    let bad = || ProbeError::BadEndpoint(endpoint.to_owned());
    let (host, port) = endpoint.rsplit_once(':').ok_or_else(bad)?;
    if host.is_empty()
        || host.chars().any(char::is_whitespace)
        || port.parse::<u16>().map_or(true, |p| p == 0)
    {
        return Err(bad());
    }
    Ok(())
}

/// `host:port` to an address (the first one the resolver gives).
fn resolve(endpoint: &str) -> Result<SocketAddr, ProbeError> {
    let bad = || ProbeError::BadEndpoint(endpoint.to_owned());
    check_endpoint(endpoint)?;
    endpoint
        .to_socket_addrs()
        .map_err(|_| bad())?
        .next()
        .ok_or_else(bad)
}

/// One connection to a worker.
struct Rpc<'a> {
    stream: TcpStream,
    endpoint: &'a str,
}

impl Rpc<'_> {
    /// Sends command `cmd` with `input` and reads an answer that must be exactly `want` bytes.
    fn call(&mut self, cmd: u8, input: &[u8], want: usize) -> Result<Vec<u8>, ProbeError> {
        let mut request = Vec::with_capacity(9 + input.len());
        request.push(cmd);
        request.extend_from_slice(&(input.len() as u64).to_le_bytes());
        request.extend_from_slice(input);
        self.stream
            .write_all(&request)
            .and_then(|()| self.stream.flush())
            .map_err(|e| self.io(&e))?;
        let mut size = [0u8; 8];
        self.stream.read_exact(&mut size).map_err(|e| self.io(&e))?;
        let size = u64::from_le_bytes(size);
        if size != want as u64 {
            return Err(self.not_a_worker(format!(
                "an answer of {size} bytes where {want} were expected"
            )));
        }
        let mut answer = vec![0u8; want];
        self.stream
            .read_exact(&mut answer)
            .map_err(|e| self.io(&e))?;
        Ok(answer)
    }

    fn io(&self, e: &std::io::Error) -> ProbeError {
        match e.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                ProbeError::Silent(self.endpoint.to_owned())
            }
            std::io::ErrorKind::UnexpectedEof => {
                self.not_a_worker("it closed the connection".to_owned())
            }
            _ => self.not_a_worker(e.to_string()),
        }
    }

    fn not_a_worker(&self, detail: String) -> ProbeError {
        ProbeError::NotAWorker {
            endpoint: self.endpoint.to_owned(),
            detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A fake worker on loopback that answers the hello with `version` and then `devices`.
    fn fake_worker(version: (u8, u8, u8), devices: Vec<(u64, u64)>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::Builder::new()
            .name("fake-rpc-worker".into())
            .spawn(move || {
                let (mut s, _) = listener.accept().unwrap();
                let read_request = |s: &mut TcpStream| {
                    let mut head = [0u8; 9];
                    s.read_exact(&mut head).ok()?;
                    let n = u64::from_le_bytes(head[1..].try_into().unwrap()) as usize;
                    let mut body = vec![0u8; n];
                    s.read_exact(&mut body).ok()?;
                    Some((head[0], body))
                };
                let answer = |s: &mut TcpStream, body: &[u8]| {
                    let mut out = (body.len() as u64).to_le_bytes().to_vec();
                    out.extend_from_slice(body);
                    s.write_all(&out).unwrap();
                };
                while let Some((cmd, body)) = read_request(&mut s) {
                    match cmd {
                        CMD_HELLO => {
                            let mut rsp = vec![version.0, version.1, version.2, 0];
                            rsp.extend_from_slice(&[0; CONN_CAPS_SIZE]);
                            answer(&mut s, &rsp);
                        }
                        CMD_DEVICE_COUNT => {
                            answer(&mut s, &(devices.len() as u32).to_le_bytes());
                        }
                        CMD_GET_DEVICE_MEMORY => {
                            let d = u32::from_le_bytes(body[..4].try_into().unwrap()) as usize;
                            let mut rsp = devices[d].0.to_le_bytes().to_vec();
                            rsp.extend_from_slice(&devices[d].1.to_le_bytes());
                            answer(&mut s, &rsp);
                        }
                        _ => return,
                    }
                }
            })
            .unwrap();
        addr.to_string()
    }

    #[test]
    fn a_worker_reports_its_devices() {
        let ep = fake_worker(RPC_PROTOCOL, vec![(20 << 30, 24 << 30), (1 << 30, 8 << 30)]);
        let r = probe_worker(&ep, Duration::from_secs(5)).unwrap();
        assert_eq!(r.version, RPC_PROTOCOL);
        assert_eq!(r.devices.len(), 2);
        assert_eq!(r.free_bytes(), 21 << 30);
    }

    #[test]
    fn another_protocol_version_is_said_in_words() {
        let ep = fake_worker((6, 1, 0), vec![(1, 2)]);
        let e = probe_worker(&ep, Duration::from_secs(5)).unwrap_err();
        assert!(matches!(e, ProbeError::VersionMismatch { .. }), "{e}");
        assert!(e.to_string().contains("speaks RPC protocol 6.1.0"), "{e}");
    }

    #[test]
    fn nonsense_and_silence_and_nothing_are_told_apart() {
        // Free memory larger than the total: not a real worker.
        let ep = fake_worker(RPC_PROTOCOL, vec![(9, 2)]);
        let e = probe_worker(&ep, Duration::from_secs(5)).unwrap_err();
        assert!(matches!(e, ProbeError::NotAWorker { .. }), "{e}");
        // Something that accepts and never answers.
        let quiet = TcpListener::bind("127.0.0.1:0").unwrap();
        let ep = quiet.local_addr().unwrap().to_string();
        let e = probe_worker(&ep, Duration::from_millis(300)).unwrap_err();
        assert!(matches!(e, ProbeError::Silent(_)), "{e}");
        drop(quiet);
        // Nothing listening.
        let e = probe_worker(&ep, Duration::from_millis(300)).unwrap_err();
        assert!(matches!(e, ProbeError::Unreachable { .. }), "{e}");
        // Not an endpoint at all.
        for bad in ["", "host", "host:", ":50052", "host:0", "host:99999"] {
            assert!(
                matches!(
                    probe_worker(bad, Duration::from_millis(300)),
                    Err(ProbeError::BadEndpoint(_))
                ),
                "{bad}"
            );
        }
    }
}
