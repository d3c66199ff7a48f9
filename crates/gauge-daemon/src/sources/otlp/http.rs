//! The OTLP/HTTP receiver: `POST …/v1/metrics` and `POST …/v1/logs`, protobuf or JSON by
//! `Content-Type`, optionally gzip, answered as the OTLP specification says
//! (<https://opentelemetry.io/docs/specs/otlp/#otlphttp-response>): 200 with an
//! empty response (0 bytes for protobuf, `{}` for JSON); 400 with a `google.rpc.Status` for
//! undecodable data; 413 past the size caps; 415 for unknown types and encodings.
//!
//! Routing is by path suffix (`…metrics`, `…logs`), because Claude Code posts signal-specific
//! endpoints (`OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`) verbatim.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use prost::Message;
use tower_http::timeout::TimeoutLayer;

use super::{Ingest, OtlpSettings};

/// How long one export may take to arrive and be handled.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How much of an oversized body is read and dropped before the 413 goes out.
const DRAIN_LIMIT_BYTES: usize = 64 * 1024 * 1024;
/// `google.rpc.Code.INVALID_ARGUMENT`.
const RPC_INVALID_ARGUMENT: i32 = 3;
/// `google.rpc.Code.UNAVAILABLE`.
const RPC_UNAVAILABLE: i32 = 14;
/// `google.rpc.Code.RESOURCE_EXHAUSTED`.
const RPC_RESOURCE_EXHAUSTED: i32 = 8;

/// `google.rpc.Status`, the body of an OTLP error response (its `details` stay empty).
#[derive(Clone, PartialEq, prost::Message, serde::Serialize)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

#[derive(Clone)]
struct HttpState {
    ingest: Arc<Ingest>,
    max_body_bytes: usize,
    max_decompressed_bytes: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Signal {
    Metrics,
    Logs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Encoding {
    Protobuf,
    Json,
}

/// A rejected export: the status and a reason that names no payload content.
#[derive(Debug)]
struct Rejection {
    status: StatusCode,
    code: i32,
    reason: String,
}

impl Rejection {
    fn new(status: StatusCode, code: i32, reason: impl Into<String>) -> Rejection {
        Rejection {
            status,
            code,
            reason: reason.into(),
        }
    }

    fn respond(self, encoding: Option<Encoding>) -> Response {
        let status = RpcStatus {
            code: self.code,
            message: self.reason,
        };
        match encoding {
            Some(Encoding::Protobuf) => (
                self.status,
                [(header::CONTENT_TYPE, "application/x-protobuf")],
                status.encode_to_vec(),
            )
                .into_response(),
            _ => (self.status, axum::Json(status)).into_response(),
        }
    }
}

/// The receiver's router.
pub(super) fn app(ingest: Arc<Ingest>, settings: &OtlpSettings) -> Router {
    let state = HttpState {
        ingest,
        max_body_bytes: settings.max_body_bytes,
        max_decompressed_bytes: settings.max_decompressed_bytes,
    };
    Router::new()
        .fallback(export_post)
        // The body is read with our own cap (so a 413 carries an OTLP status).
        .layer(DefaultBodyLimit::disable())
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .with_state(state)
}

/// `POST …/v1/metrics` and `POST …/v1/logs`.
async fn export_post(
    State(state): State<HttpState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let signal = if uri.path().ends_with("metrics") {
        Signal::Metrics
    } else if uri.path().ends_with("logs") {
        Signal::Logs
    } else {
        let reason = "unknown path: POST OTLP exports to /v1/metrics or /v1/logs";
        return Rejection::new(StatusCode::NOT_FOUND, RPC_INVALID_ARGUMENT, reason).respond(None);
    };
    if method != Method::POST {
        let reason = "OTLP exports are POSTed";
        return Rejection::new(StatusCode::METHOD_NOT_ALLOWED, RPC_INVALID_ARGUMENT, reason)
            .respond(None);
    }
    let (encoding, outcome) = match content_type(&headers) {
        Ok(encoding) => (
            Some(encoding),
            export(&state, signal, encoding, &headers, body).await,
        ),
        Err(rejection) => (None, Err(rejection)),
    };
    match (outcome, encoding) {
        (Ok(()), Some(encoding)) => accepted(encoding),
        (Ok(()), None) => accepted(Encoding::Json),
        (Err(rejection), _) => {
            state.ingest.rejected();
            // The status only: a decoder's reason may quote part of the payload.
            tracing::debug!("otlp: rejected a {signal:?} export: {}", rejection.status);
            rejection.respond(encoding)
        }
    }
}

async fn export(
    state: &HttpState,
    signal: Signal,
    encoding: Encoding,
    headers: &HeaderMap,
    body: Body,
) -> Result<(), Rejection> {
    let raw = read_body(body, state.max_body_bytes).await?;
    let bytes = decompress(headers, raw, state.max_decompressed_bytes)?;
    let delivered = match signal {
        Signal::Metrics => {
            let request: ExportMetricsServiceRequest = decode(&bytes, encoding)?;
            state.ingest.metrics(request).await
        }
        Signal::Logs => {
            let request: ExportLogsServiceRequest = decode(&bytes, encoding)?;
            state.ingest.logs(request).await
        }
    };
    // 503 is retryable: the export is not lost if the daemon is only restarting.
    delivered.map_err(|_| {
        Rejection::new(
            StatusCode::SERVICE_UNAVAILABLE,
            RPC_UNAVAILABLE,
            "shutting down",
        )
    })
}

fn accepted(encoding: Encoding) -> Response {
    match encoding {
        Encoding::Protobuf => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/x-protobuf")],
            Bytes::new(),
        )
            .into_response(),
        // Serializing the response type gives `{"partialSuccess":null}`; OTLP wants `{}`.
        Encoding::Json => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "{}",
        )
            .into_response(),
    }
}

fn content_type(headers: &HeaderMap) -> Result<Encoding, Rejection> {
    let value = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = value.split(';').next().unwrap_or("").trim();
    match essence.to_ascii_lowercase().as_str() {
        "application/x-protobuf" | "application/protobuf" => Ok(Encoding::Protobuf),
        "application/json" => Ok(Encoding::Json),
        _ => Err(Rejection::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            RPC_INVALID_ARGUMENT,
            format!(
                "unsupported Content-Type {essence:?}: send application/x-protobuf or application/json"
            ),
        )),
    }
}

/// Reads the body, keeping at most `max_bytes`. Past the cap it reads on (up to
/// [`DRAIN_LIMIT_BYTES`] more) and drops the rest, so that a client still sending gets the 413
/// instead of a connection reset (a lingering close).
async fn read_body(mut body: Body, max_bytes: usize) -> Result<Bytes, Rejection> {
    use http_body_util::BodyExt;
    let mut kept = Vec::new();
    let mut seen_bytes = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| {
            Rejection::new(
                StatusCode::BAD_REQUEST,
                RPC_INVALID_ARGUMENT,
                "the body could not be read",
            )
        })?;
        // Trailers carry no data.
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen_bytes = seen_bytes.saturating_add(data.len());
        if seen_bytes <= max_bytes {
            kept.extend_from_slice(&data);
        } else if seen_bytes > max_bytes.saturating_add(DRAIN_LIMIT_BYTES) {
            break;
        } else {
            kept = Vec::new();
        }
    }
    if seen_bytes > max_bytes {
        return Err(too_large(format!("body over {max_bytes} bytes")));
    }
    Ok(Bytes::from(kept))
}

fn too_large(reason: String) -> Rejection {
    Rejection::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        RPC_RESOURCE_EXHAUSTED,
        reason,
    )
}

/// Undoes `Content-Encoding: gzip`, reading at most `max_bytes` (a gzip bomb stops there).
fn decompress(headers: &HeaderMap, raw: Bytes, max_bytes: usize) -> Result<Bytes, Rejection> {
    let coding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("identity")
        .trim()
        .to_ascii_lowercase();
    match coding.as_str() {
        "" | "identity" => Ok(raw),
        "gzip" | "x-gzip" => {
            let mut out = Vec::new();
            let limit = u64::try_from(max_bytes)
                .unwrap_or(u64::MAX)
                .saturating_add(1);
            flate2::read::MultiGzDecoder::new(raw.as_ref())
                .take(limit)
                .read_to_end(&mut out)
                .map_err(|_| {
                    Rejection::new(
                        StatusCode::BAD_REQUEST,
                        RPC_INVALID_ARGUMENT,
                        "Content-Encoding is gzip but the body is not valid gzip",
                    )
                })?;
            if out.len() > max_bytes {
                return Err(too_large(format!(
                    "body over {max_bytes} bytes after decompression"
                )));
            }
            Ok(Bytes::from(out))
        }
        other => Err(Rejection::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            RPC_INVALID_ARGUMENT,
            format!("unsupported Content-Encoding {other:?}: send gzip or none"),
        )),
    }
}

fn decode<T>(bytes: &[u8], encoding: Encoding) -> Result<T, Rejection>
where
    T: Message + Default + serde::de::DeserializeOwned,
{
    let invalid =
        |what: String| Rejection::new(StatusCode::BAD_REQUEST, RPC_INVALID_ARGUMENT, what);
    match encoding {
        Encoding::Protobuf => {
            T::decode(bytes).map_err(|err| invalid(format!("not an OTLP protobuf export: {err}")))
        }
        // serde_json's messages give a line and column, never the input.
        Encoding::Json => serde_json::from_slice(bytes)
            .map_err(|err| invalid(format!("not an OTLP JSON export: {err}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), value.parse().unwrap());
        }
        map
    }

    #[test]
    fn content_types_choose_the_encoding() {
        let ct = |v: &str| content_type(&headers(&[(header::CONTENT_TYPE, v)])).ok();
        assert_eq!(ct("application/x-protobuf"), Some(Encoding::Protobuf));
        assert_eq!(ct("application/json; charset=utf-8"), Some(Encoding::Json));
        assert_eq!(ct("text/plain"), None);
        assert!(content_type(&HeaderMap::new()).is_err());
    }

    #[test]
    fn gzip_is_capped_after_decompression() {
        use std::io::Write;
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&vec![0u8; 1 << 20]).unwrap();
        let gz = Bytes::from(encoder.finish().unwrap());
        let gzip = headers(&[(header::CONTENT_ENCODING, "gzip")]);
        assert_eq!(
            decompress(&gzip, gz.clone(), 1 << 20).unwrap().len(),
            1 << 20
        );
        let err = decompress(&gzip, gz, (1 << 20) - 1).err().unwrap();
        assert_eq!(err.status, StatusCode::PAYLOAD_TOO_LARGE);
        let err = decompress(&gzip, Bytes::from_static(b"nope"), 10)
            .err()
            .unwrap();
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
        let br = headers(&[(header::CONTENT_ENCODING, "br")]);
        let err = decompress(&br, Bytes::new(), 10).err().unwrap();
        assert_eq!(err.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }

    #[test]
    fn error_status_encodes_as_google_rpc_status() {
        let status = RpcStatus {
            code: RPC_INVALID_ARGUMENT,
            message: "bad".into(),
        };
        let decoded = RpcStatus::decode(status.encode_to_vec().as_slice()).unwrap();
        assert_eq!(decoded, status);
        assert_eq!(
            serde_json::to_string(&status).unwrap(),
            r#"{"code":3,"message":"bad"}"#
        );
    }
}
