//! Attribute lookups over OTLP `KeyValue` lists, parsed leniently: Claude Code sends some numbers
//! as `intValue`, some as `doubleValue` and some as strings (see the captures in
//! `crates/claude-gauge/tests/fixtures/otlp/`), so every reader accepts all three.

use std::fmt::Write as _;

use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue};

/// The value of `key`, if present and set.
pub(super) fn find<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a Value> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

/// A string attribute; numbers and booleans are not strings.
pub(super) fn string<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a str> {
    match find(attrs, key)? {
        Value::StringValue(s) if !s.is_empty() => Some(s),
        _ => None,
    }
}

/// The longest `host.name` kept, bytes: a DNS name's limit. A longer one (or one with control
/// characters) names no machine at all rather than a cut one.
const MAX_HOST_NAME_BYTES: usize = 253;

/// The machine a resource or record names (`host.name`, as `OTEL_RESOURCE_ATTRIBUTES` sets it),
/// trimmed; `None` when absent, empty, too long or holding control characters.
pub(super) fn host_name(attrs: &[KeyValue]) -> Option<String> {
    let name = string(attrs, "host.name")?.trim();
    let is_usable = !name.is_empty()
        && name.len() <= MAX_HOST_NAME_BYTES
        && !name.chars().any(char::is_control);
    is_usable.then(|| name.to_owned())
}

/// A non-negative whole number, from an int, a whole double or a numeric string.
pub(super) fn count(attrs: &[KeyValue], key: &str) -> Option<u64> {
    let number = number(attrs, key)?;
    (number >= 0.0 && number.fract() == 0.0 && number < 2f64.powi(63)).then_some(number as u64)
}

/// A finite number, from an int, a double or a numeric string.
pub(super) fn number(attrs: &[KeyValue], key: &str) -> Option<f64> {
    let number = match find(attrs, key)? {
        Value::IntValue(i) => *i as f64,
        Value::DoubleValue(d) => *d,
        Value::StringValue(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    number.is_finite().then_some(number)
}

/// Every attribute as (key, value as text), the way the Collector's Prometheus exporter makes
/// label values (`pcommon.Value.AsString`): strings as they are, numbers and booleans written
/// out, arrays and maps as JSON, bytes as hex. Attributes without a value are left out.
pub(super) fn as_text(attrs: &[KeyValue]) -> Vec<(String, String)> {
    attrs
        .iter()
        .filter_map(|kv| {
            let value = kv.value.as_ref()?.value.as_ref()?;
            Some((kv.key.clone(), value_text(value)))
        })
        .collect()
}

fn value_text(value: &Value) -> String {
    match value {
        Value::StringValue(s) => s.clone(),
        Value::BoolValue(b) => b.to_string(),
        Value::IntValue(i) => i.to_string(),
        Value::DoubleValue(d) => d.to_string(),
        Value::StringValueStrindex(i) => i.to_string(),
        Value::BytesValue(bytes) => bytes.iter().map(|b| format!("{b:02x}")).collect(),
        Value::ArrayValue(_) | Value::KvlistValue(_) => json_of(value).to_string(),
    }
}

fn json_of(value: &Value) -> serde_json::Value {
    match value {
        Value::StringValue(s) => s.clone().into(),
        Value::BoolValue(b) => (*b).into(),
        Value::IntValue(i) => (*i).into(),
        Value::DoubleValue(d) => (*d).into(),
        Value::ArrayValue(array) => array
            .values
            .iter()
            .filter_map(|v| v.value.as_ref().map(json_of))
            .collect(),
        Value::KvlistValue(list) => list
            .values
            .iter()
            .filter_map(|kv| Some((kv.key.clone(), json_of(kv.value.as_ref()?.value.as_ref()?))))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        other => value_text(other).into(),
    }
}

/// Appends a canonical text form of `attrs`, sorted by key, to `out`: the identity of a series
/// (docs/otlp.md, "Temporality (metrics)"). `skip` names keys left out.
pub(super) fn write_canonical(out: &mut String, attrs: &[KeyValue], skip: &[&str]) {
    let mut sorted: Vec<&KeyValue> = attrs
        .iter()
        .filter(|kv| !skip.contains(&kv.key.as_str()))
        .collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    for kv in sorted {
        out.push_str(&kv.key);
        out.push('=');
        write_value(out, kv.value.as_ref());
        out.push('\u{1f}');
    }
}

fn write_value(out: &mut String, value: Option<&AnyValue>) {
    // Writing to a String cannot fail.
    let _ = match value.and_then(|v| v.value.as_ref()) {
        None => write!(out, "-"),
        Some(Value::StringValue(s)) => write!(out, "s{s:?}"),
        Some(Value::BoolValue(b)) => write!(out, "b{b}"),
        Some(Value::IntValue(i)) => write!(out, "i{i}"),
        Some(Value::DoubleValue(d)) => write!(out, "d{}", d.to_bits()),
        Some(Value::BytesValue(b)) => write!(out, "x{b:?}"),
        Some(Value::StringValueStrindex(i)) => write!(out, "r{i}"),
        Some(Value::ArrayValue(array)) => {
            out.push('[');
            for item in &array.values {
                write_value(out, Some(item));
                out.push(',');
            }
            write!(out, "]")
        }
        Some(Value::KvlistValue(list)) => {
            out.push('{');
            write_canonical(out, &list.values, &[]);
            write!(out, "}}")
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(key: &str, value: Value) -> KeyValue {
        KeyValue {
            key: key.into(),
            value: Some(AnyValue { value: Some(value) }),
            ..KeyValue::default()
        }
    }

    #[test]
    fn numbers_are_read_from_any_form() {
        let attrs = [
            kv("a", Value::IntValue(7)),
            kv("b", Value::DoubleValue(7.0)),
            kv("c", Value::StringValue(" 7 ".into())),
            kv("d", Value::DoubleValue(0.5)),
            kv("e", Value::IntValue(-1)),
            kv("f", Value::BoolValue(true)),
        ];
        assert_eq!(count(&attrs, "a"), Some(7));
        assert_eq!(count(&attrs, "b"), Some(7));
        assert_eq!(count(&attrs, "c"), Some(7));
        assert_eq!(count(&attrs, "d"), None);
        assert_eq!(number(&attrs, "d"), Some(0.5));
        assert_eq!(count(&attrs, "e"), None);
        assert_eq!(count(&attrs, "f"), None);
        assert_eq!(count(&attrs, "missing"), None);
        assert_eq!(string(&attrs, "c"), Some(" 7 "));
        assert_eq!(string(&attrs, "a"), None);
    }

    #[test]
    fn values_are_written_as_the_collector_writes_label_values() {
        let attrs = [
            kv("s", Value::StringValue("claude-opus-5-5".into())),
            kv("b", Value::BoolValue(true)),
            kv("i", Value::IntValue(-3)),
            kv("d", Value::DoubleValue(0.25)),
            kv("w", Value::DoubleValue(1.0)),
            KeyValue {
                key: "none".into(),
                value: None,
                ..KeyValue::default()
            },
        ];
        let text: Vec<(String, String)> = as_text(&attrs);
        let values: Vec<&str> = text.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(values, ["claude-opus-5-5", "true", "-3", "0.25", "1"]);
    }

    #[test]
    fn host_names_are_trimmed_and_bounded() {
        let host = |value: &str| host_name(&[kv("host.name", Value::StringValue(value.into()))]);
        assert_eq!(host(" laptop "), Some("laptop".to_string()));
        assert_eq!(host(""), None);
        assert_eq!(host("a\nb"), None);
        assert_eq!(host("a\u{7}b"), None);
        assert_eq!(host(&"x".repeat(254)), None);
        assert_eq!(host_name(&[kv("host.name", Value::IntValue(1))]), None);
    }

    #[test]
    fn canonical_form_ignores_order_and_skipped_keys() {
        let one = [kv("b", Value::IntValue(1)), kv("a", Value::BoolValue(true))];
        let two = [
            kv("a", Value::BoolValue(true)),
            kv("x", Value::StringValue("skip me".into())),
            kv("b", Value::IntValue(1)),
        ];
        let (mut first, mut second) = (String::new(), String::new());
        write_canonical(&mut first, &one, &["x"]);
        write_canonical(&mut second, &two, &["x"]);
        assert_eq!(first, second);
        let mut third = String::new();
        write_canonical(&mut third, &[kv("b", Value::DoubleValue(1.0))], &[]);
        assert_ne!(third, "b=i1\u{1f}");
    }
}
