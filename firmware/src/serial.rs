//! The USB serial-JTAG link: newline-delimited frames from `claude-gauge serial` (or any tool
//! that writes the `/usage` JSON followed by `\n`). Needs no Wi-Fi: the cluster works on a
//! USB cable alone.

use embedded_io_async::Read;
use esp_hal::usb::usb_serial_jtag::UsbSerialJtagRx;
use esp_hal::Async;
use gauge_core::{decode_frame, LineBuffer, LinePush, FRAME_MAX_LEN};

use crate::cluster_task::LATEST_FRAME;

/// Reads lines forever and hands every frame that decodes to the motor task.
#[embassy_executor::task]
pub(crate) async fn serial_task(mut rx: UsbSerialJtagRx<'static, Async>) {
    let mut lines = LineBuffer::<FRAME_MAX_LEN>::new();
    let mut chunk = [0u8; 64];
    loop {
        // The USB serial-JTAG read cannot fail (its error type is `Infallible`).
        let Ok(len) = rx.read(&mut chunk).await;
        for &byte in &chunk[..len] {
            match lines.push(byte) {
                LinePush::Line => match decode_frame(lines.line()) {
                    Ok(frame) => LATEST_FRAME.signal(frame),
                    Err(err) => log::warn!("serial: bad frame ({err:?}), skipped"),
                },
                LinePush::Overflowed => {
                    log::warn!("serial: line over {FRAME_MAX_LEN} bytes, skipped")
                }
                LinePush::Incomplete => {}
            }
        }
    }
}
