//! Links esp-hal's linker script. Nothing else is read at build time: Wi-Fi, the daemon and the
//! token are stored in flash by `claude-gauge device setup`.

fn main() {
    println!("cargo:rustc-link-arg=-Tlinkall.x");
}
