//! The device's stored settings: Wi-Fi, the daemon, the read token, per-gauge calibration and
//! the lamps, and their compact binary record (`docs/protocol.md`, "Device settings").
//!
//! Sits before everything else on the device: the firmware reads the record from flash at boot
//! (the simulator from a file) and builds its cluster from it; `claude-gauge device setup`
//! changes it through the setup protocol ([`crate::SetupSession`]). A record is versioned and
//! ends with a CRC-32, so a torn or foreign write reads as "nothing stored", never as settings.

use crate::cluster::ClusterConfig;
use crate::dial::DialCalibration;
use crate::dimmer::DimmerConfig;
use crate::gauge::Gauge;

/// The record format's version (byte 2 of a record). A decoder refuses any other.
pub const RECORD_VERSION: u8 = 1;
/// The longest record, bytes: what a flash page, file or buffer must hold.
pub const RECORD_MAX_LEN: usize = 256;
/// The longest Wi-Fi SSID, bytes (IEEE 802.11).
pub const SSID_MAX_LEN: usize = 32;
/// The longest Wi-Fi password, bytes (a WPA2 passphrase is 8..=63 characters, or 64 hex digits).
pub const PASSWORD_MAX_LEN: usize = 64;
/// The longest daemon address (`host:port`), bytes.
pub const DAEMON_MAX_LEN: usize = 64;
/// The longest read token, bytes (the daemon's is 64 hex digits).
pub const TOKEN_MAX_LEN: usize = 64;
/// The daemon's port when an address names none (`docs/protocol.md`, "HTTP").
pub const DEFAULT_DAEMON_PORT: u16 = 8765;
/// The most a calibration trim moves a dial, steps either way.
pub const TRIM_MAX_STEPS: i16 = 2_000;

const MAGIC: [u8; 2] = *b"CG";
/// Magic, version, payload length.
const HEAD_LEN: usize = 5;
const CRC_LEN: usize = 4;

/// A short piece of text held inline (no alloc): printable UTF-8 of at most `N` bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Text<const N: usize> {
    bytes: [u8; N],
    len: u8,
}

impl<const N: usize> core::fmt::Debug for Text<N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never the content: a Text may hold a password.
        write!(f, "Text({} bytes)", self.len)
    }
}

impl<const N: usize> Default for Text<N> {
    fn default() -> Self {
        Text::EMPTY
    }
}

/// Why a text value was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextError {
    /// Longer than the field holds.
    TooLong {
        /// The most the field holds, bytes.
        max: usize,
    },
    /// Not UTF-8, or holds a control character.
    NotPrintable,
}

impl<const N: usize> Text<N> {
    /// The empty text ("not set").
    pub const EMPTY: Text<N> = Text {
        bytes: [0; N],
        len: 0,
    };

    /// `bytes` as a text, if it fits and is printable UTF-8 (no control characters).
    pub fn new(bytes: &[u8]) -> Result<Text<N>, TextError> {
        // Both bounds hold for every field here (N <= 255); checked so no N can wrap `len`.
        let max = N.min(usize::from(u8::MAX));
        if bytes.len() > max {
            return Err(TextError::TooLong { max });
        }
        let text = core::str::from_utf8(bytes).map_err(|_| TextError::NotPrintable)?;
        if text.chars().any(char::is_control) {
            return Err(TextError::NotPrintable);
        }
        let mut out = Text::EMPTY;
        out.bytes[..bytes.len()].copy_from_slice(bytes);
        // At most 255 by the check above.
        out.len = bytes.len() as u8;
        Ok(out)
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only `new` fills the bytes, and it accepts UTF-8 alone.
        core::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("")
    }

    /// Whether nothing is set.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// One gauge's calibration: how far its dial's zero and full scale sit from the build's
/// default dial, in steps (positive = clockwise).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct GaugeTrim {
    /// Moves the zero (E, or 0 on the tach): needle fit and clone variance.
    pub zero_steps: i16,
    /// Moves full scale (F, or the tach's top) relative to the zero: the sweep's length.
    pub sweep_steps: i16,
}

impl GaugeTrim {
    /// `dial` with this trim applied (the zero stays at or above the stop, full scale at least
    /// one step above the zero).
    pub fn apply(&self, dial: DialCalibration) -> DialCalibration {
        let zero = i32::from(dial.zero_offset_steps()) + i32::from(self.zero_steps);
        let full = i32::from(dial.full_scale_steps()) + i32::from(self.sweep_steps);
        let zero = u16::try_from(zero.max(0)).unwrap_or(u16::MAX);
        let full = u16::try_from(full.max(1)).unwrap_or(u16::MAX);
        dial.with_zero_offset_steps(zero)
            .with_full_scale_steps(full)
    }
}

/// Everything the device stores. `Copy + Default` (nothing set: USB serial only, default dials,
/// lamps at 100 % with night dimming down to 10 %).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceSettings {
    /// The Wi-Fi network; empty = no Wi-Fi (USB serial only).
    pub wifi_ssid: Text<SSID_MAX_LEN>,
    /// Its password; empty = an open network. Write-only over the setup protocol.
    pub wifi_password: Text<PASSWORD_MAX_LEN>,
    /// The daemon, `host` or `host:port`; empty = find it by mDNS.
    pub daemon: Text<DAEMON_MAX_LEN>,
    /// Sent as `Authorization: Bearer` when set (`serve --read-token`). Write-only.
    pub token: Text<TOKEN_MAX_LEN>,
    /// Per-gauge calibration, in [`Gauge::ALL`] order.
    pub trims: [GaugeTrim; 3],
    /// The lamps' brightness, percent (1..=100): the maximum when night dimming is on.
    pub brightness_pct: u8,
    /// Whether a light sensor dims the lamps in a dark room (boards with one).
    pub is_night_dimming: bool,
    /// The dimmest the night dimmer goes, percent (at most `brightness_pct`).
    pub night_min_pct: u8,
}

impl Default for DeviceSettings {
    fn default() -> Self {
        DeviceSettings {
            wifi_ssid: Text::EMPTY,
            wifi_password: Text::EMPTY,
            daemon: Text::EMPTY,
            token: Text::EMPTY,
            trims: [GaugeTrim::default(); 3],
            brightness_pct: 100,
            is_night_dimming: true,
            night_min_pct: 10,
        }
    }
}

/// Why bytes are not a settings record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordError {
    /// Shorter than its head or its stated length.
    Truncated,
    /// Not a settings record (the magic is wrong): e.g. erased flash.
    NotARecord,
    /// A record of another format version.
    Version(u8),
    /// The checksum does not match: a torn or damaged write.
    Checksum,
    /// A field is out of range or not text.
    BadField,
}

impl core::fmt::Display for RecordError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RecordError::Truncated => f.write_str("settings record is truncated"),
            RecordError::NotARecord => f.write_str("no settings record"),
            RecordError::Version(v) => write!(
                f,
                "settings record version {v} is not {RECORD_VERSION}; run `claude-gauge device setup` again"
            ),
            RecordError::Checksum => f.write_str("settings record checksum mismatch (torn write)"),
            RecordError::BadField => f.write_str("settings record has a bad field"),
        }
    }
}

impl DeviceSettings {
    /// Whether Wi-Fi is configured.
    pub const fn has_wifi(&self) -> bool {
        !self.wifi_ssid.is_empty()
    }

    /// The daemon's host and port, or `None` to find it by mDNS.
    pub fn daemon_addr(&self) -> Option<(&str, u16)> {
        if self.daemon.is_empty() {
            return None;
        }
        parse_daemon(self.daemon.as_str())
    }

    /// `base` with the stored calibration and lamp brightness applied.
    pub fn cluster_config(&self, base: ClusterConfig) -> ClusterConfig {
        let mut config = base;
        for gauge in Gauge::ALL {
            let dial = self.trims[gauge.index()].apply(*base.dial(gauge));
            config = config.with_dial(gauge, dial);
        }
        config.with_lamps(base.lamps().with_brightness_pct(self.brightness_pct))
    }

    /// The night dimmer's settings, or `None` when night dimming is off (fixed brightness).
    pub fn dimmer_config(&self, base: DimmerConfig) -> Option<DimmerConfig> {
        self.is_night_dimming
            .then(|| base.with_brightness_range_pct(self.night_min_pct, self.brightness_pct))
    }

    /// Writes the record into `out`; returns its length (at most [`RECORD_MAX_LEN`]).
    pub fn encode(&self, out: &mut [u8; RECORD_MAX_LEN]) -> usize {
        let mut at = HEAD_LEN;
        let mut put = |bytes: &[u8]| {
            out[at..at + bytes.len()].copy_from_slice(bytes);
            at += bytes.len();
        };
        for text in [
            self.wifi_ssid.as_str(),
            self.wifi_password.as_str(),
            self.daemon.as_str(),
            self.token.as_str(),
        ] {
            // Each text is at most 64 bytes (its type's bound).
            put(&[text.len() as u8]);
            put(text.as_bytes());
        }
        for trim in self.trims {
            put(&trim.zero_steps.to_le_bytes());
            put(&trim.sweep_steps.to_le_bytes());
        }
        put(&[
            self.brightness_pct,
            u8::from(self.is_night_dimming),
            self.night_min_pct,
        ]);
        // The largest payload is 4 + 32 + 64 * 3 + 12 + 3 = 243 bytes: everything fits.
        let payload_len = (at - HEAD_LEN) as u16;
        out[..2].copy_from_slice(&MAGIC);
        out[2] = RECORD_VERSION;
        out[3..HEAD_LEN].copy_from_slice(&payload_len.to_le_bytes());
        let crc = crc32(&out[..at]);
        out[at..at + CRC_LEN].copy_from_slice(&crc.to_le_bytes());
        at + CRC_LEN
    }

    /// Reads a record (trailing bytes after it, e.g. erased flash, are ignored).
    pub fn decode(bytes: &[u8]) -> Result<DeviceSettings, RecordError> {
        let head = bytes.get(..HEAD_LEN).ok_or(RecordError::Truncated)?;
        if head[..2] != MAGIC {
            return Err(RecordError::NotARecord);
        }
        if head[2] != RECORD_VERSION {
            return Err(RecordError::Version(head[2]));
        }
        let payload_len = usize::from(u16::from_le_bytes([head[3], head[4]]));
        let end = HEAD_LEN + payload_len;
        let crc_bytes = bytes
            .get(end..end + CRC_LEN)
            .ok_or(RecordError::Truncated)?;
        let stored = u32::from_le_bytes([crc_bytes[0], crc_bytes[1], crc_bytes[2], crc_bytes[3]]);
        if crc32(&bytes[..end]) != stored {
            return Err(RecordError::Checksum);
        }
        let mut reader = Reader {
            bytes: &bytes[HEAD_LEN..end],
        };
        let settings = DeviceSettings {
            wifi_ssid: reader.text()?,
            wifi_password: reader.text()?,
            daemon: reader.text()?,
            token: reader.text()?,
            trims: [reader.trim()?, reader.trim()?, reader.trim()?],
            brightness_pct: reader.byte()?,
            is_night_dimming: reader.byte()? != 0,
            night_min_pct: reader.byte()?,
        };
        let is_valid = (1..=100).contains(&settings.brightness_pct)
            && settings.night_min_pct <= settings.brightness_pct
            && settings.trims.iter().all(|t| {
                t.zero_steps.abs() <= TRIM_MAX_STEPS && t.sweep_steps.abs() <= TRIM_MAX_STEPS
            })
            && (settings.daemon.is_empty() || settings.daemon_addr().is_some());
        if !is_valid || !reader.bytes.is_empty() {
            return Err(RecordError::BadField);
        }
        Ok(settings)
    }
}

/// A daemon address, `host` or `host:port`: the host and the port (default 8765). `None` when
/// the host is empty or has a space or a slash, or the port is not 1..=65535.
pub fn parse_daemon(text: &str) -> Option<(&str, u16)> {
    let (host, port) = match text.rsplit_once(':') {
        Some((host, port)) => (host, port.parse::<u16>().ok().filter(|p| *p != 0)?),
        None => (text, DEFAULT_DAEMON_PORT),
    };
    let is_host = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_');
    is_host.then_some((host, port))
}

struct Reader<'a> {
    bytes: &'a [u8],
}

impl Reader<'_> {
    fn take(&mut self, len: usize) -> Result<&[u8], RecordError> {
        if self.bytes.len() < len {
            return Err(RecordError::BadField);
        }
        let (head, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(head)
    }

    fn byte(&mut self) -> Result<u8, RecordError> {
        Ok(self.take(1)?[0])
    }

    fn text<const N: usize>(&mut self) -> Result<Text<N>, RecordError> {
        let len = usize::from(self.byte()?);
        Text::new(self.take(len)?).map_err(|_| RecordError::BadField)
    }

    fn trim(&mut self) -> Result<GaugeTrim, RecordError> {
        let bytes = self.take(4)?;
        Ok(GaugeTrim {
            zero_steps: i16::from_le_bytes([bytes[0], bytes[1]]),
            sweep_steps: i16::from_le_bytes([bytes[2], bytes[3]]),
        })
    }
}

/// CRC-32 (IEEE 802.3, as zlib and `crc32fast`), bit by bit: a table would cost the firmware
/// 1-16 KiB of flash to check 256 bytes once at boot.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

#[cfg(test)]
mod tests;
