//! The pin map: which GPIO does what, per chip and motor driver. The only file with chip
//! differences, so a new board touches nothing else; `docs/hardware.md` shows the same tables
//! with wiring.
//!
//! Rules behind every choice: no strapping pins (C3: 2, 8, 9; C6: 4, 5, 8, 9, 15), no flash
//! pins (C3: 11–17; C6: 24–30), no USB-serial-JTAG pins (C3: 18, 19; C6: 12, 13). The six
//! lamps hang off a 74HC595 whose active-low OE is the PWM dimming pin; a 10 kΩ pull-up on OE
//! keeps them dark while the chip boots. Newer lamps without a lamp of their own share one
//! ([`LAMP_SHIFT_BITS`]).

use esp_hal::gpio::AnyPin;

/// Motor pins in gauge order (5 h fuel, tach, 7 d fuel).
///
/// Direct drive: four per gauge, X27.168 pins 1..4 in order. VID6606: STEP then DIR per gauge.
#[cfg(feature = "direct-drive")]
pub(crate) type MotorPins = [[AnyPin<'static>; 4]; 3];
/// Motor pins in gauge order (5 h fuel, tach, 7 d fuel): STEP then DIR per VID6606 channel.
#[cfg(not(feature = "direct-drive"))]
pub(crate) type MotorPins = [[AnyPin<'static>; 2]; 3];

/// Every pin the firmware drives, moved out of the peripherals by [`board_pins!`].
pub(crate) struct BoardPins {
    /// The motors.
    pub(crate) motors: MotorPins,
    /// The VID6606's RESET (10 kΩ pull-down); `None` where an RC network releases it.
    pub(crate) vid6606_reset: Option<AnyPin<'static>>,
    /// 74HC595 SER (pin 14).
    pub(crate) lamp_data: AnyPin<'static>,
    /// 74HC595 SRCLK (pin 11).
    pub(crate) lamp_clock: AnyPin<'static>,
    /// 74HC595 RCLK (pin 12).
    pub(crate) lamp_latch: AnyPin<'static>,
    /// 74HC595 OE (pin 13, active low): LEDC PWM for dimming.
    pub(crate) lamp_enable: AnyPin<'static>,
}

/// Which 74HC595 output (Q0..Q7) lights each lamp, in `gauge_core::Lamp::ALL` order (HOT,
/// WARN_5H, WARN_7D, LIMIT, STALL, IDLE, WARN_OPUS, WARN_SONNET, WARN_SCOPED, CREDITS). The
/// panel has eight lamps: WARN_SCOPED (a model-scoped weekly limit at warning) flashes the
/// WARN 7D lamp, the weekly caution it belongs to; CREDITS has no lamp on this panel.
pub(crate) const LAMP_SHIFT_BITS: [Option<u8>; gauge_core::Lamp::COUNT] = [
    Some(0),
    Some(1),
    Some(2),
    Some(3),
    Some(4),
    Some(5),
    Some(6),
    Some(7),
    Some(2),
    None,
];

/// The optional light sensor (LDR divider) on an ADC1 pin: ESP32-C6 with a VID6606 only.
#[cfg(all(feature = "esp32c6", not(feature = "direct-drive")))]
pub(crate) type LightSensorPin = esp_hal::peripherals::GPIO6<'static>;

#[cfg(all(feature = "esp32c3", feature = "direct-drive"))]
compile_error!("direct drive needs 12 motor GPIOs; an ESP32-C3 has 8 clean ones: use a VID6606");

/// Moves the board's pins out of `$p` (an `esp_hal::peripherals::Peripherals`).
#[cfg(all(feature = "esp32c6", feature = "direct-drive"))]
macro_rules! board_pins {
    ($p:ident) => {
        $crate::pins::BoardPins {
            motors: [
                [
                    $p.GPIO0.into(),
                    $p.GPIO1.into(),
                    $p.GPIO2.into(),
                    $p.GPIO3.into(),
                ],
                [
                    $p.GPIO6.into(),
                    $p.GPIO7.into(),
                    $p.GPIO10.into(),
                    $p.GPIO11.into(),
                ],
                [
                    $p.GPIO18.into(),
                    $p.GPIO19.into(),
                    $p.GPIO20.into(),
                    $p.GPIO21.into(),
                ],
            ],
            vid6606_reset: None,
            lamp_data: $p.GPIO22.into(),
            lamp_clock: $p.GPIO23.into(),
            lamp_latch: $p.GPIO16.into(),
            lamp_enable: $p.GPIO17.into(),
        }
    };
}

/// Moves the board's pins out of `$p` (an `esp_hal::peripherals::Peripherals`).
#[cfg(all(feature = "esp32c6", not(feature = "direct-drive")))]
macro_rules! board_pins {
    ($p:ident) => {
        $crate::pins::BoardPins {
            motors: [
                [$p.GPIO18.into(), $p.GPIO19.into()],
                [$p.GPIO20.into(), $p.GPIO21.into()],
                [$p.GPIO22.into(), $p.GPIO23.into()],
            ],
            vid6606_reset: Some($p.GPIO10.into()),
            lamp_data: $p.GPIO2.into(),
            lamp_clock: $p.GPIO3.into(),
            lamp_latch: $p.GPIO11.into(),
            lamp_enable: $p.GPIO7.into(),
        }
    };
}

/// Moves the board's pins out of `$p` (an `esp_hal::peripherals::Peripherals`).
#[cfg(feature = "esp32c3")]
macro_rules! board_pins {
    ($p:ident) => {
        $crate::pins::BoardPins {
            motors: [
                [$p.GPIO0.into(), $p.GPIO1.into()],
                [$p.GPIO3.into(), $p.GPIO4.into()],
                [$p.GPIO5.into(), $p.GPIO6.into()],
            ],
            // RESET is released by an RC delay on the board: the C3 has no pin to spare.
            vid6606_reset: None,
            lamp_data: $p.GPIO10.into(),
            lamp_clock: $p.GPIO20.into(),
            lamp_latch: $p.GPIO21.into(),
            lamp_enable: $p.GPIO7.into(),
        }
    };
}

/// Moves the board's pins out of `$p` (classic ESP32 DevKitC, VID6606; built with espup).
#[cfg(feature = "esp32")]
macro_rules! board_pins {
    ($p:ident) => {
        $crate::pins::BoardPins {
            motors: [
                [$p.GPIO25.into(), $p.GPIO26.into()],
                [$p.GPIO32.into(), $p.GPIO33.into()],
                [$p.GPIO27.into(), $p.GPIO13.into()],
            ],
            vid6606_reset: Some($p.GPIO4.into()),
            lamp_data: $p.GPIO16.into(),
            lamp_clock: $p.GPIO17.into(),
            lamp_latch: $p.GPIO18.into(),
            lamp_enable: $p.GPIO19.into(),
        }
    };
}

pub(crate) use board_pins;
