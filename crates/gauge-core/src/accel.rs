//! The acceleration table: SwitecX25's idea of a velocity-indexed step delay.
//!
//! `vel` counts the steps travelled under acceleration (0 = at rest); the delay before the next
//! step is the `delay_us` of the first row whose `vel_max` is at least `vel`. The same table
//! serves acceleration and deceleration. Port of the idea in clearwater/SwitecX25
//! (`SwitecX25.cpp`, HEAD 45a336e, BSD-2): see `docs/gauge-core.md`.

use crate::error::ConfigError;

/// The most rows an [`AccelTable`] holds.
pub const ACCEL_TABLE_MAX_ROWS: usize = 8;

/// One row of an [`AccelTable`]: up to `vel_max`, wait `delay_us` between steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccelRow {
    /// The highest velocity (steps under acceleration) this row covers.
    pub vel_max: u16,
    /// The delay before the next step at these velocities, µs.
    pub delay_us: u32,
}

impl AccelRow {
    /// A row: up to `vel_max`, wait `delay_us`.
    pub const fn new(vel_max: u16, delay_us: u32) -> AccelRow {
        AccelRow { vel_max, delay_us }
    }
}

const EMPTY_ROW: AccelRow = AccelRow::new(0, 0);

/// A velocity -> step delay table (fixed capacity, no allocation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccelTable {
    rows: [AccelRow; ACCEL_TABLE_MAX_ROWS],
    len: u8,
}

impl AccelTable {
    /// SwitecX25's default table for the X27.168 in direct drive (partial steps of 1/3°):
    /// 3000 µs for the first 20 steps down to 600 µs (≈556°/s) from step 151.
    pub const SWITEC_X25: AccelTable = AccelTable::five([
        AccelRow::new(20, 3000),
        AccelRow::new(50, 1500),
        AccelRow::new(100, 1000),
        AccelRow::new(150, 800),
        AccelRow::new(300, 600),
    ]);

    /// The same angular profile for a VID6606 (microsteps of 1/12°, four per partial step):
    /// thresholds ×4, delays ÷4; top speed 150 µs/µstep ≈ 556°/s, under the 600°/s limit.
    pub const VID6606: AccelTable = AccelTable::five([
        AccelRow::new(80, 750),
        AccelRow::new(200, 375),
        AccelRow::new(400, 250),
        AccelRow::new(600, 200),
        AccelRow::new(1200, 150),
    ]);

    const fn five(five: [AccelRow; 5]) -> AccelTable {
        let mut rows = [EMPTY_ROW; ACCEL_TABLE_MAX_ROWS];
        let mut i = 0;
        while i < 5 {
            rows[i] = five[i];
            i += 1;
        }
        AccelTable { rows, len: 5 }
    }

    /// A table from 1 to [`ACCEL_TABLE_MAX_ROWS`] rows, `vel_max` strictly increasing from at
    /// least 1, delays positive and non-increasing.
    pub fn new(rows: &[AccelRow]) -> Result<AccelTable, ConfigError> {
        if rows.is_empty() {
            return Err(ConfigError::TooFewRows { len: 0 });
        }
        if rows.len() > ACCEL_TABLE_MAX_ROWS {
            return Err(ConfigError::TooManyRows {
                len: rows.len(),
                max: ACCEL_TABLE_MAX_ROWS,
            });
        }
        let mut table = AccelTable {
            rows: [EMPTY_ROW; ACCEL_TABLE_MAX_ROWS],
            len: 0,
        };
        let mut previous = AccelRow::new(0, u32::MAX);
        for (row, &entry) in rows.iter().enumerate() {
            if entry.vel_max <= previous.vel_max {
                return Err(ConfigError::NotIncreasing { row });
            }
            if entry.delay_us == 0 || entry.delay_us > previous.delay_us {
                return Err(ConfigError::BadDelay { row });
            }
            table.rows[row] = entry;
            previous = entry;
        }
        // At most ACCEL_TABLE_MAX_ROWS (8), checked above.
        table.len = rows.len() as u8;
        Ok(table)
    }

    /// The rows, slowest first.
    pub fn rows(&self) -> &[AccelRow] {
        &self.rows[..usize::from(self.len)]
    }

    fn last(&self) -> AccelRow {
        self.rows[usize::from(self.len).saturating_sub(1)]
    }

    /// The delay before the next step at velocity `vel` (0 = starting from rest).
    pub fn delay_us(&self, vel: u16) -> u32 {
        let row = self.rows().iter().find(|row| row.vel_max >= vel);
        row.map_or(self.last().delay_us, |row| row.delay_us)
    }

    /// The delay for the first step from rest: the slowest row.
    pub fn start_delay_us(&self) -> u32 {
        self.rows[0].delay_us
    }

    /// The shortest delay in the table: the top speed.
    pub fn min_delay_us(&self) -> u32 {
        self.last().delay_us
    }

    /// SwitecX25's `maxVel`: the last row's `vel_max`.
    pub fn max_vel(&self) -> u16 {
        self.last().vel_max
    }

    /// The lowest velocity that already runs at top speed.
    ///
    /// Counting `vel` beyond it changes no delay but lengthens the stopping distance, so the
    /// motion caps `vel` here (SwitecX25 counts on to [`AccelTable::max_vel`] and then has to
    /// coast that many steps before it can stop or turn).
    pub fn saturation_vel(&self) -> u16 {
        let min = self.min_delay_us();
        let rows = self.rows();
        match rows.iter().position(|row| row.delay_us == min) {
            Some(0) | None => 1,
            Some(i) => rows[i - 1].vel_max.saturating_add(1),
        }
    }
}

impl Default for AccelTable {
    fn default() -> Self {
        AccelTable::SWITEC_X25
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switec_lookup_matches_the_published_table() {
        let t = AccelTable::SWITEC_X25;
        assert_eq!(t.delay_us(0), 3000);
        assert_eq!(t.delay_us(20), 3000);
        assert_eq!(t.delay_us(21), 1500);
        assert_eq!(t.delay_us(150), 800);
        assert_eq!(t.delay_us(151), 600);
        assert_eq!(t.delay_us(999), 600);
        assert_eq!(t.max_vel(), 300);
        assert_eq!(t.saturation_vel(), 151);
        assert_eq!(AccelTable::VID6606.saturation_vel(), 601);
    }

    #[test]
    fn bad_tables_are_refused() {
        assert_eq!(
            AccelTable::new(&[]),
            Err(ConfigError::TooFewRows { len: 0 })
        );
        let rows = [AccelRow::new(10, 100), AccelRow::new(10, 90)];
        assert_eq!(
            AccelTable::new(&rows),
            Err(ConfigError::NotIncreasing { row: 1 })
        );
        let rows = [AccelRow::new(10, 100), AccelRow::new(20, 200)];
        assert_eq!(
            AccelTable::new(&rows),
            Err(ConfigError::BadDelay { row: 1 })
        );
        assert_eq!(
            AccelTable::new(&[AccelRow::new(0, 100)]),
            Err(ConfigError::NotIncreasing { row: 0 })
        );
        let nine = [AccelRow::new(1, 1); 9];
        assert!(matches!(
            AccelTable::new(&nine),
            Err(ConfigError::TooManyRows { .. })
        ));
        let t = AccelTable::new(&[AccelRow::new(5, 700)]).unwrap();
        assert_eq!(t.saturation_vel(), 1);
        assert_eq!(
            AccelTable::new(AccelTable::SWITEC_X25.rows()),
            Ok(AccelTable::SWITEC_X25)
        );
    }
}
