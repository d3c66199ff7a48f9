//! Links esp-hal's linker script and re-runs when the build-time settings change.

fn main() {
    println!("cargo:rustc-link-arg=-Tlinkall.x");
    for var in [
        "GAUGE_WIFI_SSID",
        "GAUGE_WIFI_PASSWORD",
        "GAUGE_DAEMON_HOST",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
}
