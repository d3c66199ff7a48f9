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
//! The frame's text and figures the page prints (per-gauge source, model family, scoped
//! warnings, spend) come from the frame gauge-core decoded (`frame_*`), so the page reads the
//! wire as every cluster does; the model lamps' states from [`Cluster::model_lamp_outputs`]
//! (`model_lamp_*`).
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
    write_face_svg, Cluster, ClusterConfig, DialFace, FaceLayout, Frame, Gauge, GaugeSource, Lamp,
    LampPattern, Spend, ZoneKind, FRAME_MAX_LEN, MODEL_LAMP_COUNT,
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

fn pattern_number(pattern: LampPattern) -> u32 {
    match pattern {
        LampPattern::Off => 0,
        LampPattern::Steady => 1,
        LampPattern::SlowFlash => 2,
        LampPattern::FastFlash => 3,
    }
}

/// One lamp's pattern at `now_us` ([`Lamp::ALL`] order): 0 off, 1 steady, 2 slow, 3 fast flash.
#[no_mangle]
pub extern "C" fn lamp_pattern(lamp_index: u32, now_us: f64) -> u32 {
    with_cluster(|cluster| {
        let outputs = cluster.lamp_outputs(micros(now_us));
        outputs
            .get(lamp_index as usize)
            .map_or(0, |output| pattern_number(output.pattern))
    })
}

fn lamp_name(lamp_index: u32) -> &'static str {
    Lamp::ALL
        .get(lamp_index as usize)
        .map_or("", |lamp| lamp.as_str())
}

/// Where lamp `lamp_index`'s wire name (`HOT`, …, `CREDITS`; UTF-8) starts in the module's
/// memory.
#[no_mangle]
pub extern "C" fn lamp_name_ptr(lamp_index: u32) -> *const u8 {
    lamp_name(lamp_index).as_ptr()
}

/// How many bytes lamp `lamp_index`'s name has (0 for no such lamp).
#[no_mangle]
pub extern "C" fn lamp_name_len(lamp_index: u32) -> u32 {
    // A lamp name is a few bytes.
    lamp_name(lamp_index).len() as u32
}

/// Which lamps are on at this instant (flash phase applied): bit n is [`Lamp::ALL`]`[n]`.
#[no_mangle]
pub extern "C" fn lamps_on_bits(now_us: f64) -> u32 {
    with_cluster(|cluster| on_bits(cluster.lamp_outputs(micros(now_us)).iter().map(|o| o.is_on)))
}

/// Bit n set when the n-th lamp is on.
fn on_bits(is_on: impl Iterator<Item = bool>) -> u32 {
    is_on
        .enumerate()
        .filter(|(_, on)| *on)
        .fold(0, |bits, (i, _)| bits | (1 << i))
}

/// How many lamps the panel has ([`Lamp::ALL`]).
#[no_mangle]
pub extern "C" fn lamp_count() -> u32 {
    Lamp::ALL.len() as u32
}

/// How many model lamps the cluster has (OPUS, SONNET, HAIKU by default).
#[no_mangle]
pub extern "C" fn model_lamp_count() -> u32 {
    MODEL_LAMP_COUNT as u32
}

/// One model lamp's pattern at `now_us` (0 off, 1 steady, 2 slow, 3 fast flash): steady while
/// the frame's family is on it, a caution's pattern while its model caution is lit.
#[no_mangle]
pub extern "C" fn model_lamp_pattern(model_lamp_index: u32, now_us: f64) -> u32 {
    with_cluster(|cluster| {
        let outputs = cluster.model_lamp_outputs(micros(now_us));
        outputs
            .get(model_lamp_index as usize)
            .map_or(0, |output| pattern_number(output.pattern))
    })
}

/// Which model lamps are on at this instant (flash phase applied): bit n is model lamp n.
#[no_mangle]
pub extern "C" fn model_lamps_on_bits(now_us: f64) -> u32 {
    with_cluster(|cluster| {
        on_bits(
            cluster
                .model_lamp_outputs(micros(now_us))
                .iter()
                .map(|o| o.is_on),
        )
    })
}

/// 1 while a model caution (WARN_OPUS, WARN_SONNET) lights model lamp `model_lamp_index`.
#[no_mangle]
pub extern "C" fn model_lamp_is_caution(model_lamp_index: u32, now_us: f64) -> u32 {
    with_cluster(|cluster| {
        let outputs = cluster.model_lamp_outputs(micros(now_us));
        let caution = outputs
            .get(model_lamp_index as usize)
            .and_then(|output| output.caution);
        u32::from(caution.is_some())
    })
}

/// The model lamp the frame's family lights (0..3), or [`model_lamp_count`] for none.
#[no_mangle]
pub extern "C" fn model_lamp_in_use() -> u32 {
    with_cluster(|cluster| cluster.model_lamp().map_or(MODEL_LAMP_COUNT, |i| i) as u32)
}

/// Hands out a text of the last frame (empty without one) as a pointer and a length, packed as
/// `ptr << 32 | len` (a JavaScript BigInt): the frame lives in the module, so the text stays
/// valid until the next [`cluster_feed`].
fn frame_text(text: impl FnOnce(&Frame) -> &str) -> u64 {
    with_module(|module| {
        let text = module
            .cluster
            .as_ref()
            .and_then(Cluster::frame)
            .map_or("", text);
        // wasm32 pointers and lengths are 32 bits.
        ((text.as_ptr() as usize as u64) << 32) | text.len() as u64
    })
}

fn with_frame<T: Default>(f: impl FnOnce(&Frame) -> T) -> T {
    with_cluster(|cluster| cluster.frame().map(f).unwrap_or_default())
}

/// Where gauge `gauge_index`'s figure comes from (`source_5h`/`source_7d`, or the legacy
/// `source` for an older daemon): 0 official, 1 cached, 2 estimate, 3 none (Claude has no such
/// window: the needle is parked), 4 unknown (also before any frame).
#[no_mangle]
pub extern "C" fn frame_source(gauge_index: u32) -> u32 {
    let source = with_cluster(|cluster| {
        cluster
            .frame()
            .map(|frame| frame.gauge_source(gauge(gauge_index)))
    })
    .unwrap_or(GaugeSource::Unknown);
    let index = GaugeSource::ALL.iter().position(|s| *s == source);
    // ALL holds every source.
    index.unwrap_or(GaugeSource::ALL.len() - 1) as u32
}

/// The last frame's model family by name (`opus`, `fable`, …; empty when unknown), packed as
/// `ptr << 32 | len`.
#[no_mangle]
pub extern "C" fn frame_family() -> u64 {
    frame_text(|frame| frame.model.as_ref().map_or("", |family| family.as_str()))
}

/// How many scoped weekly limits the last frame names at warning (`warn_scoped`).
#[no_mangle]
pub extern "C" fn frame_warn_scoped_count() -> u32 {
    // At most SCOPED_WARNINGS_MAX (4).
    with_frame(|frame| frame.warn_scoped.len() as u32)
}

/// Scoped limit `index`'s display name (e.g. `Fable`), packed as `ptr << 32 | len`.
#[no_mangle]
pub extern "C" fn frame_warn_scoped(index: u32) -> u64 {
    frame_text(|frame| frame.warn_scoped.get(index as usize).unwrap_or(""))
}

fn spend() -> Option<Spend> {
    with_frame(|frame| frame.spend)
}

/// 1 when the last frame carries `spend`.
#[no_mangle]
pub extern "C" fn frame_has_spend() -> u32 {
    u32::from(spend().is_some())
}

/// Spent this period, US dollars (NaN without `spend`).
#[no_mangle]
pub extern "C" fn frame_spend_used_usd() -> f32 {
    spend().map_or(f32::NAN, |spend| spend.used_usd)
}

/// The spend limit, US dollars (NaN when there is none or no `spend`).
#[no_mangle]
pub extern "C" fn frame_spend_limit_usd() -> f32 {
    spend()
        .and_then(|spend| spend.limit_usd)
        .unwrap_or(f32::NAN)
}

/// Spent, percent of the limit, unclamped (may exceed 100; NaN when unknown).
#[no_mangle]
pub extern "C" fn frame_spend_used_pct() -> f32 {
    spend().and_then(|spend| spend.used_pct).unwrap_or(f32::NAN)
}

/// The spend period's name (`monthly`, …; empty without `spend`), packed as `ptr << 32 | len`.
#[no_mangle]
pub extern "C" fn frame_spend_period() -> u64 {
    frame_text(|frame| frame.spend.map_or("", |spend| spend.period.as_str()))
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

    /// The exports share one module-wide cluster: tests that boot one take turns.
    static CLUSTER_TESTS: Mutex<()> = Mutex::new(());

    fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
        CLUSTER_TESTS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    const FRAME: &[u8] = br#"{"v":1,"seq":1,"ts":0,"fuel_5h":0.5,"fuel_7d":1.0,"tach":2000,"reset_5h":null,"reset_7d":null,"model":"opus","source":"official","lamps":["IDLE"]}"#;

    #[test]
    fn exports_drive_the_same_cluster_as_gauge_core() {
        let _turn = one_at_a_time();
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

    const NEW_FRAME: &[u8] = br#"{"v":1,"seq":2,"ts":0,"fuel_5h":null,"fuel_7d":0.05,"tach":0,"reset_5h":null,"reset_7d":null,"model":"fable","source":"official","lamps":["WARN_SCOPED","CREDITS"],"source_5h":"none","source_7d":"cached","warn_scoped":["Fable","Opus"],"spend":{"used_usd":62.5,"limit_usd":50.0,"period":"monthly","used_pct":125.0}}"#;

    #[test]
    fn the_new_frame_fields_come_from_the_decoded_frame() {
        let _turn = one_at_a_time();
        // Before any cluster: nothing known.
        with_module(|module| module.cluster = None);
        assert_eq!(frame_source(0), 4);
        assert_eq!(frame_family() & 0xffff_ffff, 0);
        cluster_new(0.0, 5000, 0);
        with_module(|module| module.input[..NEW_FRAME.len()].copy_from_slice(NEW_FRAME));
        assert_eq!(cluster_feed(NEW_FRAME.len() as u32, 3_000_000.0), 0);
        assert_eq!([frame_source(0), frame_source(2)], [3, 1], "none, cached");
        // The packed pointer is wasm32's; on the host only the length survives.
        assert_eq!(frame_family() & 0xffff_ffff, 5);
        assert_eq!(frame_warn_scoped_count(), 2);
        assert_eq!(frame_warn_scoped(1) & 0xffff_ffff, 4);
        assert_eq!(frame_warn_scoped(9) & 0xffff_ffff, 0);
        assert_eq!(frame_has_spend(), 1);
        assert_eq!(
            [
                frame_spend_used_usd(),
                frame_spend_limit_usd(),
                frame_spend_used_pct()
            ],
            [62.5, 50.0, 125.0]
        );
        assert_eq!(frame_spend_period() & 0xffff_ffff, 7);
        assert_eq!(model_lamp_in_use(), 1, "fable lights the second model lamp");
        assert_eq!(model_lamps_on_bits(3_000_000.0), 0b010);
        assert_eq!(model_lamp_is_caution(1, 3_000_000.0), 0);
        assert_eq!(lamp_count(), 10);
        let credits = 9;
        assert_eq!(lamp_name_len(credits), 7);
        assert_eq!(
            lamp_pattern(credits, 3_000_000.0),
            2,
            "CREDITS flashes slowly"
        );
        // The 5-hour needle is parked: no 5-hour window on this plan.
        cluster_advance(4_000_000.0);
        assert_eq!(needle_goal_steps(0), 0);
        assert_eq!(needle_goal_steps(2), 15 + 41);
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
