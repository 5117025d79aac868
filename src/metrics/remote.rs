//! `--from-prometheus URL`: a worker task that polls a Prometheus server's query API for
//! reachability measured elsewhere (`fleetdash_device_up` from other `fleetdash serve`
//! instances, or blackbox_exporter's `probe_success`), maps the series to the inventory's
//! devices, and sends the picture to the reducer as [`RemoteReport`]s. Never in the UI
//! loop; a Prometheus that is down is a report (a log line and a header mark), not an error.
//!
//! Plain `http://` only, over a bounded hand-written HTTP/1.0 GET (the answer is read to its
//! end, at most [`MAX_BODY`] bytes, within the timeout).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::labels::label_value;
use crate::base::text::Untrusted;
use crate::fleet::{Event, RemoteReport, RemoteView};
use crate::inventory::Inventory;

/// The query unless `--query` says otherwise.
pub const DEFAULT_QUERY: &str = "fleetdash_device_up";
/// Bytes of an answer read at most (10,000 series are about 2.5 MB).
pub const MAX_BODY: usize = 32 * 1024 * 1024;
/// Characters of a vantage name kept.
const VANTAGE_CHARS: usize = 32;

/// Where to read and how often.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteConfig {
    pub url: PrometheusUrl,
    pub query: String,
    pub interval: Duration,
    pub timeout: Duration,
}

/// A Prometheus server's base address: `http://HOST[:PORT][/PREFIX]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrometheusUrl {
    pub host: String,
    pub port: u16,
    /// A path prefix (a Prometheus behind `--web.route-prefix`), without the trailing `/`.
    pub prefix: String,
}

impl std::fmt::Display for PrometheusUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.host.contains(':') {
            true => write!(f, "http://[{}]:{}{}", self.host, self.port, self.prefix),
            false => write!(f, "http://{}:{}{}", self.host, self.port, self.prefix),
        }
    }
}

/// Parses `--from-prometheus`. `https://` is refused with what to do instead.
pub fn parse_url(text: &str) -> Result<PrometheusUrl, String> {
    let shown = Untrusted(text);
    if text.starts_with("https://") {
        return Err(format!(
            "{shown}: https is not supported yet; reach the server through a local TLS \
             tunnel (e.g. `ssh -L 9090:prometheus:9090 host`, then http://127.0.0.1:9090)"
        ));
    }
    let rest = text
        .strip_prefix("http://")
        .ok_or_else(|| format!("{shown}: expected http://HOST[:PORT][/PREFIX]"))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    let bad = || format!("{shown}: expected http://HOST[:PORT][/PREFIX]");
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, tail) = v6.split_once(']').ok_or_else(bad)?;
        let port = match tail.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| bad())?,
            None if tail.is_empty() => 80,
            None => return Err(bad()),
        };
        (host.to_string(), port)
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host.to_string(), port.parse().map_err(|_| bad())?),
            None => (authority.to_string(), 80),
        }
    };
    let clean = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_graphic() && !"?#@\"\\".contains(c))
    };
    if host.is_empty() || !clean(&host) || !clean(path) {
        return Err(bad());
    }
    Ok(PrometheusUrl {
        host,
        port,
        prefix: path.to_string(),
    })
}

/// The polling task; dropping it stops it.
pub struct Poller(JoinHandle<()>);

impl Drop for Poller {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts polling: a report per interval into `events` until the stream closes.
pub fn spawn(
    config: RemoteConfig,
    inventory: Arc<Inventory>,
    events: mpsc::Sender<Event>,
) -> Poller {
    let matcher = Matcher::new(&inventory);
    Poller(tokio::spawn(async move {
        let mut tick = tokio::time::interval(config.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let report = match poll(&config, &matcher).await {
                Ok((views, unmatched)) => RemoteReport::Seen {
                    at: Instant::now(),
                    views,
                    unmatched,
                },
                Err(reason) => {
                    tracing::warn!("--from-prometheus {}: {reason}", config.url);
                    RemoteReport::Failed {
                        at: Instant::now(),
                        reason: format!("{}: {reason}", config.url),
                    }
                }
            };
            if events.send(Event::Remote(report)).await.is_err() {
                return;
            }
        }
    }))
}

async fn poll(
    config: &RemoteConfig,
    matcher: &Matcher,
) -> Result<(Vec<Vec<RemoteView>>, usize), String> {
    let path = format!(
        "{}/api/v1/query?query={}",
        config.url.prefix,
        percent_encode(&config.query)
    );
    let body = tokio::time::timeout(config.timeout, get(&config.url, &path))
        .await
        .map_err(|_| {
            format!(
                "no answer within {}",
                crate::base::duration::format(config.timeout)
            )
        })??;
    matcher.read(&body)
}

/// `GET path` as HTTP/1.0 (the server closes after the answer; no chunked encoding); the
/// body of a 200, or why not.
async fn get(url: &PrometheusUrl, path: &str) -> Result<Vec<u8>, String> {
    let mut stream = TcpStream::connect((url.host.as_str(), url.port))
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    let request = format!(
        "GET {path} HTTP/1.0\r\nHost: {}\r\nAccept: application/json\r\nUser-Agent: fleetdash\r\n\r\n",
        url.host
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("cannot send: {e}"))?;
    let mut answer = Vec::new();
    (&mut stream)
        .take((MAX_BODY + 64 * 1024) as u64)
        .read_to_end(&mut answer)
        .await
        .map_err(|e| format!("cannot read: {e}"))?;
    let end = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("not an HTTP answer")?;
    let head = String::from_utf8_lossy(&answer[..end]);
    let status = head.split(' ').nth(1).unwrap_or("");
    let body = answer[end + 4..].to_vec();
    if body.len() > MAX_BODY {
        return Err(format!("answer over {} MiB", MAX_BODY >> 20));
    }
    match status {
        "200" => Ok(body),
        // Prometheus explains a bad query in the body's `error`.
        _ => Err(match serde_json::from_slice::<Answer>(&body) {
            Ok(Answer { error: Some(e), .. }) => {
                format!("HTTP {}: {}", Untrusted(status), Untrusted(&e))
            }
            _ => format!("HTTP {}", Untrusted(status)),
        }),
    }
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Deserialize)]
struct Answer {
    status: String,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: Vec<Series>,
}

#[derive(Deserialize)]
struct Series {
    metric: HashMap<String, String>,
    value: (serde_json::Value, String),
}

/// Maps series to devices: by `name` (fleetdash's own series), else by `instance` or
/// `target` against the device's host or host:port (blackbox_exporter's).
pub struct Matcher {
    devices: usize,
    names: HashMap<String, usize>,
    hosts: HashMap<String, Vec<usize>>,
}

impl Matcher {
    pub fn new(inventory: &Inventory) -> Matcher {
        let mut names = HashMap::new();
        let mut hosts: HashMap<String, Vec<usize>> = HashMap::new();
        for (id, d) in inventory.devices.iter().enumerate() {
            names.insert(label_value(&d.name), id);
            hosts.entry(d.host.clone()).or_default().push(id);
            let host_port = match d.host.contains(':') {
                true => format!("[{}]:{}", d.host, d.port),
                false => format!("{}:{}", d.host, d.port),
            };
            hosts.entry(host_port).or_default().push(id);
        }
        Matcher {
            devices: inventory.devices.len(),
            names,
            hosts,
        }
    }

    /// The devices a series is about, and whether it matched by name.
    fn devices(&self, labels: &HashMap<String, String>) -> (Vec<usize>, bool) {
        if let Some(&id) = labels.get("name").and_then(|n| self.names.get(n)) {
            return (vec![id], true);
        }
        for key in ["instance", "target"] {
            let Some(value) = labels.get(key) else {
                continue;
            };
            if let Some(ids) = self.hosts.get(value) {
                return (ids.clone(), false);
            }
            let host = match value.rsplit_once(':') {
                Some((h, p)) if p.parse::<u16>().is_ok() => {
                    h.trim_start_matches('[').trim_end_matches(']')
                }
                _ => value.as_str(),
            };
            if let Some(ids) = self.hosts.get(host) {
                return (ids.clone(), false);
            }
        }
        (Vec::new(), false)
    }

    /// Reads a query API answer into views per device, and the count of series that
    /// matched none.
    pub fn read(&self, body: &[u8]) -> Result<(Vec<Vec<RemoteView>>, usize), String> {
        let answer: Answer =
            serde_json::from_slice(body).map_err(|e| format!("not a query API answer: {e}"))?;
        if answer.status != "success" {
            let why = answer.error.unwrap_or_default();
            return Err(format!("query failed: {}", Untrusted(&why)));
        }
        let data = answer.data.ok_or("query answer without data")?;
        if data.result_type != "vector" {
            return Err(format!(
                "the query gives a {}, not an instant vector",
                Untrusted(&data.result_type)
            ));
        }
        let mut views: Vec<Vec<RemoteView>> = vec![Vec::new(); self.devices];
        let mut unmatched = 0;
        for series in data.result {
            let up = match series.value.1.parse::<f64>() {
                Ok(v) if v.is_nan() => continue,
                Ok(v) => v > 0.0,
                Err(_) => continue,
            };
            let (ids, by_name) = self.devices(&series.metric);
            if ids.is_empty() {
                unmatched += 1;
                continue;
            }
            let vantage = vantage(&series.metric, by_name);
            for id in ids {
                let seen = &mut views[id];
                if !seen.iter().any(|v| v.vantage == vantage) {
                    seen.push(RemoteView {
                        vantage: vantage.clone(),
                        up,
                    });
                }
            }
        }
        for seen in &mut views {
            seen.sort_by(|a, b| a.vantage.cmp(&b.vantage));
        }
        Ok((views, unmatched))
    }
}

/// Where a series was measured: its `vantage` label; else the `instance` that exported
/// it (when the series named its device itself); else its `job`.
fn vantage(labels: &HashMap<String, String>, by_name: bool) -> String {
    let pick = labels
        .get("vantage")
        .or(by_name.then(|| labels.get("instance")).flatten())
        .or(labels.get("job"))
        .map_or("prometheus", String::as_str);
    label_value(pick).chars().take(VANTAGE_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_http_with_an_optional_port_and_prefix() {
        let url = parse_url("http://127.0.0.1:9090").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.prefix.as_str()),
            ("127.0.0.1", 9090, "")
        );
        let url = parse_url("http://[::1]:9090/prom/").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.prefix.as_str()),
            ("::1", 9090, "/prom")
        );
        assert_eq!(url.to_string(), "http://[::1]:9090/prom");
        assert_eq!(parse_url("http://prom.example").unwrap().port, 80);
        let https = parse_url("https://prom.example").unwrap_err();
        assert!(https.contains("https is not supported"), "{https}");
        for bad in [
            "127.0.0.1:9090",
            "http://",
            "http://h:port",
            "http://[::1",
            "http://u@h:1",
            "http://h:1/a b",
            "http://h:1/\u{1b}[2J",
        ] {
            let err = parse_url(bad).unwrap_err();
            crate::base::text::hostile::assert_inert("error", &err);
        }
    }

    fn inventory() -> Inventory {
        Inventory::from_yaml(
            "devices:\n  - {name: sw1, host: 127.0.0.1, port: 2201}\n  - {name: sw2, host: 127.0.0.2}\n  - {name: q.x, host: 127.0.0.3}\n",
            "t",
        )
        .unwrap()
    }

    fn answer(series: &[(&str, &str)]) -> String {
        let result: Vec<String> = series
            .iter()
            .map(|(labels, v)| format!("{{\"metric\":{{{labels}}},\"value\":[1.5,\"{v}\"]}}"))
            .collect();
        format!(
            "{{\"status\":\"success\",\"data\":{{\"resultType\":\"vector\",\"result\":[{}]}}}}",
            result.join(",")
        )
    }

    #[test]
    fn fleetdash_and_blackbox_series_map_to_devices() {
        let m = Matcher::new(&inventory());
        let body = answer(&[
            (
                r#""name":"sw1","vantage":"par","instance":"10.0.0.1:9723""#,
                "1",
            ),
            (r#""name":"sw1","instance":"127.0.0.9:9723""#, "0"),
            (r#""name":"q.x","vantage":"ber""#, "0"),
            (r#""instance":"127.0.0.2","job":"blackbox""#, "0"),
            (r#""instance":"127.0.0.1:2201","job":"bb2""#, "1"),
            (r#""name":"nobody","vantage":"par""#, "1"),
            (r#""name":"sw2","vantage":"nan""#, "NaN"),
            (r#""name":"sw2","vantage":"v\u001b[2J\u202e""#, "1"),
        ]);
        let (views, unmatched) = m.read(body.as_bytes()).unwrap();
        assert_eq!(unmatched, 1);
        let show = |id: usize| -> Vec<(String, bool)> {
            views[id]
                .iter()
                .map(|v| (v.vantage.clone(), v.up))
                .collect()
        };
        assert_eq!(
            show(0),
            [
                ("127.0.0.9:9723".into(), false),
                ("bb2".into(), true),
                ("par".into(), true)
            ]
        );
        assert_eq!(
            show(1),
            [
                ("blackbox".into(), false),
                ("v\u{fffd}[2J\u{fffd}".into(), true)
            ]
        );
        assert_eq!(show(2), [("ber".into(), false)]);
    }

    #[test]
    fn bad_answers_are_reasons_not_panics() {
        let m = Matcher::new(&inventory());
        let cases = [
            ("", "not a query API answer"),
            ("[[[[", "not a query API answer"),
            (
                r#"{"status":"error","error":"parse error \u001b[2J"}"#,
                "query failed",
            ),
            (
                r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#,
                "not an instant vector",
            ),
            (r#"{"status":"success"}"#, "without data"),
        ];
        for (body, want) in cases {
            let err = m.read(body.as_bytes()).unwrap_err();
            assert!(err.contains(want), "{body}: {err}");
            crate::base::text::hostile::assert_inert("reason", &err);
        }
        let deep = "[".repeat(100_000);
        assert!(m.read(deep.as_bytes()).is_err(), "serde_json's depth limit");
    }
}
