//! The Wi-Fi link: station connection, the network stack, and the daemon follower.
//!
//! Settings come from flash (`claude-gauge device setup`; nothing is baked in at build time).
//! Ownership and shutdown: the three tasks run forever. `connection_task` owns the Wi-Fi
//! controller and reconnects after any drop; `net_task` runs embassy-net; `daemon_task` finds
//! the daemon (the stored host, else mDNS), follows `GET /events` through gauge-core's
//! `SseParser`, and polls `GET /usage` while the stream is refused; when to retry and when to
//! poll is gauge-core's `LinkPlan`. It sends the stored read token as `Authorization: Bearer`.
//! Each frame goes to the motor task; if frames stop, gauge-core's link watchdog lights STALL.

use core::fmt::Write as _;

use embassy_net::dns::DnsSocket;
use embassy_net::tcp::client::{TcpClient, TcpClientState};
use embassy_net::{Runner, Stack};
use embassy_time::{Duration, Instant, Timer};
use embedded_io_async::Read as _;
use esp_radio::wifi::sta::StationConfig;
use esp_radio::wifi::{AuthenticationMethodConfig, Config, Interface, WifiController};
use gauge_core::{
    decode_frame, DeviceSettings, LinkMode, LinkOutcome, LinkPlan, SseParser, SsePush,
    FRAME_MAX_LEN,
};
use reqwless::client::HttpClient;
use reqwless::request::{Method, RequestBuilder};

use crate::cluster_task::LATEST_FRAME;
use crate::mdns;

/// Wait before reconnecting Wi-Fi or retrying discovery.
const RETRY_DELAY: Duration = Duration::from_secs(5);
/// Room for the response head plus the largest frame (and the body reader's buffer).
const HTTP_RX_LEN: usize = 1_024 + FRAME_MAX_LEN;
/// The SSE parser's line and data buffers: a `data: ` line of the longest frame fits.
const SSE_BUFFER_LEN: usize = FRAME_MAX_LEN + 16;
/// Unreachable attempts in a row after which an mDNS-found daemon is looked for again.
const REDISCOVER_AFTER: u32 = 5;
/// Longer than the daemon's 10 s keep-alive: silence this long means the stream is dead.
const STREAM_SILENCE: Duration = Duration::from_secs(25);

type Client<'a> = HttpClient<'a, TcpClient<'a, 1, 1024, 1024>, DnsSocket<'a>>;

/// Keeps the station connected to the stored network.
#[embassy_executor::task]
pub(crate) async fn connection_task(
    mut controller: WifiController<'static>,
    settings: &'static DeviceSettings,
) {
    let auth = match settings.wifi_password.as_str() {
        "" => AuthenticationMethodConfig::Open,
        password => match password.try_into() {
            Ok(password) => AuthenticationMethodConfig::Wpa2Personal(password),
            Err(_) => return log::error!("wifi: the stored password is too long"),
        },
    };
    let Ok(ssid) = settings.wifi_ssid.as_str().try_into() else {
        return log::error!("wifi: the stored SSID is too long");
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
                log::info!("wifi: connected to {}", settings.wifi_ssid.as_str());
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

/// Finds the daemon and follows it forever.
#[embassy_executor::task]
pub(crate) async fn daemon_task(
    stack: Stack<'static>,
    settings: &'static DeviceSettings,
    seed: u32,
) {
    let state = TcpClientState::<1, 1024, 1024>::new();
    let tcp = TcpClient::new(stack, &state);
    let dns = DnsSocket::new(stack);
    let mut client = HttpClient::new(&tcp, &dns);
    let mut rx = [0u8; HTTP_RX_LEN];
    let mut bearer = heapless::String::<80>::new();
    if !settings.token.is_empty() && write!(bearer, "Bearer {}", settings.token.as_str()).is_err() {
        return log::error!("daemon: the stored token is too long");
    }
    let mut random = seed;
    let mut plan = LinkPlan::default();
    loop {
        stack.wait_config_up().await;
        let mut base = heapless::String::<96>::new();
        let written = match settings.daemon_addr() {
            Some((host, port)) => write!(base, "http://{host}:{port}"),
            None => match mdns::discover(stack).await {
                Some(addr) => write!(base, "http://{}:{}", addr.ip(), addr.port()),
                None => {
                    log::warn!("daemon: no _claude-gauge._tcp answer; retrying");
                    Timer::after(RETRY_DELAY).await;
                    continue;
                }
            },
        };
        if written.is_err() {
            return log::error!("daemon: the stored address is too long");
        }
        log::info!("daemon: following {base}");
        let mut unreachable = 0u32;
        while unreachable < REDISCOVER_AFTER || settings.daemon_addr().is_some() {
            let now_ms = Instant::now().as_millis();
            let outcome = match plan.mode(now_ms) {
                LinkMode::Events => follow_events(&mut client, &base, &bearer, &mut rx).await,
                LinkMode::Poll => poll_once(&mut client, &base, &bearer, &mut rx).await,
            };
            unreachable = match outcome {
                LinkOutcome::Unreachable => unreachable + 1,
                _ => 0,
            };
            // xorshift32: jitter for the backoff, seeded from the hardware RNG.
            random ^= random << 13;
            random ^= random >> 17;
            random ^= random << 5;
            let delay_ms = plan.after(outcome, Instant::now().as_millis(), random);
            Timer::after_millis(u64::from(delay_ms)).await;
        }
        // Unreachable again and again: the daemon may have moved; look for it again.
    }
}

/// One `/events` connection, read until it ends.
async fn follow_events(
    client: &mut Client<'_>,
    base: &str,
    bearer: &str,
    rx: &mut [u8],
) -> LinkOutcome {
    let mut url = heapless::String::<104>::new();
    if write!(url, "{base}/events").is_err() {
        return LinkOutcome::Refused;
    }
    let Ok(request) = client.request(Method::GET, &url).await else {
        return LinkOutcome::Unreachable;
    };
    let auth = [("Authorization", bearer)];
    let headers: &[(&str, &str)] = if bearer.is_empty() { &[] } else { &auth };
    let mut request = request.headers(headers);
    let Ok(response) = request.send(rx).await else {
        return LinkOutcome::Unreachable;
    };
    let is_stream = response.headers().any(|(name, value)| {
        name.eq_ignore_ascii_case("content-type") && value.starts_with(b"text/event-stream")
    });
    if !response.status.is_successful() || !is_stream {
        log::warn!("daemon: /events refused ({:?})", response.status);
        return LinkOutcome::Refused;
    }
    log::info!("daemon: following /events");
    let mut body = response.body().reader();
    let mut parser = SseParser::<SSE_BUFFER_LEN>::new();
    let mut chunk = [0u8; 128];
    let mut frames = 0u32;
    loop {
        let read = embassy_time::with_timeout(STREAM_SILENCE, body.read(&mut chunk)).await;
        let len = match read {
            Ok(Ok(len)) if len > 0 => len,
            _ => break,
        };
        for &byte in &chunk[..len] {
            match parser.push(byte) {
                SsePush::Event if parser.event().name == b"frame" => {
                    match decode_frame(parser.event().data) {
                        Ok(frame) => {
                            frames += 1;
                            LATEST_FRAME.signal(frame);
                        }
                        Err(err) => log::warn!("daemon: bad frame ({err:?}), skipped"),
                    }
                }
                SsePush::Dropped => log::warn!("daemon: an over-long event, skipped"),
                SsePush::Event | SsePush::Incomplete => {}
            }
        }
    }
    log::warn!("daemon: /events ended after {frames} frames");
    if frames > 0 {
        LinkOutcome::Ended
    } else {
        LinkOutcome::Refused
    }
}

/// One `GET /usage`.
async fn poll_once(
    client: &mut Client<'_>,
    base: &str,
    bearer: &str,
    rx: &mut [u8],
) -> LinkOutcome {
    let mut url = heapless::String::<104>::new();
    if write!(url, "{base}/usage").is_err() {
        return LinkOutcome::Refused;
    }
    let Ok(request) = client.request(Method::GET, &url).await else {
        return LinkOutcome::Unreachable;
    };
    let auth = [("Authorization", bearer)];
    let headers: &[(&str, &str)] = if bearer.is_empty() { &[] } else { &auth };
    let mut request = request.headers(headers);
    let Ok(response) = request.send(rx).await else {
        return LinkOutcome::Unreachable;
    };
    if !response.status.is_successful() {
        return LinkOutcome::Refused;
    }
    let Ok(body) = response.body().read_to_end().await else {
        return LinkOutcome::Unreachable;
    };
    if body.len() > FRAME_MAX_LEN {
        return LinkOutcome::Refused;
    }
    match decode_frame(body) {
        Ok(frame) => {
            LATEST_FRAME.signal(frame);
            LinkOutcome::Frame
        }
        Err(_) => LinkOutcome::Refused,
    }
}
