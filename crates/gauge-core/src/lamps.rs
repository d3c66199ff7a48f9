//! Lamps: the frame's lit set -> what each annunciator shows, with the master-caution rule.
//!
//! Rule (also in `docs/gauge-core.md`): HOT, WARN_5H, WARN_7D, LIMIT, STALL, the model
//! lamps' WARN_OPUS and WARN_SONNET, WARN_SCOPED and CREDITS are cautions.
//! A caution that lights after being off for at least the re-arm time (or for the first time)
//! flashes (LIMIT and STALL fast, the others slow) until [`LampPanel::acknowledge`] (or the
//! optional auto-acknowledge time); then it burns steady. IDLE is advisory: steady, never
//! flashes. At boot every lamp burns for the lamp test. All flashing shares one phase, counted
//! from the panel's boot time, so lamps blink together and the same everywhere.

use crate::frame::{Lamp, Lamps};
use crate::time::has_elapsed;

/// A slow flash: 1 Hz, half on.
pub const SLOW_FLASH_PERIOD_US: u64 = 1_000_000;
/// A fast flash: 4 Hz, half on.
pub const FAST_FLASH_PERIOD_US: u64 = 250_000;

/// How a lamp shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LampPattern {
    /// Dark.
    Off,
    /// On.
    Steady,
    /// On and off at 1 Hz.
    SlowFlash,
    /// On and off at 4 Hz.
    FastFlash,
}

impl LampPattern {
    /// Whether the lamp is on `phase_us` after the flash epoch (each period starts on).
    pub const fn is_on_at(self, phase_us: u64) -> bool {
        match self {
            LampPattern::Off => false,
            LampPattern::Steady => true,
            LampPattern::SlowFlash => phase_us % SLOW_FLASH_PERIOD_US < SLOW_FLASH_PERIOD_US / 2,
            LampPattern::FastFlash => phase_us % FAST_FLASH_PERIOD_US < FAST_FLASH_PERIOD_US / 2,
        }
    }

    /// How `lamp` flashes while its caution is unacknowledged.
    pub const fn caution(lamp: Lamp) -> LampPattern {
        match lamp {
            Lamp::Limit | Lamp::Stall => LampPattern::FastFlash,
            Lamp::Hot
            | Lamp::Warn5h
            | Lamp::Warn7d
            | Lamp::WarnOpus
            | Lamp::WarnSonnet
            | Lamp::WarnScoped
            | Lamp::Credits => LampPattern::SlowFlash,
            Lamp::Idle => LampPattern::Steady,
        }
    }
}

/// Lamp timing and brightness. `Copy + Default` (2 s lamp test, full brightness, 30 s re-arm,
/// no auto-acknowledge).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LampConfig {
    lamp_test_us: u32,
    brightness_pct: u8,
    rearm_us: u32,
    auto_acknowledge_us: Option<u32>,
}

impl Default for LampConfig {
    fn default() -> Self {
        LampConfig {
            lamp_test_us: 2_000_000,
            brightness_pct: 100,
            rearm_us: 30_000_000,
            auto_acknowledge_us: None,
        }
    }
}

impl LampConfig {
    /// Lights every lamp this long at boot (0 = no lamp test).
    #[must_use]
    pub const fn with_lamp_test_us(mut self, lamp_test_us: u32) -> Self {
        self.lamp_test_us = lamp_test_us;
        self
    }

    /// Sets the starting brightness, percent (clamped to 100).
    #[must_use]
    pub const fn with_brightness_pct(mut self, brightness_pct: u8) -> Self {
        self.brightness_pct = if brightness_pct > 100 {
            100
        } else {
            brightness_pct
        };
        self
    }

    /// A caution must have been off this long to flash again when it relights.
    #[must_use]
    pub const fn with_rearm_us(mut self, rearm_us: u32) -> Self {
        self.rearm_us = rearm_us;
        self
    }

    /// Acknowledges a flashing caution by itself after this long (for a cluster with no button).
    #[must_use]
    pub const fn with_auto_acknowledge_us(mut self, auto_acknowledge_us: u32) -> Self {
        self.auto_acknowledge_us = Some(auto_acknowledge_us);
        self
    }
}

/// What one lamp shows at one instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LampOutput {
    /// Which lamp.
    pub lamp: Lamp,
    /// Its pattern now.
    pub pattern: LampPattern,
    /// Whether it is on at this instant (the pattern's phase applied).
    pub is_on: bool,
    /// Its drive level, percent: the brightness when on, 0 when off (a PWM duty).
    pub level_pct: u8,
}

/// What one model lamp (OPUS, SONNET, HAIKU by default: [`crate::ModelLamps`]) shows at one
/// instant ([`crate::Cluster::model_lamp_outputs`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelLampOutput {
    /// Its pattern now: steady while its family is in use, a caution's pattern while one lights it.
    pub pattern: LampPattern,
    /// Whether it is on at this instant.
    pub is_on: bool,
    /// Its drive level, percent (a PWM duty).
    pub level_pct: u8,
    /// The model caution lighting it (WARN_OPUS, WARN_SONNET), if any.
    pub caution: Option<Lamp>,
}

/// The annunciator row: lit set, caution state, lamp test and brightness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LampPanel {
    config: LampConfig,
    epoch_us: u64,
    lit: Lamps,
    unacknowledged: Lamps,
    flash_since_us: [u64; Lamp::COUNT],
    off_since_us: [Option<u64>; Lamp::COUNT],
    brightness_pct: u8,
}

impl LampPanel {
    /// A dark panel whose lamp test (and flash phase) starts at `now_us`.
    pub const fn new(config: LampConfig, now_us: u64) -> LampPanel {
        LampPanel {
            config,
            epoch_us: now_us,
            lit: Lamps::NONE,
            unacknowledged: Lamps::NONE,
            flash_since_us: [0; Lamp::COUNT],
            off_since_us: [None; Lamp::COUNT],
            brightness_pct: config.brightness_pct,
        }
    }

    /// Sets which lamps are lit, applying the master-caution rule to the ones that just lit.
    pub fn set_lit(&mut self, lamps: Lamps, now_us: u64) {
        for lamp in Lamp::ALL {
            let i = lamp as usize;
            match (self.lit.is_lit(lamp), lamps.is_lit(lamp)) {
                (false, true) => {
                    let is_rearmed = self.off_since_us[i].is_none_or(|off| {
                        has_elapsed(now_us, off, u64::from(self.config.rearm_us))
                    });
                    if is_rearmed && LampPattern::caution(lamp) != LampPattern::Steady {
                        self.unacknowledged.set(lamp, true);
                        self.flash_since_us[i] = now_us;
                    }
                }
                (true, false) => self.off_since_us[i] = Some(now_us),
                _ => {}
            }
        }
        self.lit = lamps;
    }

    /// Acknowledges every flashing caution: they burn steady from now on.
    pub fn acknowledge(&mut self) {
        self.unacknowledged = Lamps::NONE;
    }

    /// Sets the brightness for night dimming, percent (clamped to 100).
    pub fn set_brightness_pct(&mut self, brightness_pct: u8) {
        self.brightness_pct = brightness_pct.min(100);
    }

    /// The brightness, percent.
    pub const fn brightness_pct(&self) -> u8 {
        self.brightness_pct
    }

    /// The lamps lit by the frame (and the watchdog).
    pub const fn lit(&self) -> Lamps {
        self.lit
    }

    /// Whether the boot lamp test is still running.
    pub fn is_lamp_test(&self, now_us: u64) -> bool {
        !has_elapsed(now_us, self.epoch_us, u64::from(self.config.lamp_test_us))
    }

    fn is_flashing(&self, lamp: Lamp, now_us: u64) -> bool {
        self.lit.is_lit(lamp)
            && self.unacknowledged.is_lit(lamp)
            && self.config.auto_acknowledge_us.is_none_or(|after| {
                !has_elapsed(now_us, self.flash_since_us[lamp as usize], u64::from(after))
            })
    }

    /// Whether any lit caution is still unacknowledged (drive a master-caution light or buzzer).
    pub fn is_master_caution(&self, now_us: u64) -> bool {
        Lamp::ALL
            .into_iter()
            .any(|lamp| self.is_flashing(lamp, now_us))
    }

    /// The pattern `lamp` shows at `now_us`.
    pub fn pattern(&self, lamp: Lamp, now_us: u64) -> LampPattern {
        if self.is_lamp_test(now_us) {
            LampPattern::Steady
        } else if self.is_flashing(lamp, now_us) {
            LampPattern::caution(lamp)
        } else if self.lit.is_lit(lamp) {
            LampPattern::Steady
        } else {
            LampPattern::Off
        }
    }

    /// What `lamp` shows at `now_us`.
    pub fn output(&self, lamp: Lamp, now_us: u64) -> LampOutput {
        let pattern = self.pattern(lamp, now_us);
        let is_on = pattern.is_on_at(now_us.wrapping_sub(self.epoch_us));
        let level_pct = if is_on { self.brightness_pct } else { 0 };
        LampOutput {
            lamp,
            pattern,
            is_on,
            level_pct,
        }
    }

    /// Every lamp at `now_us`, in [`Lamp::ALL`] order.
    pub fn outputs(&self, now_us: u64) -> [LampOutput; Lamp::COUNT] {
        Lamp::ALL.map(|lamp| self.output(lamp, now_us))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000;

    fn panel() -> LampPanel {
        LampPanel::new(LampConfig::default(), 0)
    }

    #[test]
    fn lamp_test_lights_everything_at_boot() {
        let p = panel();
        assert!(p.outputs(0).iter().all(|o| o.is_on && o.level_pct == 100));
        assert!(p
            .outputs(2 * S)
            .iter()
            .all(|o| !o.is_on && o.pattern == LampPattern::Off));
    }

    #[test]
    fn a_new_caution_flashes_until_acknowledged() {
        let mut p = panel();
        p.set_lit(Lamps::NONE.with(Lamp::Hot).with(Lamp::Idle), 3 * S);
        assert_eq!(p.pattern(Lamp::Hot, 3 * S), LampPattern::SlowFlash);
        assert!(p.output(Lamp::Hot, 3 * S).is_on);
        assert!(!p.output(Lamp::Hot, 3 * S + S / 2).is_on);
        assert_eq!(p.pattern(Lamp::Idle, 3 * S), LampPattern::Steady);
        assert!(p.is_master_caution(3 * S));
        p.acknowledge();
        assert_eq!(p.pattern(Lamp::Hot, 4 * S), LampPattern::Steady);
        assert!(!p.is_master_caution(4 * S));
    }

    #[test]
    fn a_caution_flashes_again_only_after_the_rearm_time() {
        let mut p = panel();
        let limit = Lamps::NONE.with(Lamp::Limit);
        p.set_lit(limit, 3 * S);
        p.acknowledge();
        p.set_lit(Lamps::NONE, 4 * S);
        p.set_lit(limit, 5 * S);
        assert_eq!(p.pattern(Lamp::Limit, 5 * S), LampPattern::Steady);
        p.set_lit(Lamps::NONE, 6 * S);
        p.set_lit(limit, 36 * S);
        assert_eq!(p.pattern(Lamp::Limit, 36 * S), LampPattern::FastFlash);
    }

    #[test]
    fn dimming_and_auto_acknowledge() {
        let config = LampConfig::default()
            .with_lamp_test_us(0)
            .with_auto_acknowledge_us(10_000_000);
        let mut p = LampPanel::new(config, 0);
        p.set_brightness_pct(250);
        assert_eq!(p.brightness_pct(), 100);
        p.set_brightness_pct(20);
        p.set_lit(Lamps::NONE.with(Lamp::Stall), 0);
        assert_eq!(p.output(Lamp::Stall, 0).level_pct, 20);
        assert_eq!(p.pattern(Lamp::Stall, 9 * S), LampPattern::FastFlash);
        assert_eq!(p.pattern(Lamp::Stall, 10 * S), LampPattern::Steady);
    }
}
