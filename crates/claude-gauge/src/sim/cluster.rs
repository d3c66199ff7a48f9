//! The simulated cluster: gauge-core's `Cluster` fed as the firmware feeds it, and what it shows
//! at an instant ([`Sample`]).

use gauge_core::{Cluster, ClusterConfig, DialCalibration, Gauge, LampPattern, FRAME_MAX_LEN};
use serde::Serialize;

/// gauge-core's cluster on the host, counting the steps each motor takes.
pub(crate) struct Simulator {
    cluster: Cluster,
    steps: [u64; 3],
    rejected: u64,
}

/// What the cluster shows at one instant.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub(crate) struct Sample {
    /// Milliseconds since the cluster booted.
    pub(crate) t_ms: u64,
    /// The last frame's `seq`, if any.
    pub(crate) seq: Option<u32>,
    /// Needle positions, steps above the stop (5 h, tach, 7 d).
    pub(crate) positions: [u16; 3],
    /// Needle goals, steps above the stop.
    pub(crate) goals: [u16; 3],
    /// Steps each motor has taken since boot.
    pub(crate) steps: [u64; 3],
    /// Each lamp, in wire order.
    pub(crate) lamps: Vec<LampSample>,
    /// Whether the link watchdog has fired.
    pub(crate) is_stalled: bool,
    /// Whether every needle has found its stop.
    pub(crate) is_homed: bool,
    /// The model lamp lit (`opus`, `sonnet`, `haiku`), if any.
    pub(crate) model: Option<String>,
    /// Frames the cluster rejected so far.
    pub(crate) rejected: u64,
    /// The lamps' brightness, percent.
    pub(crate) brightness_pct: u8,
}

/// One lamp at one instant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct LampSample {
    /// The wire name.
    pub(crate) lamp: &'static str,
    /// `off`, `steady`, `slow` or `fast`.
    pub(crate) pattern: &'static str,
    /// Whether it is on right now (flash phase applied).
    pub(crate) is_on: bool,
}

impl Sample {
    /// Whether the two show the same thing (time aside).
    pub(crate) fn shows_same_as(&self, other: &Sample) -> bool {
        Sample {
            t_ms: other.t_ms,
            ..self.clone()
        } == *other
    }
}

/// A pattern's short name.
pub(crate) const fn pattern_name(pattern: LampPattern) -> &'static str {
    match pattern {
        LampPattern::Off => "off",
        LampPattern::Steady => "steady",
        LampPattern::SlowFlash => "slow",
        LampPattern::FastFlash => "fast",
    }
}

impl Simulator {
    /// Boots a cluster at 0 µs.
    pub(crate) fn new(config: ClusterConfig) -> Simulator {
        Simulator::boot_at(config, 0)
    }

    /// Boots a cluster at `now_us` (a restart).
    pub(crate) fn boot_at(config: ClusterConfig, now_us: u64) -> Simulator {
        Simulator {
            cluster: Cluster::new(config, now_us),
            steps: [0; 3],
            rejected: 0,
        }
    }

    /// New dials (a calibration changed) at `now_us`.
    pub(crate) fn set_dials(&mut self, dials: [DialCalibration; 3], now_us: u64) {
        self.advance(now_us);
        self.cluster.set_dials(dials, now_us);
    }

    /// Holds a needle at a position (calibration), or lets it follow the frames (`None`).
    pub(crate) fn point_needle(&mut self, gauge: Gauge, position_steps: Option<u16>, now_us: u64) {
        self.advance(now_us);
        self.cluster.point_needle(gauge, position_steps, now_us);
    }

    /// Sets the lamps' brightness, percent.
    pub(crate) fn set_brightness_pct(&mut self, brightness_pct: u8) {
        self.cluster.set_brightness_pct(brightness_pct);
    }

    /// Runs everything due up to `now_us`.
    pub(crate) fn advance(&mut self, now_us: u64) {
        let steps = &mut self.steps;
        self.cluster
            .advance_to(now_us, |gauge, _, _| steps[gauge.index()] += 1);
    }

    /// Runs up to `now_us`, then feeds one frame's bytes; false if the cluster rejected them.
    pub(crate) fn feed(&mut self, bytes: &[u8], now_us: u64) -> bool {
        self.advance(now_us);
        let is_taken =
            bytes.len() <= FRAME_MAX_LEN && self.cluster.feed_bytes(bytes, now_us).is_ok();
        if !is_taken {
            self.rejected += 1;
        }
        is_taken
    }

    /// Acknowledges the master caution (flashing lamps burn steady).
    pub(crate) fn acknowledge(&mut self) {
        self.cluster.acknowledge();
    }

    /// The cluster.
    pub(crate) const fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// What the cluster shows at `now_us` (advance to it first).
    pub(crate) fn sample(&self, now_us: u64) -> Sample {
        let cluster = &self.cluster;
        let lamps = cluster
            .lamp_outputs(now_us)
            .iter()
            .map(|output| LampSample {
                lamp: output.lamp.as_str(),
                pattern: pattern_name(output.pattern),
                is_on: output.is_on,
            })
            .collect();
        let model = match cluster.frame().and_then(|frame| frame.model) {
            Some(model) if !cluster.is_stalled() && model != gauge_core::ModelFamily::OTHER => {
                Some(model.as_str().to_string())
            }
            _ => None,
        };
        Sample {
            t_ms: now_us / 1000,
            seq: cluster.frame().map(|frame| frame.seq),
            positions: cluster.needle_positions(),
            goals: cluster.needle_goals(),
            steps: self.steps,
            lamps,
            is_stalled: cluster.is_stalled(),
            is_homed: cluster.is_homed(),
            model,
            rejected: self.rejected,
            brightness_pct: cluster.lamps().brightness_pct(),
        }
    }
}

#[cfg(test)]
mod tests {
    use gauge_core::Gauge;

    use super::*;

    const FRAME: &[u8] = br#"{"v":1,"seq":3,"ts":0,"fuel_5h":0.25,"fuel_7d":0.75,"tach":5000,"reset_5h":null,"reset_7d":null,"model":"haiku","source":"official","lamps":["WARN_5H"]}"#;

    #[test]
    fn a_fed_frame_settles_on_the_dial_positions() {
        let config = ClusterConfig::default();
        let mut sim = Simulator::new(config);
        assert!(sim.feed(FRAME, 10_000));
        assert!(!sim.feed(b"{not a frame", 20_000));
        sim.advance(4_000_000);
        let sample = sim.sample(4_000_000);
        let dial = config.dial(Gauge::Fuel5h);
        assert_eq!(i32::from(sample.positions[0]), dial.position_steps(2_500));
        assert_eq!(sample.positions, sample.goals);
        assert_eq!(sample.model.as_deref(), Some("haiku"));
        assert_eq!(sample.rejected, 1);
        assert!(sample.steps.iter().all(|steps| *steps > 0));
        let warn = &sample.lamps[1];
        assert_eq!((warn.lamp, warn.pattern), ("WARN_5H", "slow"));
    }
}
