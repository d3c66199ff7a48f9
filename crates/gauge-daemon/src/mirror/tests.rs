use super::*;

fn claude_resource() -> Vec<(String, String)> {
    [
        ("host.arch", "amd64"),
        ("os.type", "linux"),
        ("service.name", "claude-code"),
        ("service.version", "2.1.330"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
    .collect()
}

fn token_point(session: &str, kind: &str, increment: f64) -> MirrorPoint {
    MirrorPoint {
        metric: "claude_code.token.usage".into(),
        unit: "tokens".into(),
        description: "Number of tokens used".into(),
        attributes: vec![
            ("user.id".into(), "f".repeat(64)),
            ("session.id".into(), session.into()),
            ("anthropic.custom_base_url".into(), "true".into()),
            ("model".into(), "claude-opus-5-5".into()),
            ("type".into(), kind.into()),
            ("effort".into(), String::new()),
        ],
        scope: ("com.anthropic.claude_code".into(), "2.1.330".into()),
        increment,
    }
}

fn family<'a>(snapshot: &'a MirrorSnapshot, sample: &str) -> &'a MirroredFamily {
    snapshot
        .families
        .iter()
        .find(|f| f.name.counter_sample() == sample)
        .unwrap_or_else(|| panic!("no {sample} in {snapshot:?}"))
}

#[test]
fn sessions_fold_into_one_series_with_the_collector_labels() {
    let mirror = Mirror::default();
    let points = [
        token_point("s-1", "input", 1000.0),
        token_point("s-2", "input", 234.0),
        token_point("s-1", "output", 50.0),
    ];
    assert_eq!(mirror.record(&claude_resource(), &points, 1_000), 0);
    let snapshot = mirror.snapshot(1_000);
    let tokens = family(&snapshot, "claude_code_token_usage_tokens_total");
    assert_eq!(tokens.help, "Number of tokens used");
    assert_eq!(tokens.series.len(), 2, "{tokens:?}");
    let (labels, value) = &tokens.series[0];
    let names: Vec<&str> = labels.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "anthropic_custom_base_url",
            "job",
            "model",
            "otel_scope_name",
            "otel_scope_version",
            "type",
            "user_id",
        ],
        "session.id dropped, the empty effort left out, job from service.name"
    );
    assert!(labels.contains(&("job".into(), "claude-code".into())));
    assert!(labels.contains(&("type".into(), "input".into())));
    assert_eq!(*value, 1234.0);
    // No service.instance.id: no target_info, as with the Collector.
    assert!(snapshot.targets.is_empty());
}

#[test]
fn a_resource_with_an_instance_gets_target_info() {
    let mirror = Mirror::default();
    let mut resource = claude_resource();
    resource.push(("service.instance.id".into(), "laptop-1".into()));
    resource.push(("service.namespace".into(), "team".into()));
    mirror.record(&resource, &[token_point("s", "input", 1.0)], 0);
    let snapshot = mirror.snapshot(0);
    assert_eq!(
        snapshot.targets,
        vec![vec![
            ("host_arch".to_string(), "amd64".to_string()),
            ("instance".into(), "laptop-1".into()),
            ("job".into(), "team/claude-code".into()),
            ("os_type".into(), "linux".into()),
            ("service_version".into(), "2.1.330".into()),
        ]]
    );
    let (labels, _) = &family(&snapshot, "claude_code_token_usage_tokens_total").series[0];
    assert!(labels.contains(&("instance".into(), "laptop-1".into())));
}

#[test]
fn past_the_cap_new_series_are_dropped_and_old_ones_still_grow() {
    let mirror = Mirror::default();
    let points: Vec<MirrorPoint> = (0..MAX_SERIES)
        .map(|i| token_point("s", &format!("kind{i}"), 1.0))
        .collect();
    assert_eq!(mirror.record(&claude_resource(), &points, 0), 0);
    let more = [token_point("s", "new", 1.0), token_point("s", "kind0", 2.0)];
    assert_eq!(mirror.record(&claude_resource(), &more, 1), 1);
    let snapshot = mirror.snapshot(1);
    let tokens = family(&snapshot, "claude_code_token_usage_tokens_total");
    assert_eq!(tokens.series.len(), MAX_SERIES);
    let kind0 = tokens
        .series
        .iter()
        .find(|(labels, _)| labels.contains(&("type".into(), "kind0".into())))
        .unwrap();
    assert_eq!(kind0.1, 3.0);
}

#[test]
fn quiet_series_are_forgotten_and_oversize_labels_dropped() {
    let mirror = Mirror::default();
    mirror.record(&claude_resource(), &[token_point("s", "input", 5.0)], 0);
    let later = FORGET_AFTER_MS + SWEEP_EVERY_MS;
    mirror.record(
        &claude_resource(),
        &[token_point("s", "output", 1.0)],
        later - 1,
    );
    let snapshot = mirror.snapshot(later);
    let tokens = family(&snapshot, "claude_code_token_usage_tokens_total");
    assert_eq!(tokens.series.len(), 1);
    assert!(tokens.series[0]
        .0
        .contains(&("type".into(), "output".into())));

    let mut long = token_point("s", "input", 1.0);
    long.attributes
        .push(("x".into(), "v".repeat(MAX_LABEL_VALUE_BYTES + 1)));
    assert_eq!(mirror.record(&claude_resource(), &[long], later), 1);
}

#[test]
fn help_is_one_bounded_line() {
    assert_eq!(help_text("Cost of the session."), "Cost of the session");
    assert_eq!(help_text("a\nb\\c"), "a bc");
    assert_eq!(help_text(""), "Claude Code metric");
    assert!(help_text(&"é".repeat(400)).len() <= MAX_HELP_BYTES);
}
