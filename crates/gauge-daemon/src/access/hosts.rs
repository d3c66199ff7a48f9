//! The Host names this daemon answers to: loopback names and addresses always; beyond loopback
//! also this machine's interface addresses (read again every few seconds, so a new DHCP lease
//! works), its host name, the mDNS name it advertises; and the names added in config.
//!
//! A DNS-rebinding page sends its own name as Host (`evil.example:8765`), which is none of these.

use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long the list of interface addresses is reused.
const ADDRESSES_TTL: Duration = Duration::from_secs(5);

/// The names and addresses one daemon answers to.
pub(super) struct AllowedHosts {
    is_beyond_loopback: bool,
    /// This machine's names (beyond loopback only).
    machine_names: Vec<String>,
    /// Names added in config (always).
    extra: Vec<String>,
    /// This machine's interface addresses and when they were read. A std `Mutex`: held for a
    /// lookup, never across an `.await`.
    addresses: Mutex<Option<(Instant, Vec<IpAddr>)>>,
}

impl AllowedHosts {
    /// The hosts of a daemon listening beyond loopback or not, plus `extra`.
    pub(super) fn new(is_beyond_loopback: bool, extra: &[String]) -> AllowedHosts {
        AllowedHosts {
            is_beyond_loopback,
            machine_names: if is_beyond_loopback {
                machine_names()
            } else {
                Vec::new()
            },
            extra: extra.iter().filter_map(|name| normalize(name)).collect(),
            addresses: Mutex::new(None),
        }
    }

    /// Whether `authority` (a `Host` value: `name`, `name:port`, `1.2.3.4:port`, `[::1]:port`)
    /// names this daemon.
    pub(super) fn allows(&self, authority: &str) -> bool {
        let Some(host) = host_part(authority).and_then(normalize) else {
            return false;
        };
        if self.extra.contains(&host) {
            return true;
        }
        if let Ok(ip) = host.parse::<IpAddr>() {
            return is_local(ip) || (self.is_beyond_loopback && self.is_own_address(ip));
        }
        if host == "localhost" || host.ends_with(".localhost") {
            // RFC 6761: these always resolve to loopback, so no one else can point them here.
            return true;
        }
        self.is_beyond_loopback && self.machine_names.contains(&host)
    }

    fn is_own_address(&self, ip: IpAddr) -> bool {
        let mut cached = self
            .addresses
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let is_stale = cached
            .as_ref()
            .is_none_or(|(read_at, _)| read_at.elapsed() > ADDRESSES_TTL);
        if is_stale {
            let addresses = if_addrs::get_if_addrs()
                .map(|interfaces| interfaces.iter().map(if_addrs::Interface::ip).collect())
                .unwrap_or_default();
            *cached = Some((Instant::now(), addresses));
        }
        cached
            .as_ref()
            .is_some_and(|(_, addresses)| addresses.contains(&ip))
    }
}

/// Loopback, or the unspecified address (`http://0.0.0.0:8765` reaches this machine only).
fn is_local(ip: IpAddr) -> bool {
    let mapped = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4),
        IpAddr::V4(_) => None,
    };
    let ip = mapped.unwrap_or(ip);
    ip.is_loopback() || ip.is_unspecified()
}

/// The host of a `Host` value, without its port or IPv6 brackets; `None` when malformed.
fn host_part(authority: &str) -> Option<&str> {
    let is_port = |port: &str| port.bytes().all(|b| b.is_ascii_digit());
    if let Some(rest) = authority.strip_prefix('[') {
        let (ip, after) = rest.split_once(']')?;
        let port = after.strip_prefix(':').unwrap_or(after);
        return (after.is_empty() || (after.starts_with(':') && is_port(port))).then_some(ip);
    }
    match authority.rsplit_once(':') {
        Some((host, port)) if is_port(port) && !host.contains(':') => Some(host),
        Some(_) => None,
        None => Some(authority),
    }
}

/// A host name or address, lowercase and without a trailing dot; `None` when it holds anything
/// a name or address cannot.
fn normalize(host: &str) -> Option<String> {
    let host = host.trim().strip_suffix('.').unwrap_or(host.trim());
    let is_valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':'));
    is_valid.then(|| host.to_ascii_lowercase())
}

/// This machine's names: the mDNS name it advertises, its host name, the host name's first label
/// and that label under `.local` (what Bonjour and Avahi answer for).
fn machine_names() -> Vec<String> {
    let mut names: Vec<String> = normalize(crate::mdns::HOST_NAME).into_iter().collect();
    let host_name = nix::unistd::gethostname().ok();
    if let Some(name) = host_name
        .as_ref()
        .and_then(|n| n.to_str())
        .and_then(normalize)
    {
        let short = name.split('.').next().unwrap_or(&name).to_string();
        names.push(format!("{short}.local"));
        names.push(short);
        names.push(name);
    }
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_and_addresses_are_always_answered() {
        let hosts = AllowedHosts::new(false, &[]);
        for host in [
            "127.0.0.1:8765",
            "127.0.0.1",
            "localhost:8765",
            "LOCALHOST.",
            "gauge.localhost:1",
            "[::1]:8765",
            "[::ffff:127.0.0.1]:8765",
            "0.0.0.0:8765",
        ] {
            assert!(hosts.allows(host), "{host}");
        }
    }

    #[test]
    fn other_names_are_refused_on_loopback() {
        let hosts = AllowedHosts::new(false, &["gauge.lan".into()]);
        for host in [
            "evil.example:8765",
            "claude-gauge.local:8765",
            "192.168.1.20:8765",
            "localhost.evil.example",
            "",
            "::1",
            "[::1]x",
            "a b",
            "user@127.0.0.1",
        ] {
            assert!(!hosts.allows(host), "{host}");
        }
        assert!(hosts.allows("GAUGE.lan:8765"), "a configured name");
    }

    #[test]
    fn beyond_loopback_this_machine_is_answered_by_its_names() {
        let hosts = AllowedHosts::new(true, &[]);
        assert!(hosts.allows("claude-gauge.local:8765"));
        let name = nix::unistd::gethostname().unwrap();
        let name = name.to_str().unwrap().to_ascii_lowercase();
        let short = name.split('.').next().unwrap();
        assert!(hosts.allows(&format!("{name}:8765")), "{name}");
        assert!(hosts.allows(&format!("{short}.local")), "{short}");
        assert!(!hosts.allows("evil.example:8765"));
        let own = if_addrs::get_if_addrs().unwrap();
        for interface in own {
            let ip = interface.ip();
            let host = match ip {
                IpAddr::V4(v4) => format!("{v4}:8765"),
                IpAddr::V6(v6) => format!("[{v6}]:8765"),
            };
            assert!(hosts.allows(&host), "{host}");
        }
        assert!(!hosts.allows("192.0.2.1:8765"), "TEST-NET-1 is no one's");
    }
}
