//! Getting ready to serve, before anything runs: the data dir is writable, the token exists,
//! and every listener is bound (the OTLP receivers first), so that each of these fails the
//! start in one line rather than a write or a request later.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use tokio::net::TcpListener;

use super::{DaemonSettings, StartError};
use crate::access::Access;
use crate::ledger;
use crate::mdns::Advertiser;
use crate::sources::otlp::{OtlpReceiver, OtlpSettings};

/// What [`prepare`] made: the access rules and every bound listener.
pub(super) struct Bound {
    pub(super) access: Arc<Access>,
    pub(super) otlp: Option<OtlpReceiver>,
    pub(super) listener: TcpListener,
    pub(super) http_addr: SocketAddr,
}

/// Makes the data dir and the token (on the first start; beyond loopback every write needs
/// it) and binds every listener, the OTLP receivers first, so that a busy port fails the start
/// before anything runs.
pub(super) async fn prepare(settings: &DaemonSettings) -> Result<Bound, StartError> {
    std::fs::create_dir_all(&settings.data_dir).map_err(|source| StartError::CreateDataDir {
        path: settings.data_dir.clone(),
        source,
    })?;
    ensure_writable(&settings.data_dir)?;
    let access = Arc::new(Access::new(&settings.access)?);
    let otlp = bind_otlp(settings.otlp.clone(), &access).await?;
    let listener = bind(settings.listen).await?;
    let http_addr = listener.local_addr().map_err(StartError::BoundAddr)?;
    Ok(Bound {
        access,
        otlp,
        listener,
        http_addr,
    })
}

/// Fails the start in one line, naming the dir and the fix, when the data dir or the store in it
/// cannot be written: the ledger would otherwise fail every write after "serving".
fn ensure_writable(data_dir: &Path) -> Result<(), StartError> {
    let probe = data_dir.join(format!(".write-test-{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe);
    let _ = std::fs::remove_file(&probe);
    written.map_err(|source| StartError::NotWritable {
        what: "the data dir is not writable",
        path: data_dir.to_path_buf(),
        mode: "u+rwx",
        source,
    })?;
    let store = data_dir.join(ledger::STORE_FILE);
    if store.exists() {
        std::fs::OpenOptions::new()
            .write(true)
            .open(&store)
            .map_err(|source| StartError::NotWritable {
                what: "the store is read-only",
                path: store.clone(),
                mode: "u+rw",
                source,
            })?;
    }
    Ok(())
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr).await.map_err(|err| {
        if err.kind() == std::io::ErrorKind::AddrInUse {
            StartError::AddrInUse(addr)
        } else {
            StartError::Listen {
                addr,
                reason: err.to_string(),
            }
        }
    })
}

/// Binds the OTLP receivers, when configured, before the main listener, so a busy OTLP port
/// fails the start.
async fn bind_otlp(
    settings: Option<OtlpSettings>,
    access: &Arc<Access>,
) -> Result<Option<OtlpReceiver>, StartError> {
    let Some(settings) = settings else {
        return Ok(None);
    };
    let receiver = OtlpReceiver::bind(settings)
        .await?
        .with_access(access.clone());
    Ok(Some(receiver))
}

/// Advertises `_claude-gauge._tcp` when listening beyond loopback; a failure only
/// costs discovery, so it is logged and the daemon runs on.
pub(super) fn advertise(bound: SocketAddr) -> Option<Advertiser> {
    match Advertiser::start(bound) {
        Ok(advertiser) => advertiser,
        Err(err) => {
            tracing::warn!("{err}; clusters must be given this host's address");
            None
        }
    }
}
