//! Claude Code's events (OTLP log records) turned into usage: each `claude_code.api_request` is one
//! exact [`UsageEvent`]; an `api_error` with status 429 means the usage limit was hit. Every other
//! event only shows that a session is alive and exporting events (docs/otlp.md, "What is read,
//! and how nothing counts twice"; Claude Code's events:
//! <https://code.claude.com/docs/en/monitoring-usage>).

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::logs::v1::LogRecord;

use super::attrs;
use crate::readings::{Origin, TokenCounts, UsageEvent};

/// Claude Code's event names carry this prefix in the record body.
const EVENT_PREFIX: &str = "claude_code.";
/// The HTTP status of a rate-limit rejection.
const STATUS_TOO_MANY_REQUESTS: u64 = 429;

/// What one logs export carried, for the ledger and the engine. Counts and values only: never
/// the prompts or error texts the records may hold.
#[derive(Debug, Default, PartialEq)]
pub(super) struct LogsDigest {
    /// One per `api_request` event with token counts.
    pub(super) usage: Vec<UsageEvent>,
    /// Parallel to `usage`: the machine (`host.name`) each request came from, when the export
    /// named one.
    pub(super) hosts: Vec<Option<String>>,
    /// The times (unix ms) of `api_error` events with status 429.
    pub(super) limit_hits_ms: Vec<i64>,
    /// The `session.id` of every record (`None` when a record has none), deduplicated.
    pub(super) sessions: Vec<Option<String>>,
    /// `user_prompt` events: activity without usage yet.
    pub(super) prompts: u64,
    /// `api_request` events without any token count, skipped.
    pub(super) skipped: u64,
}

/// Reads a logs export. `now_ms` stands in for records without a time.
pub(super) fn digest_logs(request: &ExportLogsServiceRequest, now_ms: i64) -> LogsDigest {
    let mut digest = LogsDigest::default();
    // The machine is a resource attribute; Claude Code also copies `OTEL_RESOURCE_ATTRIBUTES` onto
    // every record, which is the fallback for a resource without it.
    let records = request.resource_logs.iter().flat_map(|r| {
        let host = r
            .resource
            .as_ref()
            .and_then(|r| attrs::host_name(&r.attributes));
        r.scope_logs
            .iter()
            .flat_map(|s| &s.log_records)
            .map(move |record| (host.clone(), record))
    });
    for (host, record) in records {
        let session = attrs::string(&record.attributes, "session.id").map(str::to_owned);
        if !digest.sessions.contains(&session) {
            digest.sessions.push(session);
        }
        let at_ms = record_time_ms(record).unwrap_or(now_ms);
        match event_name(record) {
            Some("api_request") => match usage_event(record, at_ms) {
                Some(event) => {
                    digest.usage.push(event);
                    let host = host.or_else(|| attrs::host_name(&record.attributes));
                    digest.hosts.push(host);
                }
                None => digest.skipped += 1,
            },
            Some("api_error") if is_rate_limit(record) => digest.limit_hits_ms.push(at_ms),
            Some("user_prompt") => digest.prompts += 1,
            // Unknown and uninteresting events are ignored, not errors.
            _ => {}
        }
    }
    digest
}

/// Whether an `api_error` is a real rate-limit refusal: status 429 with a rate-limit error
/// (Anthropic's `rate_limit_error`, or Claude's usage-limit message). Claude Code also gets 429
/// for refusals that are no limit at all ("Extra usage is required for long context
/// requests", at a few percent of use); those must not light LIMIT. The error text is only
/// matched, never kept or logged.
fn is_rate_limit(record: &LogRecord) -> bool {
    if attrs::count(&record.attributes, "status_code") != Some(STATUS_TOO_MANY_REQUESTS) {
        return false;
    }
    let Some(error) = attrs::string(&record.attributes, "error") else {
        return false;
    };
    let error = error.to_ascii_lowercase();
    [
        "rate_limit",
        "rate limit",
        "usage limit",
        "limit reached",
        "hit your",
    ]
    .iter()
    .any(|marker| error.contains(marker))
}

/// The event name without the `claude_code.` prefix: from the record's `event_name` field when
/// set, else from the body string (where Claude Code 2.1.330 puts it).
fn event_name(record: &LogRecord) -> Option<&str> {
    let full = if record.event_name.is_empty() {
        match record.body.as_ref()?.value.as_ref()? {
            Value::StringValue(body) => body.as_str(),
            _ => return None,
        }
    } else {
        record.event_name.as_str()
    };
    full.strip_prefix(EVENT_PREFIX)
}

fn record_time_ms(record: &LogRecord) -> Option<i64> {
    [record.time_unix_nano, record.observed_time_unix_nano]
        .into_iter()
        .find(|&ns| ns > 0)
        .and_then(|ns| i64::try_from(ns / 1_000_000).ok())
}

/// One `api_request` as a usage event, or `None` when it carries no token count at all.
fn usage_event(record: &LogRecord, at_ms: i64) -> Option<UsageEvent> {
    let a = &record.attributes;
    let read = |key| attrs::count(a, key);
    let (input, output, cache_creation, cache_read) = (
        read("input_tokens"),
        read("output_tokens"),
        read("cache_creation_tokens"),
        read("cache_read_tokens"),
    );
    if [input, output, cache_creation, cache_read]
        .iter()
        .all(Option::is_none)
    {
        return None;
    }
    let cost_usd = attrs::number(a, "cost_usd")
        .or_else(|| attrs::number(a, "cost_usd_micros").map(|micros| micros / 1e6))
        .filter(|cost| *cost >= 0.0)
        .unwrap_or(0.0);
    Some(UsageEvent {
        at_ms,
        origin: Origin::Otlp,
        dedup_key: dedup_key(record),
        message_id: None,
        model: attrs::string(a, "model").unwrap_or("unknown").to_owned(),
        tokens: TokenCounts {
            input: input.unwrap_or(0),
            output: output.unwrap_or(0),
            cache_creation: cache_creation.unwrap_or(0),
            cache_read: cache_read.unwrap_or(0),
        },
        cost_usd,
        // A subagent's request is still its own request with its own id; OTLP has no
        // sidechain copies.
        is_sidechain: false,
        has_speed: attrs::string(a, "speed") == Some("fast"),
    })
}

/// `req:<request_id>`: the same key the transcript source gives a line with that `requestId`, so a
/// request reported by both counts once. Without a request id (a gateway that sends no
/// `request-id` header) the key is unique to this event, which still absorbs export retries.
fn dedup_key(record: &LogRecord) -> String {
    let a = &record.attributes;
    match attrs::string(a, "request_id") {
        Some(request_id) => format!("req:{request_id}"),
        None => format!(
            "otlp:{}:{}:{}",
            attrs::string(a, "session.id").unwrap_or("-"),
            record.time_unix_nano,
            attrs::count(a, "event.sequence").unwrap_or(0)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::otlp::fixtures;
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue};

    fn tokens(event: &UsageEvent) -> (u64, u64, u64, u64) {
        let t = event.tokens;
        (t.input, t.output, t.cache_creation, t.cache_read)
    }

    /// Every logs fixture: the `api_request` events carry exactly what the fake API answered
    /// (input 1000, cache creation 200, cache read 3000; output 50, or 30 for a tool_use turn) and
    /// the cost Claude Code computed.
    #[test]
    fn fixtures_decode_to_the_fake_api_usage() {
        let expected: &[(&str, &[(u64, f64)])] = &[
            ("connection-refused-0000-logs.json", &[]),
            ("cumulative-http-json-0001-logs.json", &[(30, 0.0062)]),
            ("cumulative-http-json-0005-logs.json", &[(50, 0.0066)]),
            ("delta-http-json-0001-logs.json", &[(50, 0.0066)]),
            ("delta-http-protobuf-0001-logs.pb", &[(50, 0.0066)]),
            ("delta-tool-http-json-0001-logs.json", &[(30, 0.0062)]),
            ("delta-tool-http-json-0004-logs.json", &[(50, 0.0066)]),
            ("error400-0003-logs.json", &[]),
            ("error500-retries-0001-logs.json", &[]),
            ("error500-retries-0005-logs.json", &[]),
        ];
        assert_eq!(
            expected.len(),
            fixtures::names("logs").len(),
            "a logs fixture is not covered"
        );
        for (name, requests) in expected {
            let digest = digest_logs(&fixtures::logs(name), 0);
            assert_eq!(digest.usage.len(), requests.len(), "{name}");
            for (event, (output, cost)) in digest.usage.iter().zip(requests.iter()) {
                assert_eq!(tokens(event), (1000, *output, 200, 3000), "{name}");
                assert!((event.cost_usd - cost).abs() < 1e-12, "{name}");
                assert_eq!(event.model, "claude-opus-5-5", "{name}");
                // The probe's fake API sent one request-id for every call.
                assert_eq!(event.dedup_key, "req:req_fake_0001", "{name}");
                assert_eq!(event.origin, Origin::Otlp);
                assert!(event.at_ms > 1_795_000_000_000, "{name}: {}", event.at_ms);
            }
            assert!(digest.limit_hits_ms.is_empty(), "{name}");
            assert_eq!(digest.skipped, 0, "{name}");
        }
    }

    #[test]
    fn api_request_time_and_sessions_come_from_the_record() {
        let digest = digest_logs(&fixtures::logs("delta-http-json-0001-logs.json"), 0);
        assert_eq!(digest.usage[0].at_ms, 1_795_491_334_092);
        assert_eq!(
            digest.sessions,
            vec![Some("1444e864-a7a0-4189-87d3-38ee7f4c5fc5".to_string())]
        );
        assert_eq!(digest.prompts, 1);
    }

    #[test]
    fn only_a_429_rate_limit_error_is_a_limit_hit() {
        let mut request = fixtures::logs("error400-0003-logs.json");
        assert!(digest_logs(&request, 0).limit_hits_ms.is_empty());
        let with = |request: &mut ExportLogsServiceRequest, status: i64, error: &str| {
            let record = request
                .resource_logs
                .iter_mut()
                .flat_map(|r| &mut r.scope_logs)
                .flat_map(|s| &mut s.log_records)
                .find(|r| event_name(r) == Some("api_error"))
                .unwrap();
            for kv in &mut record.attributes {
                if kv.key == "status_code" {
                    kv.value = Some(fixtures::int_value(status));
                }
                if kv.key == "error" {
                    kv.value = Some(AnyValue {
                        value: Some(any_value::Value::StringValue(error.into())),
                    });
                }
            }
            digest_logs(request, 0).limit_hits_ms.len()
        };
        // Any other 429 is no limit: long-context refusals come at a few percent of use.
        assert_eq!(with(&mut request, 429, "fake failure 400"), 0);
        let long_context = "429 {\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\
            \"message\":\"Extra usage is required for long context requests.\"}}";
        assert_eq!(with(&mut request, 429, long_context), 0);
        let rate_limit = "429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\
            \"message\":\"This request would exceed your account's rate limit.\"}}";
        assert_eq!(with(&mut request, 429, rate_limit), 1);
        assert_eq!(
            with(
                &mut request,
                429,
                "Claude AI usage limit reached|1774000000"
            ),
            1
        );
        assert_eq!(with(&mut request, 500, rate_limit), 0);
    }

    #[test]
    fn missing_request_id_gets_an_event_unique_key() {
        let mut request = fixtures::logs("delta-http-json-0001-logs.json");
        for record in request
            .resource_logs
            .iter_mut()
            .flat_map(|r| &mut r.scope_logs)
            .flat_map(|s| &mut s.log_records)
        {
            record.attributes.retain(|kv| kv.key != "request_id");
        }
        let digest = digest_logs(&request, 0);
        assert_eq!(
            digest.usage[0].dedup_key,
            "otlp:1444e864-a7a0-4189-87d3-38ee7f4c5fc5:1795491334092000000:5"
        );
    }
}
