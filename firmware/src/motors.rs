//! The three motors behind one face: a step for a gauge becomes pin edges through gauge-core's
//! drivers ([`DirectDrive`] or [`StepDir`]). Owned by the motor task alone.

use core::convert::Infallible;

#[cfg(feature = "direct-drive")]
use esp_hal::gpio::DriveStrength;
use esp_hal::gpio::{Level, Output, OutputConfig};
#[cfg(feature = "direct-drive")]
use gauge_core::DirectDrive;
#[cfg(not(feature = "direct-drive"))]
use gauge_core::StepDir;
use gauge_core::{Gauge, Step, Vid6606Reset};

use crate::pins::MotorPins;

/// Coils are released after this long without a step (direct drive: saves ~120 mA at rest).
#[cfg(feature = "direct-drive")]
const DE_ENERGISE_AFTER_US: u32 = 2_000_000;

/// The three motor drivers.
pub(crate) struct Motors {
    #[cfg(feature = "direct-drive")]
    drives: [DirectDrive<Output<'static>>; 3],
    #[cfg(not(feature = "direct-drive"))]
    channels: [StepDir<Output<'static>, esp_hal::delay::Delay>; 3],
}

fn output(pin: esp_hal::gpio::AnyPin<'static>) -> Output<'static> {
    // 40 mA drive for coils straight on the pins (docs/hardware.md, "Flyback protection");
    // harmless for logic inputs.
    #[cfg(feature = "direct-drive")]
    let config = OutputConfig::default().with_drive_strength(DriveStrength::_40mA);
    #[cfg(not(feature = "direct-drive"))]
    let config = OutputConfig::default();
    Output::new(pin, Level::Low, config)
}

fn ok(result: Result<(), Infallible>) {
    // esp-hal GPIO writes cannot fail.
    result.unwrap_or_else(|never| match never {});
}

impl Motors {
    /// Takes the motor pins; direct-drive coils are energised on state 0 ready for homing.
    pub(crate) fn new(pins: MotorPins) -> Motors {
        #[cfg(feature = "direct-drive")]
        {
            let drives = pins.map(|four| {
                let mut drive = DirectDrive::new(four.map(output))
                    .with_de_energise_after_us(DE_ENERGISE_AFTER_US);
                ok(drive.energise());
                drive
            });
            Motors { drives }
        }
        #[cfg(not(feature = "direct-drive"))]
        {
            let channels = pins.map(|[step, dir]| {
                StepDir::new(output(step), output(dir), esp_hal::delay::Delay::new())
            });
            Motors { channels }
        }
    }

    /// Applies one step of `gauge` taken at `now_us`.
    pub(crate) fn step(&mut self, gauge: Gauge, step: Step, now_us: u64) {
        #[cfg(feature = "direct-drive")]
        ok(self.drives[gauge.index()].step(step, now_us));
        #[cfg(not(feature = "direct-drive"))]
        {
            let _ = now_us;
            ok(self.channels[gauge.index()].step(step));
        }
    }

    /// Idle housekeeping (direct drive releases idle coils).
    pub(crate) fn service(&mut self, now_us: u64) {
        #[cfg(feature = "direct-drive")]
        for drive in &mut self.drives {
            ok(drive.service(now_us));
        }
        #[cfg(not(feature = "direct-drive"))]
        let _ = now_us;
    }
}

/// Releases the VID6606 from reset (if the firmware owns the pin) before homing.
pub(crate) fn release_vid6606(pin: Option<esp_hal::gpio::AnyPin<'static>>) {
    if let Some(pin) = pin {
        let mut reset = Vid6606Reset::new(Output::new(pin, Level::Low, OutputConfig::default()));
        ok(reset.hold());
        esp_hal::delay::Delay::new().delay_millis(1);
        ok(reset.release());
        // The line must stay high for the life of the program.
        core::mem::forget(reset.into_pin());
    }
}
