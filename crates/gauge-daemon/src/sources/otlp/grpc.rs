//! The OTLP/gRPC receiver: the metrics and logs `Export` services (docs/otlp.md, "The
//! receivers"; <https://opentelemetry.io/docs/specs/otlp/#otlpgrpc>), gzip accepted,
//! `UNAVAILABLE` (retryable) while the daemon shuts down. Served as a router over HTTP/2 by
//! `access::serve`, like every listener, so the Host check, the token and the connection bounds
//! hold here too.

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use tonic::codec::CompressionEncoding;
use tonic::service::Routes;
use tonic::{Request, Response, Status};

use super::Ingest;

struct MetricsExport(Arc<Ingest>);
struct LogsExport(Arc<Ingest>);

fn shutting_down(ingest: &Ingest) -> Status {
    ingest.rejected();
    Status::unavailable("shutting down")
}

#[tonic::async_trait]
impl MetricsService for MetricsExport {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        self.0
            .metrics(request.into_inner())
            .await
            .map_err(|_| shutting_down(&self.0))?;
        Ok(Response::new(ExportMetricsServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl LogsService for LogsExport {
    async fn export(
        &self,
        request: Request<ExportLogsServiceRequest>,
    ) -> Result<Response<ExportLogsServiceResponse>, Status> {
        self.0
            .logs(request.into_inner())
            .await
            .map_err(|_| shutting_down(&self.0))?;
        Ok(Response::new(ExportLogsServiceResponse::default()))
    }
}

/// Both services as a router, for the listener `access::serve` runs over HTTP/2.
pub(super) fn app(ingest: Arc<Ingest>, max_message_bytes: usize) -> axum::Router {
    let ingest_for_codes = Arc::clone(&ingest);
    // tonic checks this limit on the message as decoded, after decompression.
    let max = max_message_bytes;
    let metrics = MetricsServiceServer::new(MetricsExport(ingest.clone()))
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(max);
    let logs = LogsServiceServer::new(LogsExport(ingest))
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(max);
    Routes::new(metrics)
        .add_service(logs)
        .into_axum_router()
        .layer(axum::middleware::map_response_with_state(
            ingest_for_codes,
            spec_status,
        ))
}

/// tonic answers a message it cannot decode with `INTERNAL` and one over the size cap with
/// `OUT_OF_RANGE`; the OTLP spec reserves both for retryable trouble, while these exports will
/// never succeed: they become `INVALID_ARGUMENT` and `RESOURCE_EXHAUSTED`
/// (<https://opentelemetry.io/docs/specs/otlp/#failures>), and count as rejected like the HTTP
/// receiver's.
async fn spec_status(
    axum::extract::State(ingest): axum::extract::State<Arc<Ingest>>,
    mut response: axum::response::Response,
) -> axum::response::Response {
    let headers = response.headers_mut();
    let status = headers.get("grpc-status").and_then(|v| v.to_str().ok());
    let message = headers
        .get("grpc-message")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(code) = spec_code(status, message) {
        ingest.rejected();
        headers.insert("grpc-status", axum::http::HeaderValue::from_static(code));
    }
    response
}

/// The spec's code for tonic's `status` (with its `message`), when it differs.
fn spec_code(status: Option<&str>, message: &str) -> Option<&'static str> {
    const INVALID_ARGUMENT: &str = "3";
    const RESOURCE_EXHAUSTED: &str = "8";
    match status? {
        // OUT_OF_RANGE: tonic's "decoded message length too large".
        "11" => Some(RESOURCE_EXHAUSTED),
        // INTERNAL from the decoder ("failed to decode Protobuf message"), not from us.
        "13" if message.to_ascii_lowercase().contains("decode") => Some(INVALID_ARGUMENT),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_and_size_failures_get_the_spec_codes() {
        assert_eq!(
            spec_code(Some("11"), "decoded message length too large"),
            Some("8")
        );
        assert_eq!(
            spec_code(Some("13"), "failed%20to%20decode%20Protobuf%20message"),
            Some("3")
        );
        assert_eq!(spec_code(Some("13"), "something else"), None);
        assert_eq!(spec_code(Some("14"), "shutting down"), None);
        assert_eq!(spec_code(None, ""), None);
    }
}
