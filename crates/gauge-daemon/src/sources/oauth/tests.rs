use proptest::prelude::*;

use gauge_core::ModelFamily;

use super::parse::UnreadableUsage;
use super::*;
use crate::readings::{OfficialOrigin, Window};

const NOW_MS: i64 = 1_767_370_000_000; // 2026-01-02T16:06:40Z

#[test]
fn classic_shape() {
    let body = br#"{
      "five_hour": {"utilization": 24.0, "resets_at": "2026-01-02T19:59:59.600956+00:00"},
      "seven_day": {"utilization": 2.0, "resets_at": "2026-01-08T06:59:59.600974+00:00"},
      "seven_day_sonnet": {"utilization": 1.0, "resets_at": null},
      "seven_day_opus": null, "iguana_necktie": null,
      "extra_usage": {"is_enabled": false, "utilization": null}}"#;
    let reading = parse_usage(body, NOW_MS).unwrap();
    assert_eq!(reading.samples.len(), 2);
    let five = &reading.samples[0];
    assert_eq!((five.window, five.used_pct), (Window::FiveHour, 24.0));
    assert_eq!(five.resets_at_secs, Some(1_767_383_999));
    assert_eq!(five.origin, OfficialOrigin::Oauth);
    // 2.0 means 2%, not 200% or a fraction.
    assert_eq!(reading.samples[1].used_pct, 2.0);
    assert_eq!(reading.locked_until_secs, None);
    // The Sonnet weekly window is kept (the null Opus one and the unknown null key are not).
    assert_eq!(reading.scoped.len(), 1);
    assert_eq!(reading.scoped[0].name, "seven_day_sonnet");
    assert_eq!(reading.scoped[0].family, Some(ModelFamily::SONNET));
    assert_eq!(reading.scoped[0].used_pct, 1.0);
    let extra = reading.extra.unwrap();
    assert!(!extra.is_enabled);
    assert_eq!(extra.used_pct, None);
}

#[test]
fn every_other_window_and_extra_usage_are_kept() {
    let body = br#"{
      "five_hour": {"utilization": 10.0, "resets_at": "2026-01-02T19:59:59+00:00"},
      "seven_day": {"utilization": 40.0, "resets_at": "2026-01-08T06:59:59+00:00"},
      "seven_day_opus": {"utilization": 91.0, "resets_at": "2026-01-08T06:59:59+00:00"},
      "seven_day_oauth_apps": {"utilization": 3.5, "resets_at": "2026-01-08T06:59:59+00:00"},
      "seven_day_cowork": {"utilization": 0.0, "resets_at": null},
      "nimbus_quill": {"utilization": 12.0, "resets_at": null},
      "spend": {"percent": 50},
      "extra_usage": {"is_enabled": true, "monthly_limit": 5000, "used_credits": 1234.5,
                      "utilization": 24.69, "currency": "USD"},
      "limits": [
        {"kind": "weekly_scoped", "group": "weekly", "percent": 81,
         "resets_at": "2026-01-08T06:59:59+00:00",
         "scope": {"model": {"id": null, "display_name": "Fable"}, "surface": null}},
        {"kind": "weekly_scoped", "percent": 0, "resets_at": null,
         "scope": {"model": {"id": "claude-opus-4-5", "display_name": null}}}
      ]}"#;
    let reading = parse_usage(body, NOW_MS).unwrap();
    assert_eq!(reading.samples.len(), 2);
    let names: Vec<(&str, Option<ModelFamily>, f64)> = reading
        .scoped
        .iter()
        .map(|s| (s.name.as_str(), s.family, s.used_pct))
        .collect();
    assert_eq!(
        names,
        vec![
            ("seven_day_opus", Some(ModelFamily::OPUS), 91.0),
            ("seven_day_oauth_apps", None, 3.5),
            ("nimbus_quill", None, 12.0),
            ("weekly_scoped:Fable", None, 81.0),
        ],
        "placeholders (0% and no reset) and non-windows are left out"
    );
    assert_eq!(reading.scoped[0].resets_at_secs, Some(1_767_855_599));
    assert_eq!(reading.scoped[3].display_name.as_deref(), Some("Fable"));
    let extra = reading.extra.unwrap();
    assert!(extra.is_enabled);
    // Claude sends cents; Claude Code shows `used_credits / 100` dollars.
    assert_eq!(extra.monthly_limit, Some(50.0));
    assert_eq!(extra.used_credits, Some(12.345));
    assert_eq!(extra.used_pct, Some(24.69));
    assert_eq!(extra.currency.as_deref(), Some("USD"));
}

#[test]
fn overspend_scoped_severity_and_precise_percent_are_kept() {
    let body = br#"{
      "five_hour": null,
      "seven_day": {"utilization": 30.0, "resets_at": "2026-01-08T06:59:59+00:00"},
      "extra_usage": {"is_enabled": true, "monthly_limit": 5000, "used_credits": 6250,
                      "utilization": 125.0, "currency": "USD"},
      "limits": [
        {"kind": "weekly_scoped", "percent": 95, "percent_precise": 95.4, "severity": "critical",
         "is_active": true, "resets_at": "2026-01-08T06:59:59+00:00",
         "scope": {"model": {"display_name": "Fable"}}}
      ]}"#;
    let reading = parse_usage(body, NOW_MS).unwrap();
    assert_eq!(
        reading.samples.len(),
        1,
        "no 5-hour window: no 5-hour sample"
    );
    let fable = &reading.scoped[0];
    assert_eq!(fable.display_name.as_deref(), Some("Fable"));
    assert_eq!(fable.severity, Some(crate::readings::Severity::Critical));
    assert_eq!(fable.used_pct, 95.4);
    let extra = reading.extra.unwrap();
    assert_eq!(
        (extra.used_credits, extra.monthly_limit, extra.used_pct),
        (Some(62.5), Some(50.0), Some(125.0)),
        "dollars, and the percentage past 100 is kept"
    );
}

#[test]
fn limits_array_wins_field_by_field_and_locks() {
    let body = br#"{
      "five_hour": null,
      "seven_day": {"utilization": 30.0, "resets_at": "2026-01-08T06:59:59+00:00"},
      "limits": [
        {"kind": "session", "group": "session", "percent": 100, "severity": "critical",
         "resets_at": "2026-01-02T18:00:00+00:00", "scope": null, "locked_reason": "limit"},
        {"kind": "weekly_all", "group": "weekly", "percent": 0, "resets_at": null},
        {"kind": "weekly_scoped", "percent": 81, "resets_at": "2026-01-08T06:59:59+00:00"}
      ]}"#;
    let reading = parse_usage(body, NOW_MS).unwrap();
    assert_eq!(reading.samples.len(), 2);
    assert_eq!(reading.samples[0].used_pct, 100.0);
    assert_eq!(reading.locked_until_secs, Some(1_767_376_800));
    // The weekly_all placeholder falls back to the flat bucket.
    assert_eq!(reading.samples[1].used_pct, 30.0);
}

#[test]
fn garbage_and_bad_values() {
    assert_eq!(parse_usage(b"<html>", NOW_MS), Err(UnreadableUsage));
    assert_eq!(parse_usage(b"[1,2]", NOW_MS), Err(UnreadableUsage));
    assert_eq!(
        parse_usage(br#"{"error":"x"}"#, NOW_MS),
        Err(UnreadableUsage)
    );
    // A percentage equal to an epoch is dropped; unused windows (null) are no reading.
    let body = br#"{"five_hour": {"utilization": 1767383999, "resets_at": null},
                    "seven_day": null}"#;
    assert_eq!(parse_usage(body, NOW_MS).unwrap().samples, vec![]);
}

#[test]
fn rollover_artefact_is_dropped() {
    // The window started two minutes ago yet reads 99%: the old window's value.
    let reset = NOW_MS / 1000 - 120 + 5 * 3600;
    let body = format!(
        r#"{{"five_hour": {{"utilization": 99.0, "resets_at": "{}"}}}}"#,
        jiff::Timestamp::from_second(reset).unwrap()
    );
    assert!(parse_usage(body.as_bytes(), NOW_MS)
        .unwrap()
        .samples
        .is_empty());
}

#[test]
fn backoff_and_retry_after() {
    let interval = Duration::from_secs(180);
    let usage = PollOutcome::Usage(UsageReading::default());
    assert_eq!(next_delay(&usage, interval, 0), interval);
    let limited = PollOutcome::RateLimited(Some(Duration::ZERO));
    assert_eq!(next_delay(&limited, interval, 1), Duration::from_secs(360));
    assert_eq!(next_delay(&limited, interval, 2), Duration::from_secs(720));
    assert_eq!(next_delay(&limited, interval, 30), MAX_BACKOFF);
    let long = PollOutcome::RateLimited(Some(Duration::from_secs(1600)));
    assert_eq!(next_delay(&long, interval, 1), Duration::from_secs(1600));
    assert_eq!(parse_retry_after("120", 0), Some(Duration::from_secs(120)));
    let date = parse_retry_after("Fri, 02 Jan 2026 16:08:40 GMT", NOW_MS);
    assert_eq!(date, Some(Duration::from_secs(120)));
    assert_eq!(parse_retry_after("soon", 0), None);
}

#[test]
fn token_from_env_or_file_and_expiry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".credentials.json");
    let err = token_from_file(&path, NOW_MS).unwrap_err();
    assert!(err.contains("no Claude Code login"), "{err}");
    std::fs::write(
        &path,
        r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-fake","expiresAt":1}}"#,
    )
    .unwrap();
    let err = token_from_file(&path, NOW_MS).unwrap_err();
    assert!(err.contains("expired") && !err.contains("sk-ant"), "{err}");
    std::fs::write(
        &path,
        r#"{"claudeAiOauth":{"accessToken":"sk-ant-oat01-fake","expiresAt":99999999999999}}"#,
    )
    .unwrap();
    assert_eq!(
        token_from_file(&path, NOW_MS).unwrap().expose(),
        "sk-ant-oat01-fake"
    );
}

proptest! {
    /// Every percentage that survives parsing lies within 0..=100.
    #[test]
    fn clamped(pct in proptest::num::f64::ANY) {
        let body = serde_json::json!({"five_hour": {"utilization": pct, "resets_at": null}});
        if let Ok(reading) = parse_usage(body.to_string().as_bytes(), NOW_MS) {
            for s in reading.samples {
                prop_assert!((0.0..=100.0).contains(&s.used_pct));
            }
        }
    }

    /// The delay never undercuts the interval, nor exceeds the caps.
    #[test]
    fn delays_bounded(failures in 0u32..100, retry_secs in proptest::option::of(0u64..100_000)) {
        let interval = Duration::from_secs(180);
        let d = next_delay(&PollOutcome::RateLimited(retry_secs.map(Duration::from_secs)), interval, failures);
        prop_assert!(d >= interval && d <= MAX_RETRY_AFTER);
    }
}

/// A usage endpoint on loopback that answers 200 with `body_len` bytes of JSON whitespace,
/// chunked (no Content-Length to refuse it by) unless `is_declared`.
async fn endless_endpoint(body_len: usize, is_declared: bool) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut head = [0u8; 4096];
        let _ = stream.read(&mut head).await;
        let framing = if is_declared {
            format!("Content-Length: {body_len}")
        } else {
            "Transfer-Encoding: chunked".to_string()
        };
        let head =
            format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{framing}\r\n\r\n");
        if stream.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = vec![b' '; 64 * 1024];
        let mut sent = 0;
        while sent < body_len {
            let part = if is_declared {
                chunk.clone()
            } else {
                let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                framed.extend_from_slice(&chunk);
                framed.extend_from_slice(b"\r\n");
                framed
            };
            if stream.write_all(&part).await.is_err() {
                return;
            }
            sent += chunk.len();
        }
    });
    format!("http://{addr}")
}

fn poller(base_url: String) -> OauthPoller {
    OauthPoller::new(OauthSettings {
        enabled: true,
        base_url,
        interval: Duration::from_secs(180),
        credentials_file: PathBuf::from("/nonexistent"),
        env_token: Some(Secret::new("sk-ant-oat01-test".into())),
        user_agent: "claude-code/test".into(),
    })
    .unwrap()
}

#[tokio::test]
async fn an_answer_over_the_cap_is_refused_not_read_to_the_end() {
    // 64 MiB streamed: without the cap the whole of it would be held in memory.
    let outcome = poller(endless_endpoint(64 << 20, false).await)
        .poll_once()
        .await;
    let PollOutcome::Failed(problem) = outcome else {
        panic!("{outcome:?}");
    };
    assert!(problem.contains("over 1048576 bytes"), "{problem}");
    let outcome = poller(endless_endpoint(64 << 20, true).await)
        .poll_once()
        .await;
    assert!(
        matches!(&outcome, PollOutcome::Failed(p) if p.contains("over")),
        "{outcome:?}"
    );
}
