//! The HTTP transport: `/usage`, `/events`, `/healthz`, `/stats`, `/metrics`, `/limits`, the
//! web page at `/` and the history page at `/history` (data at `/history.json`). Ingest
//! endpoints belong to their sources (`sources::statusline`), whose routers the daemon merges
//! into this one.
//!
//! One shape, as in axum's examples: [`app`] builds the router from an [`AppState`], [`serve`]
//! runs it on a bound listener until shutdown, behind `access` (Host, Origin, the token, the
//! connection bounds). Handlers are named `<resource>_<verb>`.

mod handlers;
mod history;
mod history_page;
mod metrics;
mod web;

use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::timeout::TimeoutLayer;

use crate::access::{self, Access, Protocol};
use crate::engine::{FrameFeed, HealthBoard, LimitsFeed, TotalsFeed};
use crate::ledger::LedgerHandle;
use crate::mirror::Mirror;
use crate::stats::IngestStats;

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub(crate) struct AppState {
    /// The latest frame and change notifications.
    pub frames: FrameFeed,
    /// The sources' statuses.
    pub health: HealthBoard,
    /// Totals by model since start, for `/metrics`.
    pub totals_by_model: TotalsFeed,
    /// The limits report (official readings, calibration, OAuth state), for `/limits`.
    pub limits_report: LimitsFeed,
    /// The store, asked for its totals by `/stats`.
    pub ledger: LedgerHandle,
    /// Ingest counters.
    pub stats: Arc<IngestStats>,
    /// Claude Code's own metrics as the OTLP receiver got them, when it runs: `/metrics` then
    /// serves them under the Collector's names (`claude_code_*`), in place of the store's token
    /// and cost totals, which stay at `claude_gauge_*`.
    pub mirror: Option<Arc<Mirror>>,
    /// This machine's name, under which `/stats` `machines` counts the requests that named no
    /// machine (this machine's transcripts).
    pub machine_name: Arc<str>,
    /// Fires when the daemon shuts down; ends `/events` streams.
    pub shutdown: CancellationToken,
    /// The transport's own timing.
    pub settings: ServeSettings,
}

/// The HTTP transport's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServeSettings {
    /// How often `/events` sends a comment to keep idle connections open.
    pub events_keep_alive: Duration,
}

impl Default for ServeSettings {
    fn default() -> Self {
        ServeSettings {
            events_keep_alive: EVENTS_KEEP_ALIVE,
        }
    }
}

/// How long a plain request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How often `/events` sends a comment to keep idle connections open.
pub(crate) const EVENTS_KEEP_ALIVE: Duration = Duration::from_secs(10);

/// The router.
pub(crate) fn app(state: AppState) -> Router {
    let plain = Router::new()
        .route("/usage", get(handlers::usage_get))
        .route("/healthz", get(handlers::healthz_get))
        .route("/stats", get(handlers::stats_get))
        .route("/metrics", get(metrics::metrics_get))
        .route("/limits", get(handlers::limits_get))
        .route("/history.json", get(history::history_json_get))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ));
    // `/events` streams for as long as the client stays: no timeout layer.
    let streaming = Router::new().route("/events", get(handlers::events_get));
    let page = Router::new()
        .route("/", get(web::index_get))
        .route("/app.js", get(web::script_get))
        .route("/style.css", get(web::style_get))
        .route("/gauge.wasm", get(web::wasm_get))
        .route("/history", get(history_page::history_get))
        .route("/history.js", get(history_page::history_script_get))
        .route(
            "/vendor/uplot/uPlot.iife.min.js",
            get(history_page::uplot_get),
        )
        .route(
            "/vendor/uplot/uPlot.min.css",
            get(history_page::uplot_style_get),
        );
    plain.merge(streaming).merge(page).with_state(state)
}

/// Serves `app` on `listener` behind `access` until `shutdown` fires.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    access: Arc<Access>,
    shutdown: CancellationToken,
) {
    access::serve(listener, app, access, Protocol::Http1, shutdown).await;
}
