//! Network namespaces joined to this one by veth pairs (`ip netns`, Debian's iproute2), so a
//! worker started inside one is another host on a real (virtual) network. Needs root and the `ip`
//! tool; [`Namespace::create`] says why when the machine does not allow it. Removed on drop.

use std::process::{Command, Stdio};

/// One namespace with one veth pair: this side `10.X.Y.1`, its side `10.X.Y.2`.
pub struct Namespace {
    /// Its name for `ip netns exec`.
    pub name: String,
    /// The address a worker inside listens on.
    pub address: String,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Namespace {
    /// Namespace number `n` of this process (a /24 of its own under 10.78.0.0/16).
    pub fn create(n: u32) -> Result<Self, String> {
        let id = std::process::id() % 10_000;
        let name = format!("sdk{id}n{n}");
        let (here, there) = (format!("sdk{id}h{n}"), format!("sdk{id}t{n}"));
        let subnet = format!("10.78.{}", (id * 4 + n) % 250);
        let me = Self {
            name: name.clone(),
            address: format!("{subnet}.2"),
        };
        ip(&["netns", "add", &name])?;
        ip(&["link", "add", &here, "type", "veth", "peer", "name", &there])?;
        ip(&["link", "set", &there, "netns", &name])?;
        ip(&["addr", "add", &format!("{subnet}.1/24"), "dev", &here])?;
        ip(&["link", "set", &here, "up"])?;
        let inside = |args: &[&str]| {
            let mut all = vec!["netns", "exec", &name, "ip"];
            all.extend_from_slice(args);
            ip(&all)
        };
        inside(&["addr", "add", &format!("{subnet}.2/24"), "dev", &there])?;
        inside(&["link", "set", &there, "up"])?;
        inside(&["link", "set", "lo", "up"])?;
        Ok(me)
    }

    /// A command run inside the namespace.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        // Deleting the namespace deletes its end of the pair, and with it this end.
        let _ = ip(&["netns", "del", &self.name]);
    }
}
