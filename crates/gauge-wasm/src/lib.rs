//! gauge-wasm: gauge-core's [`Cluster`] for the web page, as a WebAssembly module.
//!
//! The page (`web/app.js`) never computes needle motion itself: it hands every frame's bytes and
//! the time to this module and draws whatever positions and lamp states come back, so the screen
//! shows what the physical cluster would. The exports are plain `extern "C"` functions on one
//! module-wide cluster (no wasm-bindgen): numbers in, numbers out, frame bytes through a fixed
//! input buffer ([`input_ptr`]). Times are microseconds as `f64` (exact below 2^53 µs, 285
//! years), since JavaScript numbers are doubles. The dial faces (ticks, figures, unit, zone) are
//! gauge-core's too (`face_*`, `docs/gauge-core.md`, "Scales"); text comes back as a pointer
//! and a length of UTF-8 in the module's memory. The page draws each face from [`face_svg`]:
//! gauge-core's SVG generator, the one `claude-gauge dial-faces` prints from, written into a
//! fixed buffer ([`svg_ptr`]).
//!
//! The built module is checked in as `web/gauge.wasm`; `scripts/build-wasm` rebuilds it and
//! `scripts/build-wasm --check` (run by `scripts/test`) fails when it is stale.
//!
//! Must never: compute anything gauge-core does not; allocate per call.
// `#[no_mangle]` is what makes an export; it is "unsafe" only in that two symbols of the same
// name would clash, and this crate is the whole module.
#![allow(unsafe_code)]

use std::sync::Mutex;

use gauge_core::{
    write_face_svg, Cluster, ClusterConfig, DialFace, FaceLayout, Gauge, Lamp, LampPattern,
    ZoneKind, FRAME_MAX_LEN,
};

/// How many bytes of SVG [`face_svg`] can hand out: a face is about 5 KiB.
const SVG_CAPACITY: usize = 16 * 1024;

/// Everything the page drives: the cluster, the buffer frames arrive in and the one SVG text
/// handed out.
struct Module {
    cluster: Option<Cluster>,
    input: [u8; FRAME_MAX_LEN],
    svg: [u8; SVG_CAPACITY],
}

// WebAssembly here is single-threaded; the mutex only makes the global safe Rust.
static MODULE: Mutex<Module> = Mutex::new(Module {
    cluster: None,
    input: [0; FRAME_MAX_LEN],
    svg: [0; SVG_CAPACITY],
});

/// `core::fmt::Write` into a fixed buffer: an error, not a reallocation, when it is full.
struct BufferWriter<'a> {
    buffer: &'a mut [u8],
    len: usize,
}

impl std::fmt::Write for BufferWriter<'_> {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        let end = self.len + text.len();
        let slot = self.buffer.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        slot.copy_from_slice(text.as_bytes());
        self.len = end;
        Ok(())
    }
}

fn with_module<T>(f: impl FnOnce(&mut Module) -> T) -> T {
    // A poisoned lock needs a panic, and a panic aborts the module: recover the data anyway.
    let mut guard = MODULE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&mut guard)
}

fn with_cluster<T: Default>(f: impl FnOnce(&mut Cluster) -> T) -> T {
    with_module(|module| module.cluster.as_mut().map(f).unwrap_or_default())
}

/// Microseconds from a JavaScript number (negative and NaN read 0).
fn micros(now_us: f64) -> u64 {
    // Saturating float-to-int is the point: the page passes `performance.now() * 1000`.
    now_us as u64
}

fn gauge(index: u32) -> Gauge {
    match index {
        0 => Gauge::Fuel5h,
        1 => Gauge::Tach,
        _ => Gauge::Fuel7d,
    }
}

/// The cluster configuration the page runs: the default direct-drive X27s, with the link
/// timeout in milliseconds and the boot sweep on (1) or off (0).
pub fn page_config(link_timeout_ms: u32, is_boot_sweep: u32) -> ClusterConfig {
    ClusterConfig::default()
        .with_link_timeout_us(link_timeout_ms.saturating_mul(1000))
        .with_boot_sweep(is_boot_sweep != 0)
}

/// Boots a new cluster at `now_us` (lamp test, homing, sweep), replacing any previous one.
#[no_mangle]
pub extern "C" fn cluster_new(now_us: f64, link_timeout_ms: u32, is_boot_sweep: u32) {
    let cluster = Cluster::new(page_config(link_timeout_ms, is_boot_sweep), micros(now_us));
    with_module(|module| module.cluster = Some(cluster));
}

/// Where the page writes a frame's bytes before [`cluster_feed`].
#[no_mangle]
pub extern "C" fn input_ptr() -> *mut u8 {
    // The buffer lives in a static, so the address stays valid for the module's life.
    with_module(|module| module.input.as_mut_ptr())
}

/// How many bytes the input buffer holds ([`FRAME_MAX_LEN`]).
#[no_mangle]
pub extern "C" fn input_capacity() -> u32 {
    FRAME_MAX_LEN as u32
}

/// Runs the cluster up to `now_us`, then decodes and feeds the first `len` input bytes.
/// Returns 0 when taken, 1 when the frame was rejected (it changes nothing), 2 with no cluster.
#[no_mangle]
pub extern "C" fn cluster_feed(len: u32, now_us: f64) -> u32 {
    let now_us = micros(now_us);
    with_module(|module| {
        let Some(cluster) = module.cluster.as_mut() else {
            return 2;
        };
        let len = (len as usize).min(FRAME_MAX_LEN);
        cluster.advance_to(now_us, |_, _, _| {});
        match cluster.feed_bytes(&module.input[..len], now_us) {
            Ok(()) => 0,
            Err(_) => 1,
        }
    })
}

/// Runs every step and watchdog event due up to `now_us`, each at its own deadline.
#[no_mangle]
pub extern "C" fn cluster_advance(now_us: f64) {
    with_cluster(|cluster| cluster.advance_to(micros(now_us), |_, _, _| {}));
}

/// Acknowledges the master caution (flashing lamps burn steady).
#[no_mangle]
pub extern "C" fn cluster_acknowledge() {
    with_cluster(Cluster::acknowledge);
}

/// One needle's position, steps above its stop (gauge 0 = 5 h, 1 = tach, 2 = 7 d).
#[no_mangle]
pub extern "C" fn needle_position_steps(gauge_index: u32) -> u32 {
    with_cluster(|cluster| u32::from(cluster.needle_positions()[gauge(gauge_index).index()]))
}

/// One needle's goal, steps above its stop.
#[no_mangle]
pub extern "C" fn needle_goal_steps(gauge_index: u32) -> u32 {
    with_cluster(|cluster| u32::from(cluster.needle_goals()[gauge(gauge_index).index()]))
}

/// One lamp's pattern at `now_us` ([`Lamp::ALL`] order): 0 off, 1 steady, 2 slow, 3 fast flash.
#[no_mangle]
pub extern "C" fn lamp_pattern(lamp_index: u32, now_us: f64) -> u32 {
    with_cluster(|cluster| {
        let outputs = cluster.lamp_outputs(micros(now_us));
        let Some(output) = outputs.get(lamp_index as usize) else {
            return 0;
        };
        match output.pattern {
            LampPattern::Off => 0,
            LampPattern::Steady => 1,
            LampPattern::SlowFlash => 2,
            LampPattern::FastFlash => 3,
        }
    })
}

/// Which lamps are on at this instant (flash phase applied): bit n is [`Lamp::ALL`]`[n]`.
#[no_mangle]
pub extern "C" fn lamps_on_bits(now_us: f64) -> u32 {
    with_cluster(|cluster| {
        let outputs = cluster.lamp_outputs(micros(now_us));
        outputs
            .iter()
            .enumerate()
            .filter(|(_, output)| output.is_on)
            .fold(0, |bits, (i, _)| bits | (1 << i))
    })
}

/// How many lamps the panel has ([`Lamp::ALL`]).
#[no_mangle]
pub extern "C" fn lamp_count() -> u32 {
    Lamp::ALL.len() as u32
}

/// 1 while the link watchdog has fired (STALL lit, needles resting).
#[no_mangle]
pub extern "C" fn cluster_is_stalled() -> u32 {
    with_cluster(|cluster| u32::from(cluster.is_stalled()))
}

/// 1 once every needle has found its stop.
#[no_mangle]
pub extern "C" fn cluster_is_homed() -> u32 {
    with_cluster(|cluster| u32::from(cluster.is_homed()))
}

/// Where `scale_bp` (0 = E or zero, 10 000 = F or full scale) of one dial sits, steps above the
/// stop: where the page puts a tick, a figure or a zone edge.
#[no_mangle]
pub extern "C" fn dial_position_steps(gauge_index: u32, scale_bp: u32) -> u32 {
    let scale_bp = u16::try_from(scale_bp).unwrap_or(u16::MAX);
    with_cluster(|cluster| {
        let steps = cluster
            .config()
            .dial(gauge(gauge_index))
            .position_steps(scale_bp);
        steps.max(0).unsigned_abs()
    })
}

/// Where one gauge's needle points at `position_steps` (fractions allowed, for dial marks):
/// degrees clockwise from 12 o'clock, the dial's scale centred on 12 o'clock
/// ([`ClusterConfig::needle_angle_deg`]).
#[no_mangle]
pub extern "C" fn needle_angle_deg(gauge_index: u32, position_steps: f32) -> f32 {
    with_cluster(|cluster| {
        cluster
            .config()
            .needle_angle_deg(gauge(gauge_index), position_steps)
    })
}

/// Writes one dial's face as SVG ([`gauge_core::write_face_svg`], `diameter_mm` across, placed
/// by the running cluster's dials, or the page's default ones before [`cluster_new`]) at
/// [`svg_ptr`]; returns its length in bytes, 0 when it did not fit.
#[no_mangle]
pub extern "C" fn face_svg(gauge_index: u32, diameter_mm: f32) -> u32 {
    with_module(|module| {
        let config = module
            .cluster
            .as_ref()
            .map_or_else(|| page_config(5000, 1), |cluster| *cluster.config());
        let layout = FaceLayout::default().with_diameter_mm(diameter_mm);
        let mut out = BufferWriter {
            buffer: &mut module.svg,
            len: 0,
        };
        match write_face_svg(&mut out, &config, gauge(gauge_index), &layout) {
            // At most SVG_CAPACITY (16 KiB).
            Ok(()) => out.len as u32,
            Err(_) => 0,
        }
    })
}

/// Where the text of the last [`face_svg`] (UTF-8) starts in the module's memory.
#[no_mangle]
pub extern "C" fn svg_ptr() -> *const u8 {
    // The buffer lives in a static, so the address stays valid for the module's life.
    with_module(|module| module.svg.as_ptr())
}

fn face(gauge_index: u32) -> DialFace {
    gauge(gauge_index).face()
}

/// How many equal intervals one dial's ticks divide the scale into (ticks = intervals + 1).
#[no_mangle]
pub extern "C" fn face_tick_intervals(gauge_index: u32) -> u32 {
    u32::from(face(gauge_index).tick_intervals())
}

/// Where tick `index` of one dial sits, basis points of the scale.
#[no_mangle]
pub extern "C" fn face_tick_bp(gauge_index: u32, index: u32) -> u32 {
    let index = u16::try_from(index).unwrap_or(u16::MAX);
    u32::from(face(gauge_index).tick_bp(index))
}

/// 1 when tick `index` of one dial is a long one.
#[no_mangle]
pub extern "C" fn face_is_major_tick(gauge_index: u32, index: u32) -> u32 {
    let index = u16::try_from(index).unwrap_or(u16::MAX);
    u32::from(face(gauge_index).is_major_tick(index))
}

/// How many figures one dial prints.
#[no_mangle]
pub extern "C" fn face_label_count(gauge_index: u32) -> u32 {
    // A face has a handful of figures.
    face(gauge_index).labels().len() as u32
}

fn label_text(gauge_index: u32, label_index: u32) -> &'static str {
    face(gauge_index)
        .labels()
        .get(label_index as usize)
        .map_or("", |label| label.text)
}

/// Where figure `label_index` of one dial sits, basis points (0 for no such figure).
#[no_mangle]
pub extern "C" fn face_label_bp(gauge_index: u32, label_index: u32) -> u32 {
    let labels = face(gauge_index).labels();
    labels
        .get(label_index as usize)
        .map_or(0, |label| u32::from(label.scale_bp))
}

/// Where figure `label_index`'s text (UTF-8) starts in the module's memory.
#[no_mangle]
pub extern "C" fn face_label_ptr(gauge_index: u32, label_index: u32) -> *const u8 {
    label_text(gauge_index, label_index).as_ptr()
}

/// How many bytes figure `label_index`'s text has.
#[no_mangle]
pub extern "C" fn face_label_len(gauge_index: u32, label_index: u32) -> u32 {
    // A figure is a few bytes.
    label_text(gauge_index, label_index).len() as u32
}

/// Where one dial's unit (UTF-8) starts in the module's memory.
#[no_mangle]
pub extern "C" fn face_unit_ptr(gauge_index: u32) -> *const u8 {
    face(gauge_index).unit().as_ptr()
}

/// How many bytes one dial's unit has.
#[no_mangle]
pub extern "C" fn face_unit_len(gauge_index: u32) -> u32 {
    // A unit is a few bytes.
    face(gauge_index).unit().len() as u32
}

/// Where one dial's coloured zone starts, basis points.
#[no_mangle]
pub extern "C" fn face_zone_from_bp(gauge_index: u32) -> u32 {
    u32::from(face(gauge_index).zone().from_bp)
}

/// Where one dial's coloured zone ends, basis points.
#[no_mangle]
pub extern "C" fn face_zone_to_bp(gauge_index: u32) -> u32 {
    u32::from(face(gauge_index).zone().to_bp)
}

/// What one dial's zone warns of: 0 reserve (amber), 1 redline (red).
#[no_mangle]
pub extern "C" fn face_zone_kind(gauge_index: u32) -> u32 {
    match face(gauge_index).zone().kind {
        ZoneKind::Reserve => 0,
        ZoneKind::Redline => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: &[u8] = br#"{"v":1,"seq":1,"ts":0,"fuel_5h":0.5,"fuel_7d":1.0,"tach":2000,"reset_5h":null,"reset_7d":null,"model":"opus","source":"official","lamps":["IDLE"]}"#;

    #[test]
    fn exports_drive_the_same_cluster_as_gauge_core() {
        cluster_new(0.0, 5000, 1);
        with_module(|module| module.input[..FRAME.len()].copy_from_slice(FRAME));
        assert_eq!(cluster_feed(FRAME.len() as u32, 100_000.0), 0);
        cluster_advance(20_000_000.0);

        let mut native = Cluster::new(page_config(5000, 1), 0);
        native.advance_to(100_000, |_, _, _| {});
        native.feed_bytes(FRAME, 100_000).unwrap();
        native.advance_to(20_000_000, |_, _, _| {});
        for gauge_index in 0..3 {
            let expected = native.needle_positions()[gauge_index as usize];
            assert_eq!(needle_position_steps(gauge_index), u32::from(expected));
        }
        let expected = native.config().needle_angle_deg(Gauge::Tach, 40.5);
        assert_eq!(needle_angle_deg(1, 40.5), expected);
        // Twenty seconds without a frame: the 5 s watchdog has fired.
        assert_eq!(cluster_is_stalled(), 1);
        assert_eq!(lamp_pattern(4, 20_000_000.0), 3, "STALL flashes fast");
        assert_eq!(dial_position_steps(1, 8_000), 15 + 648);
    }

    #[test]
    fn the_faces_are_gauge_core_s() {
        let text = |ptr: *const u8, len: u32| {
            // SAFETY: the exports hand out a `&'static str`'s pointer and length.
            let bytes = unsafe { std::slice::from_raw_parts(ptr, len as usize) };
            std::str::from_utf8(bytes).unwrap().to_string()
        };
        for (index, gauge) in Gauge::ALL.into_iter().enumerate() {
            let g = index as u32;
            let face = gauge.face();
            assert_eq!(face_tick_intervals(g), u32::from(face.tick_intervals()));
            assert_eq!(face_tick_bp(g, 1), u32::from(face.tick_bp(1)));
            assert_eq!(face_is_major_tick(g, 0), 1);
            assert_eq!(face_label_count(g) as usize, face.labels().len());
            for (i, label) in face.labels().iter().enumerate() {
                assert_eq!(face_label_bp(g, i as u32), u32::from(label.scale_bp));
                let shown = text(face_label_ptr(g, i as u32), face_label_len(g, i as u32));
                assert_eq!(shown, label.text);
            }
            assert_eq!(text(face_unit_ptr(g), face_unit_len(g)), face.unit());
            assert_eq!(face_zone_from_bp(g), u32::from(face.zone().from_bp));
            assert_eq!(face_zone_to_bp(g), u32::from(face.zone().to_bp));
        }
        assert_eq!(text(face_label_ptr(0, 2), face_label_len(0, 2)), "½");
        assert_eq!((face_zone_kind(0), face_zone_kind(1)), (0, 1));
        assert_eq!(face_label_len(0, 99), 0);
    }

    #[test]
    fn the_face_svg_is_gauge_core_s_generator() {
        // The other tests boot clusters with the page's dials; before any, those are used too.
        for (index, gauge) in Gauge::ALL.into_iter().enumerate() {
            let len = face_svg(index as u32, 200.0);
            assert!(len > 1000, "{gauge:?}: {len}");
            // SAFETY: the export hands out the static buffer's pointer; `len` bytes are written.
            let bytes = unsafe { std::slice::from_raw_parts(svg_ptr(), len as usize) };
            let mut expected = String::new();
            let layout = FaceLayout::default().with_diameter_mm(200.0);
            write_face_svg(&mut expected, &page_config(5000, 1), gauge, &layout).unwrap();
            assert_eq!(std::str::from_utf8(bytes).unwrap(), expected);
            assert!(expected.starts_with("<svg") && expected.contains(r#"viewBox="0 0 200 200""#));
        }
    }
}
