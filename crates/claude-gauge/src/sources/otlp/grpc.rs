//! The OTLP/gRPC receiver: the metrics and logs `Export` services (docs/otlp.md, "The
//! receivers"; <https://opentelemetry.io/docs/specs/otlp/#otlpgrpc>), gzip accepted,
//! `UNAVAILABLE` (retryable) while the daemon shuts down.

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
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::codec::CompressionEncoding;
use tonic::transport::server::TcpIncoming;
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

/// Serves both services on `listener` until `shutdown` fires.
pub(super) async fn serve(
    listener: TcpListener,
    ingest: Arc<Ingest>,
    max_message_bytes: usize,
    shutdown: CancellationToken,
) {
    // tonic checks this limit on the message as decoded, after decompression.
    let max = max_message_bytes;
    let metrics = MetricsServiceServer::new(MetricsExport(ingest.clone()))
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(max);
    let logs = LogsServiceServer::new(LogsExport(ingest))
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(max);
    let served = tonic::transport::Server::builder()
        .add_service(metrics)
        .add_service(logs)
        .serve_with_incoming_shutdown(TcpIncoming::from(listener), shutdown.cancelled_owned())
        .await;
    if let Err(err) = served {
        tracing::error!("otlp grpc receiver stopped: {err}");
    }
}
