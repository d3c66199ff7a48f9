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
    // tonic checks this limit on the message as decoded, after decompression.
    let max = max_message_bytes;
    let metrics = MetricsServiceServer::new(MetricsExport(ingest.clone()))
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(max);
    let logs = LogsServiceServer::new(LogsExport(ingest))
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(max);
    Routes::new(metrics).add_service(logs).into_axum_router()
}
