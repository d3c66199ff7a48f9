//! A serial port: a tty opened raw and non-blocking, read and written through tokio, and the
//! pseudo-terminal pair the simulator plugs in as a virtual cluster.

use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::stat::Mode;
use nix::sys::termios::{self, BaudRate, SetArg};
use tokio::io::unix::AsyncFd;
use tokio::io::Interest;

/// The line speeds a port can be set to, bits per second (the POSIX table).
const BAUD_RATES: [(u32, BaudRate); 12] = [
    (1_200, BaudRate::B1200),
    (2_400, BaudRate::B2400),
    (4_800, BaudRate::B4800),
    (9_600, BaudRate::B9600),
    (19_200, BaudRate::B19200),
    (38_400, BaudRate::B38400),
    (57_600, BaudRate::B57600),
    (115_200, BaudRate::B115200),
    (230_400, BaudRate::B230400),
    (460_800, BaudRate::B460800),
    (921_600, BaudRate::B921600),
    (1_000_000, BaudRate::B1000000),
];

/// Why a port could not be opened or used.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// The speed is not one a tty can be set to.
    #[error("unsupported baud rate {0}; use one of 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600")]
    Baud(u32),
    /// The system refused.
    #[error("{path}: {errno}")]
    Os {
        /// The port.
        path: PathBuf,
        /// What the system said.
        errno: Errno,
    },
}

/// The termios speed for `baud` bits per second, if a tty supports it.
pub fn baud_rate(baud: u32) -> Option<BaudRate> {
    BAUD_RATES
        .iter()
        .find(|(bps, _)| *bps == baud)
        .map(|(_, rate)| *rate)
}

/// An open serial port (or either end of a pty).
pub struct Port {
    fd: AsyncFd<OwnedFd>,
}

impl Port {
    /// Opens `path` raw (no echo, no line editing, 8N1) at `baud`, non-blocking.
    pub fn open(path: &Path, baud: u32) -> Result<Port, PortError> {
        let rate = baud_rate(baud).ok_or(PortError::Baud(baud))?;
        let os = |errno| PortError::Os {
            path: path.to_path_buf(),
            errno,
        };
        let flags = OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
        let fd = nix::fcntl::open(path, flags, Mode::empty()).map_err(os)?;
        make_raw(&fd, Some(rate)).map_err(os)?;
        Port::from_fd(fd).map_err(|err| os(Errno::from_raw(err.raw_os_error().unwrap_or(0))))
    }

    fn from_fd(fd: OwnedFd) -> std::io::Result<Port> {
        let flags = nix::fcntl::fcntl(&fd, nix::fcntl::FcntlArg::F_GETFL)?;
        let flags = OFlag::from_bits_truncate(flags) | OFlag::O_NONBLOCK;
        nix::fcntl::fcntl(&fd, nix::fcntl::FcntlArg::F_SETFL(flags))?;
        // Deprecated because an arbitrary `AsRawFd` may close or swap its descriptor under the
        // reactor (tokio#8587); an `OwnedFd` owned by the `AsyncFd` cannot, which is exactly the
        // invariant `register_with_interest` asks callers to promise with `unsafe`.
        #[allow(deprecated)]
        let fd = AsyncFd::with_interest(fd, Interest::READABLE | Interest::WRITABLE)?;
        Ok(Port { fd })
    }

    /// Writes all of `bytes`, waiting while the port's buffer is full. An unplugged port fails
    /// (EIO, ENXIO).
    pub async fn write_all(&self, mut bytes: &[u8]) -> std::io::Result<()> {
        while !bytes.is_empty() {
            let mut guard = self.fd.writable().await?;
            match guard.try_io(|fd| Ok(nix::unistd::write(fd.get_ref(), bytes)?)) {
                Ok(Ok(0)) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(Ok(n)) => bytes = &bytes[n..],
                Ok(Err(err)) => return Err(err),
                Err(_would_block) => {}
            }
        }
        Ok(())
    }

    /// Drops whatever arrived and was not read yet (a device's boot messages, old replies).
    pub fn discard_input(&self) -> std::io::Result<()> {
        termios::tcflush(self.fd.get_ref(), termios::FlushArg::TCIFLUSH)?;
        Ok(())
    }

    /// Reads what is there (waiting for something); 0 bytes or an error means the other end is
    /// gone.
    pub async fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        loop {
            let mut guard = self.fd.readable().await?;
            match guard.try_io(|fd| Ok(nix::unistd::read(fd.get_ref(), buf)?)) {
                Ok(result) => return result,
                Err(_would_block) => {}
            }
        }
    }
}

fn make_raw(fd: &impl AsFd, rate: Option<BaudRate>) -> Result<(), Errno> {
    let mut attrs = termios::tcgetattr(fd)?;
    termios::cfmakeraw(&mut attrs);
    if let Some(rate) = rate {
        termios::cfsetspeed(&mut attrs, rate)?;
    }
    termios::tcsetattr(fd, SetArg::TCSANOW, &attrs)
}

/// A virtual serial cable: a pty pair whose device end is linked at a chosen path, so a daemon
/// can `serve --serial` that path while the simulator reads the other end.
pub struct VirtualPort {
    /// The simulator's end.
    pub port: Port,
    // Held open so the pty does not hang up while no daemon has the device end open.
    _device: OwnedFd,
    link: PathBuf,
}

impl VirtualPort {
    /// Makes a pty pair, puts its device end in raw mode and links it at `link` (replacing an
    /// old link there: a re-plugged cable).
    pub fn create(link: &Path) -> Result<VirtualPort, PortError> {
        let os = |errno| PortError::Os {
            path: link.to_path_buf(),
            errno,
        };
        let pair = nix::pty::openpty(None, None).map_err(os)?;
        make_raw(&pair.slave, None).map_err(os)?;
        let device = nix::unistd::ttyname(&pair.slave).map_err(os)?;
        match std::fs::remove_file(link) {
            Ok(()) => {}
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => return Err(os(io_errno(&err))),
        }
        std::os::unix::fs::symlink(&device, link).map_err(|err| os(io_errno(&err)))?;
        let port = Port::from_fd(pair.master).map_err(|err| os(io_errno(&err)))?;
        Ok(VirtualPort {
            port,
            _device: pair.slave,
            link: link.to_path_buf(),
        })
    }
}

impl Drop for VirtualPort {
    fn drop(&mut self) {
        // Unplugged: the link goes with the cable.
        let _ = std::fs::remove_file(&self.link);
    }
}

fn io_errno(err: &std::io::Error) -> Errno {
    Errno::from_raw(err.raw_os_error().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_baud_rate_maps_and_others_do_not() {
        for (bps, rate) in BAUD_RATES {
            assert_eq!(baud_rate(bps), Some(rate));
        }
        assert_eq!(baud_rate(12_345), None);
    }

    #[tokio::test]
    async fn a_line_crosses_a_virtual_port() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("tty");
        let virtual_port = VirtualPort::create(&link).unwrap();
        let device = Port::open(&link, 115_200).unwrap();
        device.write_all(b"hello\n").await.unwrap();
        let mut buf = [0; 16];
        let n = virtual_port.port.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hello\n");
        drop(virtual_port);
        assert!(!link.exists());
    }
}
