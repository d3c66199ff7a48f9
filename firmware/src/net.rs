//! The Wi-Fi link: station connection, the network stack, and the daemon poller.
//!
//! Ownership and shutdown: the three tasks run forever. `connection_task` owns the Wi-Fi
//! controller and reconnects after any drop; `net_task` runs embassy-net; `daemon_task` finds
//! the daemon (a configured host, else mDNS) and polls `GET /usage` about once a second,
//! handing each decoded frame to the motor task. A failed poll just waits for the next one:
//! the link watchdog in gauge-core lights STALL if they keep failing.

use core::fmt::Write as _;

use embassy_net::dns::DnsSocket;
use embassy_net::tcp::client::{TcpClient, TcpClientState};
use embassy_net::{Runner, Stack};
use embassy_time::{Duration, Timer};
use esp_radio::wifi::sta::StationConfig;
use esp_radio::wifi::{AuthenticationMethodConfig, Config, Interface, WifiController};
use gauge_core::{decode_frame, FRAME_MAX_LEN};
use reqwless::client::HttpClient;
use reqwless::request::Method;

use crate::cluster_task::LATEST_FRAME;
use crate::mdns;

/// How often `/usage` is fetched.
const POLL_PERIOD: Duration = Duration::from_millis(1_000);
/// Wait before reconnecting Wi-Fi or retrying discovery.
const RETRY_DELAY: Duration = Duration::from_secs(5);
/// The daemon's default port (docs/protocol.md).
const DEFAULT_DAEMON_PORT: u16 = 8765;
/// Room for the response head plus the largest frame.
const HTTP_RX_LEN: usize = 1_024;

/// Build-time settings (env vars read by `option_env!`; see docs/hardware.md).
pub(crate) struct WifiSettings {
    pub(crate) ssid: &'static str,
    pub(crate) password: &'static str,
    /// `host` or `host:port`; mDNS discovery when `None`.
    pub(crate) daemon_host: Option<&'static str>,
}

/// Keeps the station connected.
#[embassy_executor::task]
pub(crate) async fn connection_task(
    mut controller: WifiController<'static>,
    settings: WifiSettings,
) {
    let auth = match settings.password {
        "" => AuthenticationMethodConfig::Open,
        password => match password.try_into() {
            Ok(password) => AuthenticationMethodConfig::Wpa2Personal(password),
            Err(_) => return log::error!("wifi: GAUGE_WIFI_PASSWORD is too long (max 64 bytes)"),
        },
    };
    let Ok(ssid) = settings.ssid.try_into() else {
        return log::error!("wifi: GAUGE_WIFI_SSID is too long (max 32 bytes)");
    };
    let config = Config::Station(
        StationConfig::default()
            .with_ssid(ssid)
            .with_authentication(auth),
    );
    if let Err(err) = controller.set_config(&config) {
        return log::error!("wifi: configuration refused: {err:?}");
    }
    loop {
        match controller.connect_async().await {
            Ok(_) => {
                log::info!("wifi: connected to {}", settings.ssid);
                let _ = controller.wait_for_disconnect_async().await;
                log::warn!("wifi: disconnected");
            }
            Err(err) => log::warn!("wifi: connect failed: {err:?}"),
        }
        Timer::after(RETRY_DELAY).await;
    }
}

/// Runs the network stack.
#[embassy_executor::task]
pub(crate) async fn net_task(mut runner: Runner<'static, Interface>) {
    runner.run().await
}

/// Finds the daemon and polls it forever.
#[embassy_executor::task]
pub(crate) async fn daemon_task(stack: Stack<'static>, daemon_host: Option<&'static str>) {
    let state = TcpClientState::<1, 1024, 1024>::new();
    let tcp = TcpClient::new(stack, &state);
    let dns = DnsSocket::new(stack);
    let mut client = HttpClient::new(&tcp, &dns);
    let mut rx = [0u8; HTTP_RX_LEN];
    loop {
        stack.wait_config_up().await;
        let mut url = heapless::String::<96>::new();
        let written = match daemon_host {
            Some(host) if host.contains(':') => write!(url, "http://{host}/usage"),
            Some(host) => write!(url, "http://{host}:{DEFAULT_DAEMON_PORT}/usage"),
            None => match mdns::discover(stack).await {
                Some(addr) => write!(url, "http://{}:{}/usage", addr.ip(), addr.port()),
                None => {
                    log::warn!("daemon: no _claude-gauge._tcp answer; retrying");
                    Timer::after(RETRY_DELAY).await;
                    continue;
                }
            },
        };
        if written.is_err() {
            return log::error!("daemon: GAUGE_DAEMON_HOST is too long");
        }
        log::info!("daemon: polling {url}");
        let mut failures = 0u32;
        while failures < 10 {
            match poll_once(&mut client, &url, &mut rx).await {
                Ok(()) => failures = 0,
                Err(err) => {
                    failures += 1;
                    log::warn!("daemon: {err}");
                }
            }
            Timer::after(POLL_PERIOD).await;
        }
        // Ten failures in a row: the daemon may have moved; look for it again.
    }
}

async fn poll_once(
    client: &mut HttpClient<'_, TcpClient<'_, 1, 1024, 1024>, DnsSocket<'_>>,
    url: &str,
    rx: &mut [u8],
) -> Result<(), &'static str> {
    let mut request = client
        .request(Method::GET, url)
        .await
        .map_err(|_| "connect failed")?;
    let response = request.send(rx).await.map_err(|_| "request failed")?;
    if !response.status.is_successful() {
        return Err("non-2xx status");
    }
    let body = response
        .body()
        .read_to_end()
        .await
        .map_err(|_| "body read failed")?;
    if body.len() > FRAME_MAX_LEN {
        return Err("frame too long");
    }
    let frame = decode_frame(body).map_err(|_| "bad frame")?;
    LATEST_FRAME.signal(frame);
    Ok(())
}
