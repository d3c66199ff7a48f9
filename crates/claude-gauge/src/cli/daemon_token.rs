//! The daemon's token as the client commands send it: read from the configured token file
//! (`<data dir>/token`, the file `serve` makes), sent as `Authorization: Bearer`, never printed.
//! A daemon run with `--read-token` refuses every read without it; [`DaemonToken::refused`] is
//! the one line that says so and names the fix.

use std::path::PathBuf;
use std::time::Instant;

use super::local_http;
use crate::config::Settings;
use gauge_daemon::Secret;

/// The token a client command sends, and where it came from.
pub(crate) struct DaemonToken {
    /// The token, when the file holds one.
    token: Option<Secret>,
    /// The token file, `None` when the settings could not be loaded.
    file: Option<PathBuf>,
    /// Why the file could not be read (never its contents).
    problem: Option<String>,
}

impl DaemonToken {
    /// The token in the token file of `settings`; none when there is no such file.
    pub(crate) fn load(settings: Option<&Settings>) -> DaemonToken {
        let Some(settings) = settings else {
            return DaemonToken {
                token: None,
                file: None,
                problem: None,
            };
        };
        let file = settings.daemon.access.token_file.clone();
        let (token, problem) = match gauge_daemon::read_token(&file) {
            Ok(token) => (token, None),
            Err(err) => (None, Some(err.to_string())),
        };
        DaemonToken {
            token,
            file: Some(file),
            problem,
        }
    }

    /// The token to send, if any.
    pub(crate) fn secret(&self) -> Option<&Secret> {
        self.token.as_ref()
    }

    /// The one line for a 401 from the daemon at `url`: what is missing and the fix.
    pub(crate) fn refused(&self, url: &str) -> String {
        let (what, fix) = self.refusal(url);
        format!("{what}: {fix}")
    }

    /// [`DaemonToken::refused`] in its two parts: what is missing, and the fix.
    pub(crate) fn refusal(&self, url: &str) -> (String, String) {
        let here = self.file.as_ref().map_or_else(
            || "this machine's <data dir>/token".to_string(),
            |file| file.display().to_string(),
        );
        let fix = format!(
            "run this on the daemon's machine, or copy its <data dir>/token to {here} \
             (`claude-gauge token` there prints it)"
        );
        let what = match (&self.token, &self.problem) {
            (Some(_), _) => format!("the daemon at {url} refused the token in {here}"),
            (None, Some(problem)) => format!("the daemon at {url} requires its token ({problem})"),
            (None, None) => format!("the daemon at {url} requires its token"),
        };
        (what, fix)
    }
}

/// `GET path` from the daemon at `url` with `token`: the body of a 200, else one line with the
/// fix (start the daemon, bring its token).
pub(crate) fn get(
    url: &str,
    path: &str,
    token: &DaemonToken,
    deadline: Instant,
) -> anyhow::Result<Vec<u8>> {
    let request = local_http::Request {
        method: "GET",
        path,
        body: None,
        bearer: token.secret(),
    };
    // The error names the URL and the cause once; the fix follows it.
    let reply = local_http::send(url, &request, deadline).map_err(|err| {
        anyhow::anyhow!(
            "{err}; is the daemon running? start it with `claude-gauge serve` or `claude-gauge service install`"
        )
    })?;
    match reply.status {
        200 => Ok(reply.body),
        401 => anyhow::bail!(token.refused(url)),
        status => anyhow::bail!("the daemon at {url} answered HTTP {status} to {path}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_names_the_file_and_never_the_token() {
        let token = DaemonToken {
            token: Some(Secret::new("abc123secret".into())),
            file: Some(PathBuf::from("/d/token")),
            problem: None,
        };
        let line = token.refused("http://127.0.0.1:1");
        assert!(line.contains("refused the token in /d/token"), "{line}");
        assert!(!line.contains("abc123secret"), "{line}");
        let missing = DaemonToken {
            token: None,
            file: Some(PathBuf::from("/d/token")),
            problem: None,
        };
        let line = missing.refused("http://h:1");
        assert!(
            line.starts_with("the daemon at http://h:1 requires its token: run this on"),
            "{line}"
        );
        assert!(
            line.contains("copy its <data dir>/token to /d/token"),
            "{line}"
        );
        assert!(!line.contains('\n'));
    }
}
