//! When a cluster on Wi-Fi reconnects to the daemon, and how it follows it: the `/events`
//! stream when it can, polling `/usage` when the stream is refused.
//!
//! Sits beside the SSE parser at the link's start: the firmware reports each attempt's outcome
//! to [`LinkPlan::after`] and waits the delay it returns; [`LinkPlan::mode`] says what to try
//! next. Time and randomness are inputs (`now_ms`, `random`), so the policy is tested here.

/// Exponential backoff with jitter. `Copy` (1 s doubling to 30 s by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    base_ms: u32,
    max_ms: u32,
    attempt: u8,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(1_000, 30_000)
    }
}

impl Backoff {
    /// Delays from `base_ms`, doubling per failure, at most `max_ms` (each at least 1).
    pub const fn new(base_ms: u32, max_ms: u32) -> Backoff {
        let base_ms = if base_ms == 0 { 1 } else { base_ms };
        Backoff {
            base_ms,
            max_ms: if max_ms < base_ms { base_ms } else { max_ms },
            attempt: 0,
        }
    }

    /// The wait before the next attempt after a failure: the current step, less a random part
    /// of up to half of it ("equal jitter", so a room of clusters does not reconnect in step).
    pub fn next_delay_ms(&mut self, random: u32) -> u32 {
        let step = self
            .base_ms
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.max_ms);
        if step < self.max_ms {
            self.attempt = self.attempt.saturating_add(1);
        }
        let half = step / 2;
        step - random % (half + 1)
    }

    /// A success: the next failure waits the base delay again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

/// How the cluster follows the daemon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkMode {
    /// `GET /events`, one frame per change.
    Events,
    /// `GET /usage` every [`POLL_PERIOD_MS`].
    Poll,
}

/// What one attempt came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkOutcome {
    /// A frame arrived (a poll answered, or an event on the stream).
    Frame,
    /// No answer: no route, connection refused, a timeout.
    Unreachable,
    /// The daemon answered but `/events` could not be followed (an error status, another
    /// content type, or a stream that closed before its first event).
    Refused,
    /// A stream that had carried frames ended (the daemon restarted).
    Ended,
}

/// How often the poll fallback fetches `/usage`.
pub const POLL_PERIOD_MS: u32 = 1_000;
/// How long the link polls after `/events` was refused, before it tries the stream again.
pub const POLL_FALLBACK_MS: u32 = 60_000;
/// Refusals of `/events` in a row that switch to polling.
const REFUSALS_TO_POLL: u8 = 2;

/// The reconnect policy: backoff for an unreachable daemon, the poll fallback for a refused
/// stream. `Copy + Default`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkPlan {
    backoff: Backoff,
    refusals: u8,
    poll_until_ms: Option<u64>,
}

impl LinkPlan {
    /// A plan with its own backoff.
    pub const fn new(backoff: Backoff) -> LinkPlan {
        LinkPlan {
            backoff,
            refusals: 0,
            poll_until_ms: None,
        }
    }

    /// What to try at `now_ms`.
    pub fn mode(&self, now_ms: u64) -> LinkMode {
        match self.poll_until_ms {
            Some(until_ms) if now_ms < until_ms => LinkMode::Poll,
            _ => LinkMode::Events,
        }
    }

    /// Takes an attempt's outcome at `now_ms`; returns how long to wait before the next one.
    pub fn after(&mut self, outcome: LinkOutcome, now_ms: u64, random: u32) -> u32 {
        let mode = self.mode(now_ms);
        match outcome {
            LinkOutcome::Frame => {
                self.backoff.reset();
                if mode == LinkMode::Events {
                    self.refusals = 0;
                }
                match mode {
                    LinkMode::Poll => POLL_PERIOD_MS,
                    LinkMode::Events => 0,
                }
            }
            LinkOutcome::Ended => {
                self.backoff.reset();
                self.backoff.next_delay_ms(random)
            }
            LinkOutcome::Unreachable => self.backoff.next_delay_ms(random),
            LinkOutcome::Refused if mode == LinkMode::Events => {
                self.refusals = self.refusals.saturating_add(1);
                if self.refusals >= REFUSALS_TO_POLL {
                    self.refusals = 0;
                    self.poll_until_ms = Some(now_ms.saturating_add(u64::from(POLL_FALLBACK_MS)));
                    0
                } else {
                    self.backoff.next_delay_ms(random)
                }
            }
            LinkOutcome::Refused => self.backoff.next_delay_ms(random),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_its_cap_with_jitter_and_resets() {
        let mut backoff = Backoff::new(1_000, 8_000);
        let delays: Vec<u32> = (0..6).map(|_| backoff.next_delay_ms(0)).collect();
        assert_eq!(delays, [1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
        // The most jitter takes half a step off; never more.
        assert_eq!(
            backoff.next_delay_ms(u32::MAX - 1),
            8_000 - (u32::MAX - 1) % 4_001
        );
        for random in [0, 1, 4_000, 4_001, u32::MAX] {
            let delay = Backoff::new(1_000, 8_000).next_delay_ms(random);
            assert!((500..=1_000).contains(&delay), "{random}: {delay}");
        }
        backoff.reset();
        assert_eq!(backoff.next_delay_ms(0), 1_000);
        assert_eq!(Backoff::new(0, 0).next_delay_ms(7), 1);
    }

    #[test]
    fn a_refused_stream_falls_back_to_polling_then_tries_again() {
        let mut plan = LinkPlan::new(Backoff::new(1_000, 30_000));
        assert_eq!(plan.mode(0), LinkMode::Events);
        assert_eq!(plan.after(LinkOutcome::Refused, 0, 0), 1_000);
        assert_eq!(plan.mode(1_000), LinkMode::Events);
        assert_eq!(plan.after(LinkOutcome::Refused, 1_000, 0), 0);
        assert_eq!(plan.mode(1_000), LinkMode::Poll);
        assert_eq!(plan.after(LinkOutcome::Frame, 2_000, 0), POLL_PERIOD_MS);
        assert_eq!(plan.mode(60_999), LinkMode::Poll);
        assert_eq!(plan.mode(61_000), LinkMode::Events);
        // The stream works again: frames come as they happen.
        assert_eq!(plan.after(LinkOutcome::Frame, 61_000, 0), 0);
    }

    #[test]
    fn an_unreachable_daemon_backs_off_and_a_frame_resets_it() {
        let mut plan = LinkPlan::default();
        let waits: Vec<u32> = (0..4)
            .map(|_| plan.after(LinkOutcome::Unreachable, 0, 0))
            .collect();
        assert_eq!(waits, [1_000, 2_000, 4_000, 8_000]);
        assert_eq!(plan.mode(0), LinkMode::Events, "unreachable is not refused");
        assert_eq!(plan.after(LinkOutcome::Frame, 0, 0), 0);
        assert_eq!(plan.after(LinkOutcome::Unreachable, 0, 0), 1_000);
        // A stream that ended after frames reconnects at the base delay.
        plan.after(LinkOutcome::Unreachable, 0, 0);
        assert_eq!(plan.after(LinkOutcome::Ended, 0, 0), 1_000);
    }
}
