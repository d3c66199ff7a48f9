//! The firmware takes nothing from the build environment: Wi-Fi, the daemon and the token come
//! from the settings record in flash (`docs/protocol.md`, "Device setup"). A build-time
//! credential would put a password into every image someone shares.

use std::path::Path;

fn firmware_sources() -> Vec<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../firmware");
    let mut files = vec![root.join("build.rs")];
    for entry in std::fs::read_dir(root.join("src")).expect("firmware/src") {
        files.push(entry.expect("a directory entry").path());
    }
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("a firmware source");
            (path.display().to_string(), text)
        })
        .collect()
}

#[test]
fn the_firmware_reads_no_build_time_settings_and_loads_them_from_flash() {
    let sources = firmware_sources();
    assert!(sources.len() > 5, "{sources:?}");
    for (path, text) in &sources {
        for needle in [
            "option_env!",
            "env!(",
            "rerun-if-env-changed",
            "rustc-env",
            "GAUGE_WIFI",
        ] {
            assert!(!text.contains(needle), "{path} uses {needle}");
        }
    }
    let main = &sources
        .iter()
        .find(|(p, _)| p.ends_with("main.rs"))
        .unwrap()
        .1;
    for needle in [
        "SettingsFlash::new",
        "write_boot_notice",
        "SetupSession::new",
        "has_wifi()",
    ] {
        assert!(main.contains(needle), "main.rs lacks {needle}");
    }
    let serial = &sources
        .iter()
        .find(|(p, _)| p.ends_with("serial.rs"))
        .unwrap()
        .1;
    assert!(
        serial.contains("session.handle_line"),
        "serial.rs runs no setup protocol"
    );
}
