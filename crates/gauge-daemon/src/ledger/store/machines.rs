//! Usage by machine: what a hub (one daemon receiving many machines' OTLP telemetry) holds of
//! each. A request's machine is the `host.name` its OTLP export named; this machine's own
//! transcripts have none and count under the name the caller gives this machine.

use super::{Store, StoreError};

/// The stored usage of one machine.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MachineUsage {
    /// The machine's `host.name` (this machine's name for requests that named none).
    pub host: String,
    /// Requests on record.
    pub requests: u64,
    /// Every token (input, output, cache creation and cache read).
    pub tokens: u64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Cache-creation tokens.
    pub cache_creation_tokens: u64,
    /// Cache-read tokens.
    pub cache_read_tokens: u64,
    /// Cost, USD.
    pub cost_usd: f64,
}

impl Store {
    /// The usage of every machine with a request at or after `since_ms` (unix ms), most tokens
    /// first. Requests that named no machine count under `this_machine`, merged with requests
    /// that named it (this machine's transcripts and its own OTLP export are one machine).
    pub(crate) fn usage_by_machine(
        &self,
        since_ms: i64,
        this_machine: &str,
    ) -> Result<Vec<MachineUsage>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT COALESCE(host, ?2) AS machine, COUNT(*),
                        SUM(input_tokens), SUM(output_tokens),
                        SUM(cache_creation_tokens), SUM(cache_read_tokens), SUM(cost_usd)
                 FROM entries WHERE at_ms >= ?1
                 GROUP BY machine",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(rusqlite::params![since_ms, this_machine], |row| {
                let count = |i| row.get::<_, i64>(i).map(|n| n.max(0) as u64);
                let (input, output) = (count(2)?, count(3)?);
                let (cache_creation, cache_read) = (count(4)?, count(5)?);
                Ok(MachineUsage {
                    host: row.get(0)?,
                    requests: count(1)?,
                    tokens: input + output + cache_creation + cache_read,
                    input_tokens: input,
                    output_tokens: output,
                    cache_creation_tokens: cache_creation,
                    cache_read_tokens: cache_read,
                    cost_usd: row.get(6)?,
                })
            })
            .map_err(|e| self.err(e))?;
        let mut machines = rows
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        machines.sort_by(|a, b| b.tokens.cmp(&a.tokens).then_with(|| a.host.cmp(&b.host)));
        Ok(machines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::readings::{Origin, TokenCounts, UsageEvent};

    fn event(key: &str, at_ms: i64, input: u64, origin: Origin) -> UsageEvent {
        UsageEvent {
            at_ms,
            origin,
            dedup_key: key.into(),
            message_id: None,
            model: "claude-sonnet-4-5".into(),
            tokens: TokenCounts {
                input,
                output: 5,
                cache_creation: 0,
                cache_read: 100,
            },
            cost_usd: 0.25,
            is_sidechain: false,
            has_speed: false,
        }
    }

    #[test]
    fn requests_count_under_their_machine_and_this_machine_merges_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("s.sqlite3")).unwrap();
        let laptop = Some("laptop".to_string());
        let desk = Some("desk".to_string());
        store
            .write_batch_from(
                &[
                    event("req:a", 10, 1000, Origin::Otlp),
                    event("req:b", 20, 2000, Origin::Otlp),
                    event("req:c", 30, 10, Origin::Transcript),
                    event("req:d", 40, 20, Origin::Otlp),
                    event("req:e", 50, 1, Origin::Transcript),
                ],
                &[laptop.clone(), laptop.clone(), None, desk.clone(), None],
                &[],
                &[],
                &[],
                |_| {},
            )
            .unwrap();
        // A transcript copy of a laptop request (it does not win) keeps the laptop's name; the
        // desk's OTLP copy of a transcript request names the desk.
        store
            .write_batch_from(
                &[
                    event("req:a", 10, 1000, Origin::Transcript),
                    event("req:c", 30, 10, Origin::Otlp),
                ],
                &[None, desk.clone()],
                &[],
                &[],
                &[],
                |_| {},
            )
            .unwrap();
        let machines = store.usage_by_machine(0, "desk").unwrap();
        assert_eq!(machines.len(), 2, "{machines:?}");
        assert_eq!(machines[0].host, "laptop");
        assert_eq!(machines[0].requests, 2);
        assert_eq!(machines[0].input_tokens, 3000);
        assert_eq!(machines[0].tokens, 3000 + 2 * 105);
        assert_eq!(machines[1].host, "desk");
        assert_eq!(machines[1].requests, 3);
        // Under another name for this machine, its unnamed request stands apart.
        let machines = store.usage_by_machine(0, "this-box").unwrap();
        let hosts: Vec<(&str, u64)> = machines
            .iter()
            .map(|m| (m.host.as_str(), m.requests))
            .collect();
        assert_eq!(hosts, [("laptop", 2), ("desk", 2), ("this-box", 1)]);
        // The sums equal the store's totals.
        let totals = store.totals().unwrap();
        let machines = store.usage_by_machine(0, "desk").unwrap();
        assert_eq!(
            machines.iter().map(|m| m.requests).sum::<u64>(),
            totals.requests
        );
        let cost: f64 = machines.iter().map(|m| m.cost_usd).sum();
        assert!((cost - totals.cost_usd).abs() < 1e-9);
        // `since` leaves older requests out.
        let recent = store.usage_by_machine(25, "desk").unwrap();
        assert_eq!(recent.len(), 1);
        assert_eq!((recent[0].host.as_str(), recent[0].requests), ("desk", 3));
        // The reports' reader names the same machine for each request, oldest first.
        drop(store);
        let rows =
            super::super::read_requests_by_machine(&dir.path().join("s.sqlite3"), "me").unwrap();
        let named: Vec<(&str, &str)> = rows
            .iter()
            .map(|(event, host)| (event.dedup_key.as_str(), host.as_str()))
            .collect();
        assert_eq!(
            named,
            [
                ("req:a", "laptop"),
                ("req:b", "laptop"),
                ("req:c", "desk"),
                ("req:d", "desk"),
                ("req:e", "me")
            ]
        );
    }
}
