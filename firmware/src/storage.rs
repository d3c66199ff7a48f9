//! The settings in flash: gauge-core's settings record (`DeviceSettings::encode`), stored with
//! sequential-storage's map in the NVS partition of the standard partition table, so each save
//! appends and the sectors wear evenly; a torn save leaves the previous record readable.
//!
//! Ownership: the serial task owns the flash after boot (saves come from the setup protocol).
//! A save erases at most one 4 KiB sector at a time; while it runs the flash cache is off and
//! the needles may pause for some tens of milliseconds.

use embassy_embedded_hal::adapter::BlockingAsync;
use esp_bootloader_esp_idf::partitions::{
    self, DataPartitionSubType, PartitionEntry, PartitionType, PARTITION_TABLE_MAX_LEN,
};
use esp_storage::FlashStorage;
use gauge_core::{DeviceSettings, RECORD_MAX_LEN};
use sequential_storage::cache::Cache;
use sequential_storage::map::{MapConfig, MapStorage};

/// The map key of the settings record (the map holds nothing else).
const SETTINGS_KEY: u8 = 1;
/// Room for sequential-storage's item (key and record), rounded up to the 4-byte flash word.
const ITEM_BUFFER_LEN: usize = RECORD_MAX_LEN + 16;

/// The settings record's home in flash.
pub(crate) struct SettingsFlash {
    flash: FlashStorage<'static>,
    partition: PartitionEntry,
}

impl SettingsFlash {
    /// Finds the NVS partition; an error says why there is no place to store settings.
    pub(crate) fn new(mut flash: FlashStorage<'static>) -> Result<SettingsFlash, &'static str> {
        let mut table = [0u8; PARTITION_TABLE_MAX_LEN];
        let table = partitions::read_partition_table(&mut flash, &mut table)
            .map_err(|_| "cannot read the partition table")?;
        let partition = table
            .find_partition(PartitionType::Data(DataPartitionSubType::Nvs))
            .ok()
            .flatten()
            .ok_or("the partition table has no nvs partition")?;
        Ok(SettingsFlash { flash, partition })
    }

    /// What is stored: `Ok(None)` for nothing (erased flash) or a record this build cannot read.
    pub(crate) async fn load(&mut self) -> Result<Option<DeviceSettings>, &'static str> {
        let mut region = self.partition.as_flash_region(&mut self.flash);
        let range = region_range(region.partition_size())?;
        let nor = region
            .as_nor_flash()
            .map_err(|_| "the nvs partition is encrypted")?;
        let mut map =
            MapStorage::<u8, _, _>::new(BlockingAsync::new(nor), range, Cache::new_uncached());
        let mut buffer = [0u8; ITEM_BUFFER_LEN];
        match map.fetch_item::<&[u8]>(&mut buffer, &SETTINGS_KEY).await {
            Ok(Some(record)) => match DeviceSettings::decode(record) {
                Ok(settings) => Ok(Some(settings)),
                Err(err) => {
                    log::warn!("settings: {err}; running as if none were stored");
                    Ok(None)
                }
            },
            Ok(None) => Ok(None),
            Err(_) => Err("flash read failed"),
        }
    }

    /// Stores `settings` (a new item; sequential-storage erases old pages as it needs room).
    pub(crate) async fn store(&mut self, settings: &DeviceSettings) -> Result<(), &'static str> {
        let mut record = [0u8; RECORD_MAX_LEN];
        let len = settings.encode(&mut record);
        let mut region = self.partition.as_flash_region(&mut self.flash);
        let range = region_range(region.partition_size())?;
        let nor = region
            .as_nor_flash()
            .map_err(|_| "the nvs partition is encrypted")?;
        let mut map =
            MapStorage::<u8, _, _>::new(BlockingAsync::new(nor), range, Cache::new_uncached());
        let mut buffer = [0u8; ITEM_BUFFER_LEN];
        map.store_item(&mut buffer, &SETTINGS_KEY, &&record[..len])
            .await
            .map_err(|_| "flash write failed")
    }
}

fn region_range<S: embedded_storage_async::nor_flash::NorFlash>(
    len: usize,
) -> Result<MapConfig<S>, &'static str> {
    let len = u32::try_from(len).map_err(|_| "the nvs partition is too large")?;
    MapConfig::try_new(0..len).map_err(|_| "the nvs partition is too small (needs 2 sectors)")
}
