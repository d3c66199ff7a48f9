use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;

/// A listener on loopback with `limits`, answering `GET /` with "ok".
async fn start(
    limits: Limits,
) -> (
    std::net::SocketAddr,
    CancellationToken,
    tokio::task::JoinHandle<()>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/", axum::routing::get(|| async { "ok" }));
    let shutdown = CancellationToken::new();
    let access = Arc::new(Access::loopback_only());
    let server = tokio::spawn(serve_with(
        listener,
        app,
        access,
        Protocol::Http1,
        limits,
        shutdown.clone(),
    ));
    (addr, shutdown, server)
}

/// A stalled client: connected, half a request head sent.
async fn stall(addr: std::net::SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0")
        .await
        .unwrap();
    stream
}

async fn get(addr: std::net::SocketAddr) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}

/// Whether the server closed `stream` (a read sees the end, or a reset).
async fn is_closed(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 64];
    match tokio::time::timeout(within, stream.read(&mut buf)).await {
        Ok(Ok(0) | Err(_)) => true,
        // Anything read is a 408 hyper sends before closing; the end follows.
        Ok(Ok(_)) => matches!(
            tokio::time::timeout(within, stream.read(&mut buf)).await,
            Ok(Ok(0) | Err(_))
        ),
        Err(_) => false,
    }
}

#[tokio::test]
async fn a_half_sent_head_is_closed_after_the_header_read_timeout() {
    let limits = Limits {
        max_connections: 8,
        header_read_timeout: Duration::from_millis(300),
    };
    let (addr, shutdown, server) = start(limits).await;
    let mut stalled = stall(addr).await;
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    assert!(is_closed(&mut stalled, Duration::from_secs(3)).await);
    assert!(is_closed(&mut silent, Duration::from_secs(3)).await);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    shutdown.cancel();
    server.await.unwrap();
}

#[tokio::test]
async fn past_the_cap_a_new_client_takes_the_place_of_the_oldest_stalled_one() {
    let limits = Limits {
        max_connections: 4,
        header_read_timeout: Duration::from_secs(30),
    };
    let (addr, shutdown, server) = start(limits).await;
    let mut stalled = Vec::new();
    for _ in 0..10 {
        stalled.push(stall(addr).await);
    }
    let started = Instant::now();
    let answer = tokio::time::timeout(Duration::from_secs(5), get(addr))
        .await
        .expect("answered while the stalled clients wait");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // The oldest were let go; the newest still hold their places.
    assert!(is_closed(&mut stalled[0], Duration::from_secs(2)).await);
    assert!(!is_closed(&mut stalled[9], Duration::from_millis(200)).await);
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("stops with stalled clients connected")
        .unwrap();
}

#[tokio::test]
async fn shutdown_ends_stalled_connections_within_the_grace() {
    let limits = Limits {
        max_connections: 8,
        header_read_timeout: Duration::from_secs(30),
    };
    let (addr, shutdown, server) = start(limits).await;
    let _stalled = stall(addr).await;
    assert!(get(addr).await.starts_with("HTTP/1.1 200"));
    let started = Instant::now();
    shutdown.cancel();
    tokio::time::timeout(CLOSE_GRACE + Duration::from_secs(2), server)
        .await
        .expect("bounded")
        .unwrap();
    assert!(started.elapsed() <= CLOSE_GRACE + Duration::from_millis(500));
}
