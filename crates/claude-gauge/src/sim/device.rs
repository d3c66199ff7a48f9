//! The simulated device's setup side: gauge-core's [`SetupSession`] answering setup commands
//! from the serial link, with a file standing in for the firmware's flash (the same settings
//! record, `gauge_core::DeviceSettings::encode`).

use std::path::PathBuf;

use gauge_core::{
    write_boot_notice, ClusterConfig, DeviceSettings, Gauge, SetupEffect, SetupSession,
    RECORD_MAX_LEN,
};

use super::cluster::Simulator;

/// The flash: a file holding one settings record, or none (`sim` without `--flash`).
#[derive(Clone, Debug)]
pub(crate) struct FlashFile {
    path: Option<PathBuf>,
}

impl FlashFile {
    /// The flash at `path` (`None`: settings live in RAM only and `save` fails).
    pub(crate) fn new(path: Option<PathBuf>) -> FlashFile {
        FlashFile { path }
    }

    /// What is stored: `None` for no file, an empty one or a damaged record (as the firmware
    /// treats erased or torn flash), with the reason logged.
    pub(crate) fn load(&self) -> Option<DeviceSettings> {
        let path = self.path.as_ref()?;
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return None,
            Err(err) => {
                tracing::warn!("flash file {}: {err}", path.display());
                return None;
            }
        };
        match DeviceSettings::decode(&bytes) {
            Ok(settings) => Some(settings),
            Err(err) => {
                tracing::warn!("flash file {}: {err}", path.display());
                None
            }
        }
    }

    /// Stores `settings`, replacing the file whole (a crash leaves the old record or the new).
    fn store(&self, settings: &DeviceSettings) -> Result<(), String> {
        let path = self
            .path
            .as_ref()
            .ok_or("no flash (start sim with --flash FILE)")?;
        let mut record = [0u8; RECORD_MAX_LEN];
        let len = settings.encode(&mut record);
        let partial = path.with_extension("partial");
        std::fs::write(&partial, &record[..len])
            .and_then(|()| std::fs::rename(&partial, path))
            .map_err(|err| format!("{}: {err}", path.display()))
    }
}

/// The simulated device: its cluster, its setup session and its flash.
pub(crate) struct Device {
    base: ClusterConfig,
    flash: FlashFile,
    session: SetupSession,
    /// The cluster, built from the build's config and what is stored.
    pub(crate) sim: Simulator,
}

impl Device {
    /// Boots at `now_us`: reads the flash and builds the cluster from it, as the firmware does.
    pub(crate) fn boot(base: ClusterConfig, flash: FlashFile, now_us: u64) -> Device {
        let stored = flash.load();
        let settings = stored.unwrap_or_default();
        Device {
            base,
            sim: Simulator::boot_at(settings.cluster_config(base), now_us),
            session: SetupSession::new(stored, &base),
            flash,
        }
    }

    /// What was stored at boot or saved since, if anything.
    pub(crate) fn stored(&self) -> Option<&DeviceSettings> {
        self.session.is_stored().then(|| self.session.settings())
    }

    /// The line the device prints on its serial port at boot.
    pub(crate) fn boot_notice(&self) -> String {
        let mut notice = String::new();
        write_boot_notice(self.stored(), &mut notice);
        notice
    }

    /// Answers one setup line received at `now_us`; returns the reply to send back.
    pub(crate) fn handle_line(&mut self, line: &[u8], now_us: u64) -> String {
        let mut reply = String::new();
        match self.session.handle_line(line, &mut reply) {
            SetupEffect::None => {}
            SetupEffect::Apply => {
                let settings = *self.session.settings();
                let config = settings.cluster_config(self.base);
                self.sim
                    .set_dials(Gauge::ALL.map(|g| *config.dial(g)), now_us);
                self.sim.set_brightness_pct(settings.brightness_pct);
            }
            SetupEffect::Save => {
                let stored = self.flash.store(self.session.settings());
                self.session
                    .finish_save(stored.as_ref().copied().map_err(String::as_str), &mut reply);
            }
            SetupEffect::Point {
                gauge,
                position_steps,
            } => self.sim.point_needle(gauge, Some(position_steps), now_us),
            SetupEffect::Release => {
                for gauge in Gauge::ALL {
                    self.sim.point_needle(gauge, None, now_us);
                }
            }
            SetupEffect::Restart => {
                // A restart forgets everything in RAM and boots from the flash again.
                *self = Device::boot(self.base, self.flash.clone(), now_us);
                reply.push_str(&self.boot_notice());
            }
        }
        reply
    }
}
