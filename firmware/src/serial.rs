//! The USB serial-JTAG link: newline-delimited frames from `claude-gauge serve --serial` (or any
//! tool that writes the `/usage` JSON followed by `\n`), and the setup protocol beside them
//! (`docs/protocol.md`, "Device setup"): a line that starts with `{` is a frame, any other a
//! setup command for gauge-core's `SetupSession`. Needs no Wi-Fi: the cluster works on a USB
//! cable alone, and `claude-gauge device setup` stores its Wi-Fi settings through this port.
//!
//! Replies go out through esp-println, the same writer as the log, so a reply line and a log
//! line never interleave; the host reads only the lines that start with `@`.

use embedded_io_async::Read;
use esp_hal::usb::usb_serial_jtag::UsbSerialJtagRx;
use esp_hal::Async;
use gauge_core::{
    decode_frame, ClusterConfig, Gauge, LineBuffer, LinePush, SetupEffect, SetupSession,
    FRAME_MAX_LEN,
};

use crate::cluster_task::{now_us, with_cluster, LATEST_FRAME};
use crate::lamps::DIMMER;
use crate::storage::SettingsFlash;

/// The longest reply to one command (`show` is about 400 bytes).
const REPLY_MAX_LEN: usize = 768;

/// Reads lines forever: frames to the motor task, setup commands to `session`.
#[embassy_executor::task]
pub(crate) async fn serial_task(
    mut rx: UsbSerialJtagRx<'static, Async>,
    mut session: SetupSession,
    mut flash: Option<SettingsFlash>,
    base: ClusterConfig,
) {
    let mut lines = LineBuffer::<FRAME_MAX_LEN>::new();
    let mut chunk = [0u8; 64];
    loop {
        // The USB serial-JTAG read cannot fail (its error type is `Infallible`).
        let Ok(len) = rx.read(&mut chunk).await;
        for &byte in &chunk[..len] {
            match lines.push(byte) {
                LinePush::Line if lines.line().first() == Some(&b'{') => {
                    match decode_frame(lines.line()) {
                        Ok(frame) => LATEST_FRAME.signal(frame),
                        Err(err) => log::warn!("serial: bad frame ({err:?}), skipped"),
                    }
                }
                LinePush::Line => {
                    let line = lines.line();
                    setup_line(line, &mut session, &mut flash, &base).await;
                }
                LinePush::Overflowed => {
                    log::warn!("serial: line over {FRAME_MAX_LEN} bytes, skipped")
                }
                LinePush::Incomplete => {}
            }
        }
    }
}

/// Answers one setup command and carries out its effect.
async fn setup_line(
    line: &[u8],
    session: &mut SetupSession,
    flash: &mut Option<SettingsFlash>,
    base: &ClusterConfig,
) {
    let mut reply = heapless::String::<REPLY_MAX_LEN>::new();
    let now = now_us();
    match session.handle_line(line, &mut reply) {
        SetupEffect::None => {}
        SetupEffect::Apply => {
            let settings = *session.settings();
            let config = settings.cluster_config(*base);
            with_cluster(|cluster| {
                cluster.set_dials(Gauge::ALL.map(|gauge| *config.dial(gauge)), now);
                cluster.set_brightness_pct(settings.brightness_pct);
            });
            DIMMER.signal(settings.dimmer_config(gauge_core::DimmerConfig::default()));
        }
        SetupEffect::Save => {
            let stored = match flash {
                Some(flash) => flash.store(session.settings()).await,
                None => Err("no flash partition for settings"),
            };
            session.finish_save(stored, &mut reply);
        }
        SetupEffect::Point {
            gauge,
            position_steps,
        } => {
            with_cluster(|cluster| cluster.point_needle(gauge, Some(position_steps), now));
        }
        SetupEffect::Release => {
            with_cluster(|cluster| {
                for gauge in Gauge::ALL {
                    cluster.point_needle(gauge, None, now);
                }
            });
        }
        SetupEffect::Restart => {
            esp_println::print!("{reply}");
            // Let the reply leave the USB FIFO before the chip resets.
            embassy_time::Timer::after_millis(100).await;
            esp_hal::system::software_reset();
        }
    }
    esp_println::print!("{reply}");
}
