//! The accept loop every listener runs: hyper with a header-read timeout, a cap on open
//! connections, and the [`Access`] check in front of the router.
//!
//! Slowloris (many connections that send their headers slowly, or never) would hold a file
//! descriptor each until none are left. Here a connection that has not delivered a request head
//! within [`HEADER_READ_TIMEOUT`] of being accepted is closed (hyper closes a kept-alive HTTP/1
//! connection that idles that long between requests too), and at most [`MAX_CONNECTIONS`] are
//! open: a new connection past the cap takes the place of the oldest one that has no request in
//! flight, so a stalled crowd cannot lock a normal client out; when all of them are busy
//! answering, the new one is closed at once.
//!
//! Ownership and shutdown: each connection is a task on the listener's own `TaskTracker`. On
//! `shutdown` the loop stops accepting and every connection is asked to close gracefully (hyper
//! finishes the request in flight) and dropped after [`CLOSE_GRACE`]; [`serve`] returns once all
//! are gone.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use axum::Router;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

use super::{guard, Access};

/// The most connections one listener keeps open.
pub(crate) const MAX_CONNECTIONS: usize = 512;
/// How long a client has to send a request head.
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may finish its request after shutdown.
const CLOSE_GRACE: Duration = Duration::from_secs(2);
/// HTTP/2 pings: a peer that does not answer within this is dropped.
const HTTP2_KEEP_ALIVE: Duration = Duration::from_secs(20);
/// The pause after an accept error such as "too many open files", so the loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// Which HTTP a listener speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Protocol {
    /// HTTP/1.1: the app, OTLP/HTTP.
    Http1,
    /// HTTP/2 over plain TCP (prior knowledge): OTLP/gRPC.
    Http2,
}

/// The bounds of one listener.
#[derive(Clone, Copy, Debug)]
struct Limits {
    max_connections: usize,
    header_read_timeout: Duration,
}

/// Serves `app` on `listener` behind `access` until `shutdown` fires.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    access: Arc<Access>,
    protocol: Protocol,
    shutdown: CancellationToken,
) {
    let limits = Limits {
        max_connections: MAX_CONNECTIONS,
        header_read_timeout: HEADER_READ_TIMEOUT,
    };
    serve_with(listener, app, access, protocol, limits, shutdown).await;
}

async fn serve_with(
    listener: TcpListener,
    app: Router,
    access: Arc<Access>,
    protocol: Protocol,
    limits: Limits,
    shutdown: CancellationToken,
) {
    let app = app.layer(axum::middleware::from_fn_with_state(access, guard::guard));
    let slots = Arc::new(Slots::new(limits.max_connections));
    let connections = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(err) => {
                if !is_connection_error(&err) {
                    tracing::debug!("accept failed: {err}");
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = tokio::time::sleep(ACCEPT_ERROR_PAUSE) => {}
                    }
                }
                continue;
            }
        };
        // Every slot answering a request: this one is closed now (dropped).
        let Some(slot) = slots.admit() else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let connection = serve_connection(
            stream,
            app.clone(),
            slot,
            protocol,
            limits,
            shutdown.clone(),
        );
        connections.spawn(connection);
    }
    drop(listener);
    connections.close();
    connections.wait().await;
}

/// Errors of one connection, not of the listener.
fn is_connection_error(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

fn builder(protocol: Protocol, limits: Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    match protocol {
        Protocol::Http1 => {
            builder = builder.http1_only();
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout);
        }
        Protocol::Http2 => {
            builder = builder.http2_only();
            builder
                .http2()
                .timer(TokioTimer::new())
                .keep_alive_interval(HTTP2_KEEP_ALIVE)
                .keep_alive_timeout(HTTP2_KEEP_ALIVE);
        }
    }
    builder
}

/// One connection, until it ends, is evicted, misses its first head or shutdown.
async fn serve_connection(
    stream: TcpStream,
    app: Router,
    slot: Slot,
    protocol: Protocol,
    limits: Limits,
    shutdown: CancellationToken,
) {
    let activity = slot.activity.clone();
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let busy = activity.begin();
        let app = app.clone();
        async move {
            let response = app.oneshot(request.map(Body::new)).await;
            // The request counts as in flight until its body is sent or dropped (`/events`
            // streams for as long as the client stays).
            response.map(|response| {
                response.map(|body| {
                    Body::new(body.map_frame(move |frame| {
                        let _in_flight = &busy;
                        frame
                    }))
                })
            })
        }
    });
    let builder = builder(protocol, limits);
    let connection = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let first_head = tokio::time::sleep(limits.header_read_timeout);
    tokio::pin!(first_head);
    let grace = tokio::time::sleep(CLOSE_GRACE);
    tokio::pin!(grace);
    let mut is_closing = false;
    loop {
        tokio::select! {
            served = connection.as_mut() => {
                if let Err(err) = served {
                    tracing::debug!("connection ended: {err}");
                }
                break;
            }
            () = slot.activity.evict.cancelled() => break,
            () = &mut first_head, if !slot.activity.has_requested() => break,
            () = shutdown.cancelled(), if !is_closing => {
                connection.as_mut().graceful_shutdown();
                grace.as_mut().reset(tokio::time::Instant::now() + CLOSE_GRACE);
                is_closing = true;
            }
            () = &mut grace, if is_closing => break,
        }
    }
}

/// What a connection is doing, for the cap.
#[derive(Default)]
struct Activity {
    in_flight: AtomicUsize,
    has_requested: AtomicBool,
    /// Fired when a newer connection takes this one's place.
    evict: CancellationToken,
}

impl Activity {
    fn begin(self: &Arc<Self>) -> InFlight {
        self.has_requested.store(true, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    fn has_requested(&self) -> bool {
        self.has_requested.load(Ordering::Relaxed)
    }

    fn is_idle(&self) -> bool {
        self.in_flight.load(Ordering::Relaxed) == 0
    }
}

/// One request in flight on a connection; dropped when its answer is done.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The open connections of one listener, oldest first.
struct Slots {
    max: usize,
    next_id: AtomicU64,
    /// A std `Mutex`: held for a map update, never across an `.await`.
    open: Mutex<BTreeMap<u64, Arc<Activity>>>,
}

/// A connection's place among the open ones; gives it up when dropped.
struct Slot {
    id: u64,
    slots: Arc<Slots>,
    activity: Arc<Activity>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.slots.lock().remove(&self.id);
    }
}

impl Slots {
    fn new(max: usize) -> Slots {
        Slots {
            max: max.max(1),
            next_id: AtomicU64::new(0),
            open: Mutex::new(BTreeMap::new()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Arc<Activity>>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place for a new connection: free, or the oldest idle connection's (which is told to
    /// go); `None` when every open connection is answering a request.
    fn admit(self: &Arc<Self>) -> Option<Slot> {
        let mut open = self.lock();
        if open.len() >= self.max {
            let oldest_idle = open
                .iter()
                .find(|(_, activity)| activity.is_idle())
                .map(|(id, _)| *id)?;
            if let Some(evicted) = open.remove(&oldest_idle) {
                evicted.evict.cancel();
            }
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let activity = Arc::new(Activity::default());
        open.insert(id, activity.clone());
        Some(Slot {
            id,
            slots: self.clone(),
            activity,
        })
    }
}

#[cfg(test)]
mod tests;
