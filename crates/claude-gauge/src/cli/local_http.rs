//! A tiny blocking HTTP/1.1 client for the daemon on loopback, with a hard deadline.
//!
//! `claude-gauge statusline` runs on every statusLine render and has 50 ms in all; an async
//! runtime and a full client would spend much of that starting up. Plain `http://` only (the daemon
//! never speaks TLS); every read and write is bounded by the deadline.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use gauge_daemon::Secret;

/// Why a request to the daemon failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LocalHttpError {
    /// The URL is not `http://host:port[/prefix]`.
    #[error("daemon URL {0:?} is not http://HOST:PORT; pass --url http://127.0.0.1:8765")]
    BadUrl(String),
    /// The deadline passed.
    #[error("the daemon did not answer in time")]
    Timeout,
    /// Connecting, writing or reading failed.
    #[error("cannot reach the daemon at {url}: {source}")]
    Io {
        /// The daemon URL.
        url: String,
        /// Why.
        source: std::io::Error,
    },
    /// The answer was not HTTP.
    #[error("the daemon's answer is not HTTP")]
    Malformed,
}

/// A response: status and body.
#[derive(Debug)]
pub(crate) struct Reply {
    /// HTTP status.
    pub(crate) status: u16,
    /// The body, de-chunked.
    pub(crate) body: Vec<u8>,
}

/// One request to the daemon.
pub(crate) struct Request<'a> {
    /// `GET`, `POST`.
    pub(crate) method: &'a str,
    /// The path after the daemon's URL.
    pub(crate) path: &'a str,
    /// A JSON body.
    pub(crate) body: Option<&'a [u8]>,
    /// The daemon's token, sent as `Authorization: Bearer` (never logged).
    pub(crate) bearer: Option<&'a Secret>,
}

/// Sends one request without a token to `base_url` + `path` and reads the whole answer, all
/// before `deadline`.
#[cfg(test)]
pub(crate) fn request(
    base_url: &str,
    method: &str,
    path: &str,
    body: Option<&[u8]>,
    deadline: Instant,
) -> Result<Reply, LocalHttpError> {
    let request = Request {
        method,
        path,
        body,
        bearer: None,
    };
    send(base_url, &request, deadline)
}

/// Sends `request` to `base_url` and reads the whole answer, all before `deadline`.
pub(crate) fn send(
    base_url: &str,
    request: &Request<'_>,
    deadline: Instant,
) -> Result<Reply, LocalHttpError> {
    let Request {
        method,
        path,
        body,
        bearer,
    } = *request;
    let rest = base_url
        .strip_prefix("http://")
        .ok_or_else(|| LocalHttpError::BadUrl(base_url.to_string()))?;
    let (host, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let prefix = prefix.trim_end_matches('/');
    let addr = resolve(host).ok_or_else(|| LocalHttpError::BadUrl(base_url.to_string()))?;
    let io = |source| LocalHttpError::Io {
        url: base_url.to_string(),
        source,
    };
    let mut stream = TcpStream::connect_timeout(&addr, left(deadline)?).map_err(io)?;
    stream.set_nodelay(true).map_err(io)?;
    let body = body.unwrap_or_default();
    let path = if prefix.is_empty() {
        path.to_string()
    } else {
        format!("/{prefix}{path}")
    };
    let authorization = bearer.map_or_else(String::new, |token| {
        format!("Authorization: Bearer {}\r\n", token.expose())
    });
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\
         Content-Type: application/json\r\n{authorization}Content-Length: {}\r\n\r\n",
        body.len()
    );
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    stream
        .set_write_timeout(Some(left(deadline)?))
        .map_err(io)?;
    stream.write_all(&request).map_err(io)?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        stream.set_read_timeout(Some(left(deadline)?)).map_err(io)?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
            Err(err)
                if matches!(
                    err.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(LocalHttpError::Timeout)
            }
            Err(err) => return Err(io(err)),
        }
    }
    parse_reply(&answer).ok_or(LocalHttpError::Malformed)
}

fn resolve(host: &str) -> Option<SocketAddr> {
    if let Ok(addr) = host.parse::<SocketAddr>() {
        return Some(addr);
    }
    host.to_socket_addrs().ok()?.next()
}

fn left(deadline: Instant) -> Result<Duration, LocalHttpError> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(LocalHttpError::Timeout)
    } else {
        Ok(left)
    }
}

fn parse_reply(answer: &[u8]) -> Option<Reply> {
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&answer[..split]).ok()?;
    let body = &answer[split + 4..];
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let is_chunked = lines.any(|line| {
        let lower = line.to_ascii_lowercase();
        lower.starts_with("transfer-encoding:") && lower.contains("chunked")
    });
    let body = if is_chunked {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    Some(Reply { status, body })
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_and_chunked_replies() {
        let reply = parse_reply(b"HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}").unwrap();
        assert_eq!((reply.status, reply.body.as_slice()), (202, &b"{}"[..]));
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_reply(chunked).unwrap().body, b"abcde");
        assert!(parse_reply(b"garbage").is_none());
    }

    #[test]
    fn refuses_other_schemes_and_honours_the_deadline() {
        let soon = Instant::now() + Duration::from_millis(50);
        assert!(matches!(
            request("https://x:1", "GET", "/", None, soon),
            Err(LocalHttpError::BadUrl(_))
        ));
        let past = Instant::now();
        assert!(matches!(
            request("http://127.0.0.1:9", "GET", "/", None, past),
            Err(LocalHttpError::Timeout)
        ));
    }
}
