//! The lamp task: what gauge-core says each annunciator shows becomes 74HC595 outputs, and the
//! brightness becomes the PWM duty on the 595's OE. With a light sensor fitted, it also runs
//! the night dimmer.

use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embassy_sync::signal::Signal;
use embassy_time::{Duration, Ticker};
use esp_hal::gpio::{Level, Output, OutputConfig};
use esp_hal::ledc::channel::{Channel, ChannelIFace};
use esp_hal::ledc::LowSpeed;
use gauge_core::{DimmerConfig, LampOutput};

use crate::cluster_task::{now_us, with_cluster};
use crate::pins::LAMP_SHIFT_BITS;

/// New night-dimming settings from the setup protocol (`None`: off, fixed brightness).
pub(crate) static DIMMER: Signal<CriticalSectionRawMutex, Option<DimmerConfig>> = Signal::new();

/// Lamp refresh period: well under the 125 ms half-period of the fast flash.
const LAMP_REFRESH: Duration = Duration::from_millis(20);

/// The 74HC595 that switches the ULN2003A inputs.
pub(crate) struct ShiftRegister {
    pub(crate) data: Output<'static>,
    pub(crate) clock: Output<'static>,
    pub(crate) latch: Output<'static>,
}

impl ShiftRegister {
    /// Takes the three pins, all low.
    pub(crate) fn new(
        data: esp_hal::gpio::AnyPin<'static>,
        clock: esp_hal::gpio::AnyPin<'static>,
        latch: esp_hal::gpio::AnyPin<'static>,
    ) -> ShiftRegister {
        let out = |pin| Output::new(pin, Level::Low, OutputConfig::default());
        ShiftRegister {
            data: out(data),
            clock: out(clock),
            latch: out(latch),
        }
    }

    /// Shifts `bits` out MSB first (Q7 first) and latches them onto the outputs.
    fn write(&mut self, bits: u8) {
        for bit in (0..8).rev() {
            self.data.set_level(Level::from(bits & (1 << bit) != 0));
            self.clock.set_high();
            self.clock.set_low();
        }
        self.latch.set_high();
        self.latch.set_low();
    }
}

/// The 595 bit pattern for a set of lamp outputs: an output is on while any lamp on it is on
/// (lamps without a 595 output stay dark).
fn shift_bits(outputs: &[LampOutput]) -> u8 {
    outputs
        .iter()
        .zip(LAMP_SHIFT_BITS)
        .filter_map(|(output, bit)| bit.filter(|_| output.is_on))
        .fold(0, |bits, bit| bits | (1 << bit))
}

/// Refreshes the lamps forever. `enable` is the LEDC channel on the 595's active-low OE.
#[embassy_executor::task]
pub(crate) async fn lamp_task(mut shift: ShiftRegister, enable: Channel<'static, LowSpeed>) {
    let mut ticker = Ticker::every(LAMP_REFRESH);
    let mut shown: Option<(u8, u8)> = None;
    loop {
        let now = now_us();
        let state = with_cluster(|cluster| {
            (
                shift_bits(&cluster.lamp_outputs(now)),
                cluster.lamps().brightness_pct(),
            )
        });
        if let Some((bits, brightness_pct)) = state {
            if shown != Some((bits, brightness_pct)) {
                shift.write(bits);
                // OE is active low: the duty the LEDs see is the low time.
                if enable.set_duty(100 - brightness_pct.min(100)).is_err() {
                    log::warn!("lamp dimming: LEDC refused duty {brightness_pct}");
                }
                shown = Some((bits, brightness_pct));
            }
        }
        ticker.next().await;
    }
}

/// Samples the light sensor and feeds the night dimmer (ESP32-C6 with a VID6606); `config` is
/// the stored setting (`None`: night dimming off), replaced by any [`DIMMER`] signal.
#[cfg(all(feature = "esp32c6", not(feature = "direct-drive")))]
#[embassy_executor::task]
pub(crate) async fn light_task(
    config: Option<DimmerConfig>,
    mut adc: esp_hal::analog::adc::Adc<
        'static,
        esp_hal::peripherals::ADC1<'static>,
        esp_hal::Blocking,
    >,
    mut pin: esp_hal::analog::adc::AdcPin<
        crate::pins::LightSensorPin,
        esp_hal::peripherals::ADC1<'static>,
    >,
) {
    let mut dimmer = config.map(gauge_core::NightDimmer::new);
    let mut ticker = Ticker::every(Duration::from_millis(250));
    loop {
        if let Some(config) = DIMMER.try_take() {
            dimmer = config.map(gauge_core::NightDimmer::new);
        }
        if let (Some(dimmer), Ok(raw)) = (&mut dimmer, nb::block!(adc.read_oneshot(&mut pin))) {
            let brightness_pct = dimmer.update(raw);
            with_cluster(|cluster| cluster.set_brightness_pct(brightness_pct));
        }
        ticker.next().await;
    }
}
