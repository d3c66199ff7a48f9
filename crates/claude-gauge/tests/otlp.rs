//! The command line's side of the OTLP receivers: `otel-env`. The receivers themselves are tested
//! in-process in `crates/gauge-daemon/tests/otlp.rs`.

use crate::util::TestDirs;

#[test]
fn otel_env_prints_the_variables_for_each_shell() {
    let dirs = TestDirs::new();
    let out = dirs.command().arg("otel-env").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for line in [
        "export CLAUDE_CODE_ENABLE_TELEMETRY='1'",
        "export OTEL_LOGS_EXPORTER='otlp'",
        "export OTEL_EXPORTER_OTLP_PROTOCOL='http/protobuf'",
        "export OTEL_EXPORTER_OTLP_ENDPOINT='http://127.0.0.1:4318'",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line} missing from\n{text}"
        );
    }
    let out = dirs
        .command()
        .args(["otel-env", "--shell", "fish", "--protocol", "grpc"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("set -gx OTEL_EXPORTER_OTLP_ENDPOINT 'http://127.0.0.1:4317'"),
        "{text}"
    );
}
