//! The history page's files, embedded like the cluster page's (`web/` at the repository root):
//! the page, its script and the vendored uPlot (`web/vendor/uplot/README.md` says which
//! version, from where). Nothing is fetched at run time.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::web::{respond, Asset};

const PAGE: Asset = Asset {
    body: include_bytes!("../../../../web/history.html"),
    content_type: "text/html; charset=utf-8",
};
const SCRIPT: Asset = Asset {
    body: include_bytes!("../../../../web/history.js"),
    content_type: "text/javascript; charset=utf-8",
};
const UPLOT: Asset = Asset {
    body: include_bytes!("../../../../web/vendor/uplot/uPlot.iife.min.js"),
    content_type: "text/javascript; charset=utf-8",
};
const UPLOT_STYLE: Asset = Asset {
    body: include_bytes!("../../../../web/vendor/uplot/uPlot.min.css"),
    content_type: "text/css; charset=utf-8",
};

/// The page may load only its own scripts and styles and ask only its own daemon; uPlot sets
/// element styles from script, which `style-src` does not govern.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

/// `GET /history`: the page.
pub(crate) async fn history_get() -> Response {
    let mut response = respond(&PAGE);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(PAGE_POLICY),
    );
    response.into_response()
}

/// `GET /history.js`: the page's script.
pub(crate) async fn history_script_get() -> Response {
    respond(&SCRIPT)
}

/// `GET /vendor/uplot/uPlot.iife.min.js`: uPlot.
pub(crate) async fn uplot_get() -> Response {
    respond(&UPLOT)
}

/// `GET /vendor/uplot/uPlot.min.css`: uPlot's style.
pub(crate) async fn uplot_style_get() -> Response {
    respond(&UPLOT_STYLE)
}
