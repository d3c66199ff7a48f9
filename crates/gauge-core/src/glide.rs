//! Target smoothing: frames arrive at about 1 Hz, so each new goal is approached by a target
//! that glides there in a straight line over a fixed time instead of jumping (the
//! constant-velocity interpolation suggested in SwitecX25's pull request 11,
//! <https://github.com/clearwater/SwitecX25/pull/11>).

/// A linear move of the commanded target from `from` to `to` over `duration_us`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Glide {
    from: i32,
    to: i32,
    start_us: u64,
    duration_us: u32,
}

impl Glide {
    /// A glide that is already over: the target stays at `at`.
    pub(crate) const fn hold(at: i32) -> Glide {
        Glide {
            from: at,
            to: at,
            start_us: 0,
            duration_us: 0,
        }
    }

    pub(crate) const fn new(from: i32, to: i32, start_us: u64, duration_us: u32) -> Glide {
        Glide {
            from,
            to,
            start_us,
            duration_us,
        }
    }

    /// Where the glide ends.
    pub(crate) const fn goal(&self) -> i32 {
        self.to
    }

    /// The target at `now_us`, rounded toward the start (the target never runs ahead).
    pub(crate) fn at(&self, now_us: u64) -> i32 {
        // Signed so a time just before the start (a late deadline polled after a retarget)
        // reads as the start, not as "long after".
        #[allow(clippy::cast_possible_wrap)]
        let elapsed = now_us.wrapping_sub(self.start_us) as i64;
        let duration = i64::from(self.duration_us);
        if elapsed >= duration {
            return self.to;
        }
        if elapsed <= 0 {
            return self.from;
        }
        let span = i64::from(self.to) - i64::from(self.from);
        // |span * elapsed / duration| < |span|, so the result lies between from and to.
        #[allow(clippy::cast_possible_truncation)]
        let moved = (span * elapsed / duration) as i32;
        self.from + moved
    }

    /// The first time the target differs from `position`, given that it equals `position` now;
    /// `None` if it never will again.
    pub(crate) fn leaves_at(&self, position: i32) -> Option<u64> {
        if self.to == position || self.duration_us == 0 {
            return None;
        }
        let span = (i64::from(self.to) - i64::from(self.from)).abs();
        let toward_to = (i64::from(self.to) - i64::from(self.from)).signum();
        let covered = (i64::from(position) - i64::from(self.from)) * toward_to;
        if covered < 0 || covered >= span {
            // Off the path: the target already differs.
            return Some(self.start_us);
        }
        let needed = covered + 1;
        let duration = i64::from(self.duration_us);
        let elapsed = (needed * duration + span - 1) / span;
        // 0 < elapsed <= duration, so it fits.
        #[allow(clippy::cast_sign_loss)]
        Some(self.start_us.wrapping_add(elapsed as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glides_linearly_and_rounds_toward_the_start() {
        let g = Glide::new(100, 0, 1_000, 1_000);
        assert_eq!(g.at(0), 100);
        assert_eq!(g.at(1_000), 100);
        assert_eq!(g.at(1_505), 50);
        assert_eq!(g.at(1_999), 1);
        assert_eq!(g.at(2_000), 0);
        assert_eq!(g.goal(), 0);
    }

    #[test]
    fn leaves_at_is_the_first_change() {
        let g = Glide::new(0, 3, 0, 1_000);
        for position in 0..3 {
            let t = g.leaves_at(position).unwrap();
            assert_eq!(g.at(t - 1), position);
            assert_ne!(g.at(t), position);
        }
        assert_eq!(g.leaves_at(3), None);
        assert_eq!(g.leaves_at(-4), Some(0));
        assert_eq!(Glide::hold(7).leaves_at(7), None);
    }
}
