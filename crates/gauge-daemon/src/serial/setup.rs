//! The host's end of the setup protocol (`docs/protocol.md`, "Device setup"): one command line
//! out, reply lines back until `@ok` or `@err`. Lines that do not start with `@` (the device's
//! log output) are skipped.

use std::path::Path;
use std::time::Duration;

use gauge_core::{LineBuffer, LinePush, REPLY_PREFIX};

use super::port::{Port, PortError};

/// How long a device may take to answer one command (a flash write included).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest reply line read.
const REPLY_MAX_LEN: usize = 256;

/// Why a setup command got no good answer.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The port could not be opened.
    #[error(transparent)]
    Port(#[from] PortError),
    /// Reading or writing failed.
    #[error("{port}: {source}")]
    Io {
        /// The port.
        port: String,
        /// What failed.
        source: std::io::Error,
    },
    /// Nothing answered in time.
    #[error("no answer from {port} in {secs} s: is it a claude-gauge cluster, and is no other program (`serve --serial`) using the port?", secs = ANSWER_TIMEOUT.as_secs())]
    Silent {
        /// The port.
        port: String,
    },
    /// The device refused the command.
    #[error("the cluster refused `{command}`: {message}")]
    Refused {
        /// The command's first word (never its value: it may be a password).
        command: String,
        /// The device's reason.
        message: String,
    },
}

/// An open setup connection to a cluster.
pub struct SetupClient {
    port: Port,
    name: String,
    lines: LineBuffer<REPLY_MAX_LEN>,
    pending: Vec<String>,
}

impl SetupClient {
    /// Opens `path`, drops anything stale and ends any half line the device holds.
    pub async fn open(path: &Path, baud: u32) -> Result<SetupClient, SetupError> {
        let port = Port::open(path, baud)?;
        let name = path.display().to_string();
        let io = |source| SetupError::Io {
            port: name.clone(),
            source,
        };
        port.discard_input().map_err(io)?;
        port.write_all(b"\n").await.map_err(io)?;
        Ok(SetupClient {
            port,
            name,
            lines: LineBuffer::new(),
            pending: Vec::new(),
        })
    }

    /// Sends one command; returns its reply lines without the `@` (the final `ok` line last).
    pub async fn request(&mut self, command: &str) -> Result<Vec<String>, SetupError> {
        let mut line = command.as_bytes().to_vec();
        line.push(b'\n');
        self.port
            .write_all(&line)
            .await
            .map_err(|source| self.io(source))?;
        let mut replies = Vec::new();
        let deadline = tokio::time::Instant::now() + ANSWER_TIMEOUT;
        loop {
            let reply = match self.pending.pop() {
                Some(reply) => reply,
                None => {
                    let read = tokio::time::timeout_at(deadline, self.read_lines()).await;
                    match read {
                        Ok(result) => result?,
                        Err(_) => {
                            return Err(SetupError::Silent {
                                port: self.name.clone(),
                            })
                        }
                    }
                    continue;
                }
            };
            if let Some(message) = reply.strip_prefix("err ") {
                let word = command.split(' ').take(2).collect::<Vec<_>>().join(" ");
                return Err(SetupError::Refused {
                    command: word,
                    message: message.to_string(),
                });
            }
            let is_end = reply == "ok" || reply.starts_with("ok ");
            replies.push(reply);
            if is_end {
                return Ok(replies);
            }
        }
    }

    /// Reads until at least one reply line arrived; queues them (oldest last).
    async fn read_lines(&mut self) -> Result<(), SetupError> {
        let mut buf = [0u8; 512];
        loop {
            let n = self
                .port
                .read(&mut buf)
                .await
                .map_err(|source| self.io(source))?;
            if n == 0 {
                return Err(self.io(std::io::ErrorKind::UnexpectedEof.into()));
            }
            let mut got = Vec::new();
            for &byte in &buf[..n] {
                if self.lines.push(byte) == LinePush::Line {
                    let line = String::from_utf8_lossy(self.lines.line());
                    if let Some(reply) = line.strip_prefix(REPLY_PREFIX) {
                        got.push(reply.to_string());
                    }
                }
            }
            if !got.is_empty() {
                got.reverse();
                got.append(&mut self.pending);
                self.pending = got;
                return Ok(());
            }
        }
    }

    fn io(&self, source: std::io::Error) -> SetupError {
        SetupError::Io {
            port: self.name.clone(),
            source,
        }
    }
}
