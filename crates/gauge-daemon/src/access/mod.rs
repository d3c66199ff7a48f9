//! Access: who may use the daemon's listeners, and how many connections at once.
//!
//! Every listener (the HTTP app with `POST /ingest/statusline`, the OTLP/HTTP and OTLP/gRPC
//! receivers) serves through [`serve`], which puts an [`Access`] check in front of every request
//! and bounds the connections (`listener.rs`). The check, in this order:
//! - **Host**: only names of this daemon are answered (`hosts.rs`), so a DNS-rebinding page
//!   reaches nothing;
//! - **Origin**: a request a browser sends from any other origin than the daemon's own is refused;
//! - **token**: beyond loopback every write (anything but `GET`/`HEAD`) needs
//!   `Authorization: Bearer <token>` (`token.rs`); with `read_token` every read needs it too.
//!
//! A transport between the sources and the wire: it uses only `secret` and `mdns` (the name it
//! advertises). docs/protocol.md ("Access") states the rules for users.

mod guard;
mod hosts;
mod listener;
mod token;

use std::path::PathBuf;

use axum::http::{header, HeaderMap, Method, StatusCode, Uri};

pub(crate) use listener::{serve, Protocol};
pub(crate) use token::TokenError;
pub use token::{load_or_create as load_or_create_token, read as read_token, TOKEN_FILE};

use crate::secret::Secret;
use hosts::AllowedHosts;

/// Who may use the listeners: the access check's settings, resolved by `config`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessSettings {
    /// Whether any listener (HTTP, OTLP) is beyond loopback: every write then needs the token,
    /// and this machine's own addresses and names are answered as well as loopback ones.
    pub is_beyond_loopback: bool,
    /// Host names answered besides this machine's own (`[server] allowed_hosts`), lowercase.
    pub extra_hosts: Vec<String>,
    /// Reads need the token too (`serve --read-token`, `[server] read_token`).
    pub is_read_protected: bool,
    /// The token file, `<data dir>/token`.
    pub token_file: PathBuf,
}

/// The check every request passes before any handler sees it.
pub(crate) struct Access {
    hosts: AllowedHosts,
    /// The token every write must carry; `None` on loopback, where none is asked for.
    token: Option<Secret>,
    is_read_protected: bool,
}

/// Why a request was refused. The messages name the fix and never a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// No `Host` header (nor an HTTP/2 `:authority`).
    NoHost,
    /// A `Host` that names something else than this daemon.
    UnknownHost,
    /// An `Origin` other than the daemon's own: a page on another site.
    ForeignOrigin,
    /// No `Authorization: Bearer` where the token is needed.
    NoToken,
    /// A token, but not this daemon's.
    WrongToken,
}

impl Refusal {
    /// The HTTP status.
    pub(crate) fn status(self) -> StatusCode {
        match self {
            Refusal::NoHost => StatusCode::BAD_REQUEST,
            Refusal::UnknownHost | Refusal::ForeignOrigin => StatusCode::FORBIDDEN,
            Refusal::NoToken | Refusal::WrongToken => StatusCode::UNAUTHORIZED,
        }
    }

    /// What to tell the client.
    pub(crate) fn message(self) -> &'static str {
        match self {
            Refusal::NoHost => "a request needs a Host header",
            Refusal::UnknownHost => {
                "this daemon does not answer to that Host; if it is a name of this machine, add it \
                 to [server] allowed_hosts"
            }
            Refusal::ForeignOrigin => "requests from another site's pages are refused",
            Refusal::NoToken => {
                "this needs the daemon's token: send Authorization: Bearer $(claude-gauge token)"
            }
            Refusal::WrongToken => "wrong token: send Authorization: Bearer $(claude-gauge token)",
        }
    }
}

impl Access {
    /// The check for `settings`: reads the token file, making it on the first start.
    pub(crate) fn new(settings: &AccessSettings) -> Result<Access, TokenError> {
        let token = token::load_or_create(&settings.token_file)?;
        let is_token_needed = settings.is_beyond_loopback || settings.is_read_protected;
        Ok(Access {
            hosts: AllowedHosts::new(settings.is_beyond_loopback, &settings.extra_hosts),
            token: is_token_needed.then_some(token),
            is_read_protected: settings.is_read_protected,
        })
    }

    /// The check of a listener on loopback with no token: loopback names only. Fails closed: a
    /// client beyond loopback is refused by its Host.
    pub(crate) fn loopback_only() -> Access {
        Access {
            hosts: AllowedHosts::new(false, &[]),
            token: None,
            is_read_protected: false,
        }
    }

    /// Whether writes need the token.
    #[cfg(test)]
    pub(crate) fn is_token_needed(&self) -> bool {
        self.token.is_some()
    }

    /// Whether reads need the token.
    pub(crate) fn is_read_protected(&self) -> bool {
        self.token.is_some() && self.is_read_protected
    }

    /// Passes or refuses one request, from its method, URI and headers (the body is not read).
    pub(crate) fn check(
        &self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<(), Refusal> {
        let host = self.host(uri, headers)?;
        for origin in headers.get_all(header::ORIGIN) {
            let origin = origin.to_str().map_err(|_| Refusal::ForeignOrigin)?;
            // The daemon's own pages come from `http://<the Host they asked for>`.
            let own = format!("http://{host}");
            if !origin.trim_end_matches('/').eq_ignore_ascii_case(&own) {
                return Err(Refusal::ForeignOrigin);
            }
        }
        let Some(token) = &self.token else {
            return Ok(());
        };
        let is_read = matches!(*method, Method::GET | Method::HEAD);
        if is_read && !self.is_read_protected {
            return Ok(());
        }
        match bearer(headers) {
            None => Err(Refusal::NoToken),
            Some(given) if token::matches(given, token) => Ok(()),
            Some(_) => Err(Refusal::WrongToken),
        }
    }

    /// The host the request names, once every `Host` and the `:authority` name this daemon.
    fn host<'a>(&self, uri: &'a Uri, headers: &'a HeaderMap) -> Result<&'a str, Refusal> {
        let mut named = uri.authority().map(|authority| authority.as_str());
        for value in headers.get_all(header::HOST) {
            let value = value.to_str().map_err(|_| Refusal::UnknownHost)?;
            if !self.hosts.allows(value) {
                return Err(Refusal::UnknownHost);
            }
            named = named.or(Some(value));
        }
        let host = named.ok_or(Refusal::NoHost)?;
        if self.hosts.allows(host) {
            Ok(host)
        } else {
            Err(Refusal::UnknownHost)
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[cfg(test)]
mod tests;
