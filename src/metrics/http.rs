//! The `/metrics` endpoint: a small HTTP/1.1 server over tokio that answers `GET /metrics`
//! and nothing else (404), one request per connection. Every input is bounded: the request
//! head (size, header count, time to arrive), the connections served at once, and the time
//! to write the answer. The body is encoded on a blocking thread from atomics and the metric
//! crate's short per-metric locks, so a scrape never holds up the dashboard or the workers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use prometheus_client::registry::Registry;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, Semaphore};

/// Bytes of a request head (request line and headers) read at most.
pub const MAX_HEAD: usize = 8 * 1024;
/// Header lines accepted at most.
pub const MAX_HEADERS: usize = 64;
/// Time a client has to send its request head.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Time a client has to take the answer.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections served at once; more wait in the kernel's accept queue.
pub const MAX_CONNECTIONS: usize = 8;

/// The OpenMetrics text format, which Prometheus asks for and parses.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What the server shares with the exporter: the registry to encode, and counts of
/// scrapes (with a wake-up for whoever waits for the next one).
pub struct Endpoint {
    pub registry: Registry,
    /// Scrapes begun (numbered from 1).
    pub begun: AtomicU64,
    /// The number of the latest-begun scrape that has been answered.
    pub answered: AtomicU64,
    /// Scrapes answered.
    pub scrapes: AtomicU64,
    pub scraped: Notify,
}

impl Endpoint {
    pub fn new(registry: Registry) -> Endpoint {
        Endpoint {
            registry,
            begun: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            scrapes: AtomicU64::new(0),
            scraped: Notify::new(),
        }
    }
}

/// Accepts connections on `listener` until the task is dropped or aborted.
pub async fn serve(listener: TcpListener, endpoint: Arc<Endpoint>) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(err) => {
                tracing::warn!("metrics: accept failed: {err}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let endpoint = endpoint.clone();
        tokio::spawn(async move {
            answer(stream, &endpoint).await;
            drop(permit);
        });
    }
}

/// What the request asked for, as far as this server cares.
#[derive(Debug, PartialEq, Eq)]
pub enum Request {
    /// `gzip`: the client accepts a gzip-compressed body.
    Metrics {
        gzip: bool,
    },
    NotFound,
    /// Not HTTP/1.x, or a malformed head.
    Bad,
    /// A head over [`MAX_HEAD`] bytes or [`MAX_HEADERS`] lines.
    TooLarge,
}

/// Reads a request head from `head` (complete, up to and including the blank line).
pub fn route(head: &[u8]) -> Request {
    let Ok(text) = std::str::from_utf8(head) else {
        return Request::Bad;
    };
    let mut lines = text.split("\r\n");
    let first = lines.next().unwrap_or("");
    let mut parts = first.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Request::Bad;
    };
    if !version.starts_with("HTTP/1.") {
        return Request::Bad;
    }
    let headers: Vec<&str> = lines
        .take_while(|l| !l.is_empty())
        .take(MAX_HEADERS + 1)
        .collect();
    if headers.len() > MAX_HEADERS {
        return Request::TooLarge;
    }
    let gzip = headers.iter().any(|h| accepts_gzip(h));
    let path = target.split('?').next().unwrap_or(target);
    match (method, path) {
        ("GET", "/metrics") => Request::Metrics { gzip },
        _ => Request::NotFound,
    }
}

/// Whether a header line is `Accept-Encoding` listing `gzip` (and not with `q=0`).
fn accepts_gzip(header: &str) -> bool {
    let Some((name, value)) = header.split_once(':') else {
        return false;
    };
    name.trim().eq_ignore_ascii_case("accept-encoding")
        && value.split(',').any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let gzip = parts.next().is_some_and(|c| c.eq_ignore_ascii_case("gzip"));
            let q = parts
                .find_map(|p| p.strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f64>().ok());
            gzip && q.is_some_and(|q| q > 0.0)
        })
}

/// Reads until the blank line that ends the head, within the limits.
async fn read_head(stream: &mut TcpStream) -> Result<Vec<u8>, Request> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    loop {
        if let Some(end) = find_end(&head) {
            head.truncate(end);
            return Ok(head);
        }
        if head.len() >= MAX_HEAD {
            return Err(Request::TooLarge);
        }
        let n = stream.read(&mut buf).await.map_err(|_| Request::Bad)?;
        if n == 0 {
            return Err(Request::Bad);
        }
        head.extend_from_slice(&buf[..n]);
    }
}

fn find_end(head: &[u8]) -> Option<usize> {
    head.windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
}

async fn answer(mut stream: TcpStream, endpoint: &Arc<Endpoint>) {
    let request = match tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await {
        Ok(Ok(head)) if head.len() <= MAX_HEAD => route(&head),
        Ok(Ok(_)) => Request::TooLarge,
        Ok(Err(why)) => why,
        // A client that sends nothing in time gets nothing.
        Err(_) => return,
    };
    let response = match request {
        Request::Metrics { gzip } => {
            let number = endpoint.begun.fetch_add(1, Ordering::SeqCst) + 1;
            let shared = endpoint.clone();
            let body = tokio::task::spawn_blocking(move || encode(&shared.registry, gzip)).await;
            match body {
                Ok(Some(body)) => {
                    endpoint.scrapes.fetch_add(1, Ordering::Relaxed);
                    endpoint.answered.fetch_max(number, Ordering::SeqCst);
                    endpoint.scraped.notify_waiters();
                    let encoding = gzip.then_some("gzip");
                    response("200 OK", CONTENT_TYPE, encoding, body)
                }
                _ => text("500 Internal Server Error", "encoding failed\n"),
            }
        }
        Request::NotFound => text("404 Not Found", "only GET /metrics\n"),
        Request::Bad => text("400 Bad Request", "bad request\n"),
        Request::TooLarge => text(
            "431 Request Header Fields Too Large",
            "request head too large\n",
        ),
    };
    let write = async {
        stream.write_all(&response).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(WRITE_TIMEOUT, write).await;
}

/// The registry's text, gzip-compressed (fast level) when asked; `None` if encoding failed.
fn encode(registry: &Registry, gzip: bool) -> Option<Vec<u8>> {
    let mut body = String::with_capacity(64 * 1024);
    prometheus_client::encoding::text::encode(&mut body, registry).ok()?;
    if !gzip {
        return Some(body.into_bytes());
    }
    use std::io::Write as _;
    let out = Vec::with_capacity(body.len() / 16);
    let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::fast());
    gz.write_all(body.as_bytes()).ok()?;
    gz.finish().ok()
}

fn text(status: &str, body: &str) -> Vec<u8> {
    response(status, "text/plain", None, body.as_bytes().to_vec())
}

fn response(status: &str, content_type: &str, encoding: Option<&str>, body: Vec<u8>) -> Vec<u8> {
    let encoding = encoding.map_or(String::new(), |e| format!("Content-Encoding: {e}\r\n"));
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{encoding}Content-Length: {}\r\n\
         Connection: close\r\n\r\n",
        body.len()
    );
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(&body);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_get_metrics_is_served() {
        let cases: &[(&str, Request)] = &[
            (
                "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
                Request::Metrics { gzip: false },
            ),
            (
                "GET /metrics?x=1 HTTP/1.0\r\n\r\n",
                Request::Metrics { gzip: false },
            ),
            (
                "GET /metrics HTTP/1.1\r\nAccept-Encoding: gzip\r\n\r\n",
                Request::Metrics { gzip: true },
            ),
            (
                "GET /metrics HTTP/1.1\r\naccept-encoding: br, GZIP;q=0.5\r\n\r\n",
                Request::Metrics { gzip: true },
            ),
            (
                "GET /metrics HTTP/1.1\r\nAccept-Encoding: gzip;q=0, br\r\n\r\n",
                Request::Metrics { gzip: false },
            ),
            (
                "GET /metrics HTTP/1.1\r\nAccept-Encoding: gzip;q=0.0\r\n\r\n",
                Request::Metrics { gzip: false },
            ),
            (
                "GET /metrics HTTP/1.1\r\nX-Accept-Encoding: gzip\r\n\r\n",
                Request::Metrics { gzip: false },
            ),
            ("GET / HTTP/1.1\r\n\r\n", Request::NotFound),
            ("GET /metrics/ HTTP/1.1\r\n\r\n", Request::NotFound),
            ("POST /metrics HTTP/1.1\r\n\r\n", Request::NotFound),
            ("HEAD /metrics HTTP/1.1\r\n\r\n", Request::NotFound),
            ("GET /metrics\r\n\r\n", Request::Bad),
            ("GET /metrics HTTP/2\r\n\r\n", Request::Bad),
            ("GET  /metrics HTTP/1.1\r\n\r\n", Request::Bad),
            ("\u{1b}[2J /metrics HTTP/1.1\r\n\r\n", Request::NotFound),
        ];
        for (head, want) in cases {
            assert_eq!(&route(head.as_bytes()), want, "{head:?}");
        }
        assert_eq!(
            route(b"GET /metrics HTTP/1.1\r\n\xff\r\n\r\n"),
            Request::Bad
        );
        let many = format!("GET /metrics HTTP/1.1\r\n{}\r\n", "A: b\r\n".repeat(65));
        assert_eq!(route(many.as_bytes()), Request::TooLarge);
        let enough = format!("GET /metrics HTTP/1.1\r\n{}\r\n", "A: b\r\n".repeat(64));
        assert_eq!(route(enough.as_bytes()), Request::Metrics { gzip: false });
    }
}
