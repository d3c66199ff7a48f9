//! claude-gauge firmware: the physical instrument cluster (three X27.168 needles — 5 h fuel,
//! tachometer, 7 d fuel — and eight annunciator lamps) on an ESP32-C6 or ESP32-C3.
//!
//! Glue only: every decision (frame decoding, needle motion, homing, boot sweep, lamp test,
//! flashing, STALL on link loss, night dimming) is gauge-core's and is tested on the host.
//! This crate moves pins into drivers, runs the tasks and feeds gauge-core bytes and time.
//!
//! Tasks: `motor_task` (interrupt executor, priority 3: steps at their deadlines, so Wi-Fi
//! never delays a step); `lamp_task` (74HC595 + PWM on OE); `serial_task` (frames and the
//! setup protocol over USB serial-JTAG); with Wi-Fi settings stored also `connection_task`,
//! `net_task` and `daemon_task` (the stored daemon or mDNS `_claude-gauge._tcp`; `/events`,
//! falling back to `/usage` polls); on a C6 with a VID6606 also `light_task` (LDR → night
//! dimmer).
//!
//! Wiring (full tables, power and protection in docs/hardware.md; pins in `pins.rs`):
//! - ESP32-C6 + VID6606: STEP/DIR 18/19, 20/21, 22/23; RESET 10; 595 SER 2, SRCLK 3,
//!   RCLK 11, OE 7 (PWM); LDR on 6.
//! - ESP32-C6 direct drive: motors 0-1-2-3, 6-7-10-11, 18-19-20-21 (X27 pins 1..4);
//!   595 SER 22, SRCLK 23, RCLK 16, OE 17 (PWM).
//! - ESP32-C3 + VID6606: STEP/DIR 0/1, 3/4, 5/6; RESET by RC; 595 SER 10, SRCLK 20,
//!   RCLK 21, OE 7 (PWM).
//!
//! Settings: nothing at build time. Wi-Fi, the daemon, the read token, calibration and lamps
//! are gauge-core's settings record in flash (`storage.rs`), written over USB by
//! `claude-gauge device setup`. With nothing stored the cluster runs on USB serial alone and
//! says so on the serial line at boot.
//!
//! Must never: hold logic that could be tested on the host (it belongs in gauge-core).
#![no_std]
#![no_main]

mod cluster_task;
mod lamps;
mod mdns;
mod motors;
mod net;
mod pins;
mod serial;
mod storage;

use embassy_executor::Spawner;
use esp_backtrace as _;
use esp_hal::clock::CpuClock;
use esp_hal::gpio::DriveMode;
use esp_hal::interrupt::Priority;
use esp_hal::ledc::channel::{self, ChannelIFace};
use esp_hal::ledc::timer::{self, TimerIFace};
use esp_hal::ledc::{LSGlobalClkSource, Ledc, LowSpeed};
use esp_hal::rng::Rng;
use esp_hal::time::Rate;
use esp_hal::timer::timg::TimerGroup;
use esp_hal::usb::usb_serial_jtag::UsbSerialJtag;
use esp_rtos::embassy::InterruptExecutor;
use esp_storage::FlashStorage;
use gauge_core::{
    write_boot_notice, Cluster, ClusterConfig, DeviceSettings, LampConfig, SetupSession,
};
use static_cell::StaticCell;

use crate::cluster_task::{now_us, CLUSTER};
use crate::motors::Motors;
use crate::pins::board_pins;
use crate::storage::SettingsFlash;

esp_bootloader_esp_idf::esp_app_desc!();

/// Spawns a task; a full task pool (one slot per task: a bug, not input) is logged.
macro_rules! spawn {
    ($spawner:expr, $task:expr) => {
        match $task {
            Ok(token) => $spawner.spawn(token),
            Err(err) => log::error!("cannot spawn {}: {err:?}", stringify!($task)),
        }
    };
}

/// Sockets: DHCP, DNS, one TCP for HTTP, one UDP for mDNS.
const NET_SOCKETS: usize = 4;
/// Heap for esp-radio's Wi-Fi buffers.
const HEAP_BYTES: usize = 72 * 1024;
/// Lamp PWM frequency: far above flicker, well within a 74HC595's OE timing.
const LAMP_PWM_KHZ: u32 = 1;
/// Microseconds without a frame before STALL lights and the needles rest (5 s).
const LINK_TIMEOUT_US: u32 = 5_000_000;
/// Lamps burn at this until a light sensor says otherwise.
const DEFAULT_BRIGHTNESS_PCT: u8 = 100;

fn cluster_config() -> ClusterConfig {
    #[cfg(feature = "direct-drive")]
    let config = ClusterConfig::default();
    #[cfg(not(feature = "direct-drive"))]
    let config = ClusterConfig::vid6606();
    config
        .with_link_timeout_us(LINK_TIMEOUT_US)
        .with_lamps(LampConfig::default().with_brightness_pct(DEFAULT_BRIGHTNESS_PCT))
}

#[esp_rtos::main]
async fn main(spawner: Spawner) -> ! {
    esp_println::logger::init_logger_from_env();
    let p = esp_hal::init(esp_hal::Config::default().with_cpu_clock(CpuClock::max()));
    esp_alloc::heap_allocator!(size: HEAP_BYTES);
    let timg0 = TimerGroup::new(p.TIMG0);
    esp_rtos::start(timg0.timer0, p.FROM_CPU_INTR0);

    // Pins first, so the lamps are dark and the motors held before anything else happens.
    let board = board_pins!(p);
    motors::release_vid6606(board.vid6606_reset);
    let motors = Motors::new(board.motors);
    let shift = lamps::ShiftRegister::new(board.lamp_data, board.lamp_clock, board.lamp_latch);

    // Settings: what `claude-gauge device setup` stored, or nothing (USB serial only).
    let (flash, stored) = load_settings(FlashStorage::new(p.FLASH)).await;
    let settings = stored.unwrap_or_default();
    let mut notice = heapless::String::<160>::new();
    write_boot_notice(stored.as_ref(), &mut notice);
    esp_println::print!("{notice}");

    // Boot: lamp test and homing start now (gauge-core runs both).
    let base = cluster_config();
    let cluster = Cluster::new(settings.cluster_config(base), now_us());
    CLUSTER.lock(|cell| *cell.borrow_mut() = Some(cluster));

    static HIGH_PRIO: StaticCell<InterruptExecutor<2>> = StaticCell::new();
    let high_prio = HIGH_PRIO.init(InterruptExecutor::new(p.FROM_CPU_INTR2));
    let high_spawner = high_prio.start(Priority::Priority3);
    spawn!(high_spawner, cluster_task::motor_task(motors));

    // Lamps: LEDC PWM on the 595's OE.
    static LEDC: StaticCell<Ledc<'static>> = StaticCell::new();
    static LAMP_TIMER: StaticCell<timer::Timer<'static, LowSpeed>> = StaticCell::new();
    let ledc = LEDC.init(Ledc::new(p.LEDC));
    ledc.set_global_slow_clock(LSGlobalClkSource::APBClk);
    let lamp_timer = LAMP_TIMER.init(ledc.timer::<LowSpeed>(timer::Number::Timer0));
    let timer_config = timer::config::Config {
        duty: timer::config::Duty::Duty10Bit,
        clock_source: timer::LSClockSource::APBClk,
        frequency: Rate::from_khz(LAMP_PWM_KHZ),
    };
    if lamp_timer.configure(timer_config).is_err() {
        log::error!("lamps: LEDC timer refused {LAMP_PWM_KHZ} kHz");
    }
    let mut enable = ledc.channel(channel::Number::Channel0, board.lamp_enable);
    let channel_config = channel::config::Config {
        timer: &*lamp_timer,
        duty_pct: 100,
        drive_mode: DriveMode::PushPull,
    };
    if enable.configure(channel_config).is_err() {
        log::error!("lamps: LEDC channel refused its configuration");
    }
    spawn!(spawner, lamps::lamp_task(shift, enable));

    #[cfg(all(feature = "esp32c6", not(feature = "direct-drive")))]
    {
        use esp_hal::analog::adc::{Adc, AdcConfig, Attenuation};
        let mut adc_config = AdcConfig::new();
        let pin = adc_config.enable_pin(p.GPIO6, Attenuation::_11dB);
        let dimmer = settings.dimmer_config(gauge_core::DimmerConfig::default());
        spawn!(
            spawner,
            lamps::light_task(dimmer, Adc::new(p.ADC1, adc_config), pin)
        );
    }

    let (serial_rx, _serial_tx) = UsbSerialJtag::new(p.USB_DEVICE).into_async().split();
    let session = SetupSession::new(stored, &base);
    spawn!(
        spawner,
        serial::serial_task(serial_rx, session, flash, base)
    );

    if settings.has_wifi() {
        static SETTINGS: StaticCell<DeviceSettings> = StaticCell::new();
        start_wifi(spawner, p.WIFI, SETTINGS.init(settings));
    }
    loop {
        embassy_time::Timer::after(embassy_time::Duration::from_secs(3600)).await;
    }
}

/// Reads the stored settings; a flash without a place for them still boots (USB serial only).
async fn load_settings(
    flash: FlashStorage<'static>,
) -> (Option<SettingsFlash>, Option<DeviceSettings>) {
    let mut flash = match SettingsFlash::new(flash) {
        Ok(flash) => flash,
        Err(why) => {
            log::error!("settings: {why}; they cannot be stored");
            return (None, None);
        }
    };
    let stored = flash.load().await.unwrap_or_else(|why| {
        log::error!("settings: {why}");
        None
    });
    (Some(flash), stored)
}

/// Starts Wi-Fi and the daemon follower with the stored settings.
fn start_wifi(
    spawner: Spawner,
    wifi: esp_hal::peripherals::WIFI<'static>,
    settings: &'static DeviceSettings,
) {
    let controller = match esp_radio::wifi::WifiController::new(wifi, Default::default()) {
        Ok(controller) => controller,
        Err(err) => return log::error!("wifi: cannot start the radio: {err:?}"),
    };
    let rng = Rng::new();
    let seed = (u64::from(rng.random()) << 32) | u64::from(rng.random());
    static RESOURCES: StaticCell<embassy_net::StackResources<NET_SOCKETS>> = StaticCell::new();
    let (stack, runner) = embassy_net::new(
        esp_radio::wifi::Interface::station(),
        embassy_net::Config::dhcpv4(Default::default()),
        RESOURCES.init(embassy_net::StackResources::new()),
        seed,
    );
    spawn!(spawner, net::connection_task(controller, settings));
    spawn!(spawner, net::net_task(runner));
    spawn!(spawner, net::daemon_task(stack, settings, rng.random() | 1));
}
