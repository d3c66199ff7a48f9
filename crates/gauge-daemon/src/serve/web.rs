//! The web page: the virtual cluster at `/`, from files embedded in the binary (`web/` at the
//! repository root), so it works offline and needs no install step.
//!
//! `gauge.wasm` is gauge-core's `Cluster` built by `scripts/build-wasm` and checked in; the page
//! runs it to move its needles.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// One embedded file: its body and content type.
pub(super) struct Asset {
    pub(super) body: &'static [u8],
    pub(super) content_type: &'static str,
}

const INDEX: Asset = Asset {
    body: include_bytes!("../../../../web/index.html"),
    content_type: "text/html; charset=utf-8",
};
const SCRIPT: Asset = Asset {
    body: include_bytes!("../../../../web/app.js"),
    content_type: "text/javascript; charset=utf-8",
};
const STYLE: Asset = Asset {
    body: include_bytes!("../../../../web/style.css"),
    content_type: "text/css; charset=utf-8",
};
const WASM: Asset = Asset {
    body: include_bytes!("../../../../web/gauge.wasm"),
    content_type: "application/wasm",
};

pub(super) fn respond(asset: &'static Asset) -> Response {
    // Assets change only with the binary; `no-cache` makes a browser revalidate after an upgrade
    // instead of mixing an old script with a new module.
    let headers = [
        (header::CONTENT_TYPE, asset.content_type),
        (header::CACHE_CONTROL, "no-cache"),
    ];
    (headers, asset.body).into_response()
}

/// `GET /`: the page.
pub(crate) async fn index_get() -> Response {
    respond(&INDEX)
}

/// `GET /app.js`: the page's script.
pub(crate) async fn script_get() -> Response {
    respond(&SCRIPT)
}

/// `GET /style.css`: the page's style.
pub(crate) async fn style_get() -> Response {
    respond(&STYLE)
}

/// `GET /gauge.wasm`: gauge-core's cluster as WebAssembly.
pub(crate) async fn wasm_get() -> Response {
    respond(&WASM)
}
