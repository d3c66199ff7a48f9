//! mDNS advertisement: tells clusters on the LAN where the daemon is.
//!
//! A transport helper beside `serve/`: when the daemon listens beyond loopback it registers
//! `_claude-gauge._tcp.local.` with its port and a TXT record (`path=/usage`, `v=<frame
//! version>`); the firmware's one PTR query finds it (`firmware/src/mdns.rs`). On loopback
//! nothing is advertised: nobody else could connect anyway.
//!
//! Ownership and shutdown: [`Advertiser`] owns the `mdns-sd` daemon thread; dropping it sends
//! the goodbye packet and stops the thread.

use std::net::SocketAddr;

use mdns_sd::{ServiceDaemon, ServiceInfo};

/// The DNS-SD service type clusters look for.
pub const SERVICE_TYPE: &str = "_claude-gauge._tcp.local.";
/// The instance name shown by service browsers.
const INSTANCE_NAME: &str = "claude-gauge";
/// The host name in the SRV record (its A records are this machine's addresses); `access`
/// answers requests that name it.
pub(crate) const HOST_NAME: &str = "claude-gauge.local.";

/// Why the advertisement could not start (the daemon runs on without it).
#[derive(Debug, thiserror::Error)]
pub(crate) enum MdnsError {
    /// mdns-sd refused the service or could not start its thread.
    #[error("cannot advertise {SERVICE_TYPE} over mDNS: {0}")]
    Mdns(#[from] mdns_sd::Error),
}

/// The service record for a daemon bound to `bound`; `None` for a loopback address.
///
/// An unspecified address (`0.0.0.0`, `::`) advertises every interface's addresses.
pub(crate) fn service_info(bound: SocketAddr) -> Result<Option<ServiceInfo>, MdnsError> {
    let ip = bound.ip();
    if ip.is_loopback() {
        return Ok(None);
    }
    let version = gauge_core::FRAME_VERSION.to_string();
    let properties = [("path", "/usage"), ("v", version.as_str())];
    let info = if ip.is_unspecified() {
        ServiceInfo::new(
            SERVICE_TYPE,
            INSTANCE_NAME,
            HOST_NAME,
            (),
            bound.port(),
            &properties[..],
        )?
        .enable_addr_auto()
    } else {
        ServiceInfo::new(
            SERVICE_TYPE,
            INSTANCE_NAME,
            HOST_NAME,
            ip,
            bound.port(),
            &properties[..],
        )?
    };
    Ok(Some(info))
}

/// A running advertisement.
pub(crate) struct Advertiser {
    daemon: ServiceDaemon,
    fullname: String,
}

impl Advertiser {
    /// Starts advertising a daemon bound to `bound`; `Ok(None)` on loopback.
    pub(crate) fn start(bound: SocketAddr) -> Result<Option<Advertiser>, MdnsError> {
        let Some(info) = service_info(bound)? else {
            return Ok(None);
        };
        let daemon = ServiceDaemon::new()?;
        let fullname = info.get_fullname().to_string();
        daemon.register(info)?;
        Ok(Some(Advertiser { daemon, fullname }))
    }
}

impl Drop for Advertiser {
    /// Withdraws the service and stops the mDNS thread (best effort, does not block).
    fn drop(&mut self) {
        let _ = self.daemon.unregister(&self.fullname);
        let _ = self.daemon.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_advertises_nothing() {
        assert!(service_info("127.0.0.1:8765".parse().unwrap())
            .unwrap()
            .is_none());
        assert!(service_info("[::1]:8765".parse().unwrap())
            .unwrap()
            .is_none());
    }

    #[test]
    fn a_lan_address_advertises_the_port_address_and_path() {
        let info = service_info("192.168.1.20:9000".parse().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(info.get_type(), SERVICE_TYPE);
        assert_eq!(
            info.get_fullname(),
            "claude-gauge._claude-gauge._tcp.local."
        );
        assert_eq!(info.get_hostname(), HOST_NAME);
        assert_eq!(info.get_port(), 9000);
        assert!(info
            .get_addresses_v4()
            .contains(&"192.168.1.20".parse::<std::net::Ipv4Addr>().unwrap()));
        assert_eq!(info.get_property_val_str("path"), Some("/usage"));
        assert_eq!(info.get_property_val_str("v"), Some("1"));
        assert!(!info.is_addr_auto());
    }

    #[test]
    fn an_unspecified_address_advertises_every_interface() {
        let info = service_info("0.0.0.0:8765".parse().unwrap())
            .unwrap()
            .unwrap();
        assert!(info.is_addr_auto());
        assert!(info.get_addresses_v4().is_empty());
    }
}
