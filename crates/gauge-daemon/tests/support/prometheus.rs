//! A real Prometheus for the tests (Debian's `prometheus` package, `scripts/install-test-deps`):
//! started on a loopback port with its own config and data dir, queried over its HTTP API.
//! Shared by the daemon's tests and the binary's (which include this file with `#[path]`).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::write;

/// `name` on `PATH`, or `None` after a skip line; with `CI` set, a missing tool fails the test.
pub fn require_tool(name: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    match found {
        Some(path) => Some(path),
        None if std::env::var_os("CI").is_some() => {
            panic!("{name} is not installed; CI must run scripts/install-test-deps first")
        }
        None => {
            eprintln!("skipping: {name} is not installed (apt-get install prometheus)");
            None
        }
    }
}

pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// A real Prometheus on a loopback port with its own config and data dir, killed on drop.
pub struct Prometheus {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Prometheus {
    pub fn start(bin: PathBuf, dir: &Path, targets: &[(&str, String)]) -> Prometheus {
        let mut config = String::from(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n",
        );
        for (job, target) in targets {
            config += &format!(
                "  - job_name: {job}\n    static_configs:\n      - targets: ['{target}']\n"
            );
        }
        write(&dir.join("prometheus.yml"), &config);
        let mut prometheus = Prometheus {
            bin,
            dir: dir.to_path_buf(),
            port: free_port(),
            child: None,
        };
        prometheus.restart();
        prometheus
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts the process (same port, same data) and waits until it is ready.
    pub fn restart(&mut self) {
        let child = Command::new(&self.bin)
            .arg(format!(
                "--config.file={}",
                self.dir.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                self.dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{}", self.port))
            .arg("--log.level=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn prometheus");
        self.child = Some(child);
        let ready = format!("{}/-/ready", self.url());
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if http_get(&ready).is_some_and(|(status, _)| status == 200) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let mut stderr = String::new();
        self.stop();
        if let Some(mut child) = self.child.take() {
            let _ = child
                .stderr
                .take()
                .map(|mut e| e.read_to_string(&mut stderr));
        }
        panic!("prometheus did not become ready: {stderr}");
    }

    pub fn stop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// An instant query's result array.
    pub fn query(&self, promql: &str) -> Vec<Value> {
        let url = reqwest::Url::parse_with_params(
            &format!("{}/api/v1/query", self.url()),
            [("query", promql)],
        )
        .expect("query url");
        let (_, body) = http_get(url.as_str()).expect("prometheus answers");
        let answer: Value = serde_json::from_str(&body).expect("json");
        answer["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A blocking GET (status, body), `None` when nothing answers.
pub fn http_get(url: &str) -> Option<(u16, String)> {
    let url = reqwest::Url::parse(url).ok()?;
    let addr = format!("{}:{}", url.host_str()?, url.port()?);
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let path = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n")?.1.to_string();
    // Prometheus may answer chunked; the JSON sits between the chunk sizes.
    let body = match (body.find('{'), body.rfind('}')) {
        (Some(start), Some(end)) => body[start..=end].to_string(),
        _ => body,
    };
    Some((status, body))
}
