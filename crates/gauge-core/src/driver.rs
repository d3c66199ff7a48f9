//! Drivers: turn [`Step`]s from the motion into pin levels over `embedded-hal` 1.0 `OutputPin`.
//!
//! [`DirectDrive`] drives an X27.168's four pins with the 6-state partial-step sequence;
//! [`StepDir`] drives one channel of a VID6606 / AX1201728SG (one rising edge per microstep) and
//! [`Vid6606Reset`] owns the chip's shared RESET line. Time is an input here too: idle
//! de-energising is decided by `now_us`.

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::OutputPin;

use crate::motion::Step;
use crate::time::has_elapsed;

/// The six coil patterns of partial-step mode; bit 0 is motor pin 1, bit 3 is motor pin 4.
///
/// SP-X27-e-C Fig. 8 (coil 1 = pin1−pin2, coil 2 = pin4−pin3), as in SwitecX25's `stateMap`
/// (clearwater/SwitecX25 `SwitecX25.cpp`, HEAD 45a336e). Stepping up advances one state.
pub const PARTIAL_STEP_STATES: [u8; 6] = [0b1001, 0b0001, 0b0111, 0b0110, 0b1110, 0b1000];

/// An X27.168 driven straight from four GPIOs (motor pins 1..4 in order).
///
/// Owns its pins; starts de-energised on state 0 without touching them. Call
/// [`DirectDrive::energise`] before homing so the rotor is held on state 0.
#[derive(Debug)]
pub struct DirectDrive<P> {
    pins: [P; 4],
    state_index: u8,
    is_energised: bool,
    de_energise_after_us: Option<u32>,
    last_step_us: u64,
}

impl<P: OutputPin> DirectDrive<P> {
    /// A driver on `pins` (motor pin 1 first); coils stay powered until told otherwise.
    pub const fn new(pins: [P; 4]) -> DirectDrive<P> {
        DirectDrive {
            pins,
            state_index: 0,
            is_energised: false,
            de_energise_after_us: None,
            last_step_us: 0,
        }
    }

    /// Releases the coils after this long without a step; the next step re-energises the
    /// same state first, so the rotor (held by gear friction) does not jump.
    #[must_use]
    pub const fn with_de_energise_after_us(mut self, idle_us: u32) -> Self {
        self.de_energise_after_us = Some(idle_us);
        self
    }

    /// Powers the coils on the current state.
    pub fn energise(&mut self) -> Result<(), P::Error> {
        self.write(PARTIAL_STEP_STATES[usize::from(self.state_index)])?;
        self.is_energised = true;
        Ok(())
    }

    /// Drives all four pins low (no coil current); the state index is kept.
    pub fn de_energise(&mut self) -> Result<(), P::Error> {
        self.write(0)?;
        self.is_energised = false;
        Ok(())
    }

    /// Applies one step taken at `now_us`.
    pub fn step(&mut self, step: Step, now_us: u64) -> Result<(), P::Error> {
        if !self.is_energised {
            self.energise()?;
        }
        self.state_index = match step {
            Step::Up => (self.state_index + 1) % 6,
            Step::Down => (self.state_index + 5) % 6,
        };
        self.last_step_us = now_us;
        self.write(PARTIAL_STEP_STATES[usize::from(self.state_index)])
    }

    /// De-energises if the idle time has passed; call it from the poll loop.
    pub fn service(&mut self, now_us: u64) -> Result<(), P::Error> {
        match self.de_energise_after_us {
            Some(idle_us)
                if self.is_energised
                    && has_elapsed(now_us, self.last_step_us, u64::from(idle_us)) =>
            {
                self.de_energise()
            }
            _ => Ok(()),
        }
    }

    /// Which of [`PARTIAL_STEP_STATES`] the coils are on (or will resume on).
    pub const fn state_index(&self) -> u8 {
        self.state_index
    }

    /// Whether the coils are powered.
    pub const fn is_energised(&self) -> bool {
        self.is_energised
    }

    /// Gives the pins back.
    pub fn release(self) -> [P; 4] {
        self.pins
    }

    fn write(&mut self, pattern: u8) -> Result<(), P::Error> {
        for (bit, pin) in self.pins.iter_mut().enumerate() {
            if pattern & (1 << bit) != 0 {
                pin.set_high()?;
            } else {
                pin.set_low()?;
            }
        }
        Ok(())
    }
}

/// How long STEP is held high, and DIR set up before the edge: the VID6606 needs ≥450 ns and
/// ≥100 ns; SwitecX12 uses a 1 µs pulse.
pub const STEP_PULSE_NS: u32 = 1_000;

/// One VID6606 / AX1201728SG channel: a rising edge on STEP is one microstep (1/12°), DIR low
/// is up (clockwise), as in SwitecX12.
#[derive(Debug)]
pub struct StepDir<P, D> {
    step_pin: P,
    dir_pin: P,
    delay: D,
    heading: Option<Step>,
    is_dir_inverted: bool,
}

impl<P: OutputPin, D: DelayNs> StepDir<P, D> {
    /// A channel on `step_pin` and `dir_pin`; `delay` times the pulse (≈1 µs per step).
    pub const fn new(step_pin: P, dir_pin: P, delay: D) -> StepDir<P, D> {
        StepDir {
            step_pin,
            dir_pin,
            delay,
            heading: None,
            is_dir_inverted: false,
        }
    }

    /// DIR high is up instead (for a motor wired the other way round).
    #[must_use]
    pub const fn with_dir_inverted(mut self) -> Self {
        self.is_dir_inverted = true;
        self
    }

    /// Applies one microstep: sets DIR if it changed, then pulses STEP.
    pub fn step(&mut self, step: Step) -> Result<(), P::Error> {
        if self.heading != Some(step) {
            if (step == Step::Up) == self.is_dir_inverted {
                self.dir_pin.set_high()?;
            } else {
                self.dir_pin.set_low()?;
            }
            self.heading = Some(step);
            self.delay.delay_ns(STEP_PULSE_NS);
        }
        self.step_pin.set_high()?;
        self.delay.delay_ns(STEP_PULSE_NS);
        self.step_pin.set_low()
    }

    /// Gives the pins and the delay back.
    pub fn release(self) -> (P, P, D) {
        (self.step_pin, self.dir_pin, self.delay)
    }
}

/// The VID6606's RESET line, shared by its four channels: low holds every output off and
/// resets the chip's sequencer; high enables it.
///
/// Hold it low while the MCU boots (a pull-down does that), release it about 1 ms after power
/// is stable, then home. Releasing re-phases the chip, so RESET is not an idle de-energise:
/// the needle would jump; the VID6606 has no per-channel idle release.
#[derive(Debug)]
pub struct Vid6606Reset<P> {
    pin: P,
}

impl<P: OutputPin> Vid6606Reset<P> {
    /// Takes the RESET pin without touching it.
    pub const fn new(pin: P) -> Vid6606Reset<P> {
        Vid6606Reset { pin }
    }

    /// Drives RESET low: all outputs off.
    pub fn hold(&mut self) -> Result<(), P::Error> {
        self.pin.set_low()
    }

    /// Drives RESET high: the chip runs.
    pub fn release(&mut self) -> Result<(), P::Error> {
        self.pin.set_high()
    }

    /// Gives the pin back.
    pub fn into_pin(self) -> P {
        self.pin
    }
}

#[cfg(test)]
mod tests;
