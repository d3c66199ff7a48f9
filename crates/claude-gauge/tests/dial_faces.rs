//! `claude-gauge dial-faces`: the printed faces are true size and every labelled tick sits where
//! gauge-core points the needle for its value; the web page draws the same faces (same ticks at
//! the same angles), from the same generator.

use std::path::Path;
use std::time::Duration;

use gauge_core::{fuel_scale_bp, ClusterConfig, Gauge, TachScale};
use serde_json::Value;

use crate::cdp::{chromium_or_skip, Browser};
use crate::util::{Daemon, TestDirs};

const FILES: [(Gauge, &str); 3] = [
    (Gauge::Fuel5h, "fuel-5h.svg"),
    (Gauge::Tach, "tach.svg"),
    (Gauge::Fuel7d, "fuel-7d.svg"),
];

/// Runs `dial-faces` into `out` with `args`; its stdout.
fn dial_faces(out: &Path, args: &[&str]) -> String {
    let output = crate::util::bin()
        .args(["dial-faces", "--out", out.to_str().unwrap()])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The value a printed figure stands for, read from its text alone, as a scale position:
/// E/¼/½/¾/F on a fuel dial, thousands of tokens per minute on the tach.
fn figure_bp(gauge: Gauge, text: &str) -> u16 {
    let fraction = match text {
        "E" => Some(0.0),
        "¼" => Some(0.25),
        "½" => Some(0.5),
        "¾" => Some(0.75),
        "F" => Some(1.0),
        _ => None,
    };
    match (gauge, fraction) {
        (Gauge::Tach, None) => {
            let thousands: u32 = text
                .parse()
                .unwrap_or_else(|_| panic!("tach figure {text:?}"));
            TachScale::default().scale_bp(thousands * 1000)
        }
        (Gauge::Fuel5h | Gauge::Fuel7d, Some(fraction)) => fuel_scale_bp(Some(fraction)).unwrap(),
        _ => panic!("{gauge:?} prints {text:?}"),
    }
}

/// gauge-core's needle angle at `scale_bp` of `gauge`, degrees clockwise from 12 o'clock.
fn core_angle(gauge: Gauge, scale_bp: u16) -> f64 {
    let config = ClusterConfig::default();
    let steps = config.dial(gauge).position_steps(scale_bp);
    f64::from(config.needle_angle_deg(gauge, steps as f32))
}

/// Degrees clockwise from 12 o'clock of (x, y) around (c, c).
fn angle_of(c: f64, x: f64, y: f64) -> f64 {
    (x - c).atan2(c - y).to_degrees()
}

/// What a face shows, in the same shape for a file and for the page: its centre, each tick
/// (angle of both ends, long or not) and each figure (text, angle).
#[derive(Debug)]
struct Face {
    ticks: Vec<(f64, f64, bool)>,
    figures: Vec<(String, f64)>,
}

fn num(node: roxmltree::Node<'_, '_>, name: &str) -> f64 {
    node.attribute(name).unwrap().parse().unwrap()
}

/// Parses a face file; checks it is `diameter_mm` across in millimetres.
fn parse_face(svg: &str, diameter_mm: f64) -> (Face, roxmltree::Document<'_>) {
    let doc = roxmltree::Document::parse(svg).unwrap();
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let size = format!("{diameter_mm}mm");
    assert_eq!(root.attribute("width"), Some(size.as_str()));
    assert_eq!(root.attribute("height"), Some(size.as_str()));
    assert_eq!(
        root.attribute("viewBox"),
        Some(format!("0 0 {diameter_mm} {diameter_mm}").as_str())
    );
    let c = diameter_mm / 2.0;
    let class = |n: &roxmltree::Node<'_, '_>| n.attribute("class").unwrap_or("").to_string();
    let ticks = doc
        .descendants()
        .filter(|n| class(n).starts_with("tick"))
        .map(|n| {
            (
                angle_of(c, num(n, "x1"), num(n, "y1")),
                angle_of(c, num(n, "x2"), num(n, "y2")),
                class(&n) == "tick major",
            )
        })
        .collect();
    let figures = doc
        .descendants()
        .filter(|n| class(n) == "label")
        .map(|n| {
            let text = n.text().unwrap().to_string();
            (text, angle_of(c, num(n, "x"), num(n, "y")))
        })
        .collect();
    let face = Face { ticks, figures };
    (face, doc)
}

/// Every figure of `face` is on a long tick at gauge-core's angle for the figure's value.
fn assert_figures_on_their_ticks(gauge: Gauge, face: &Face) {
    assert_eq!(face.figures.len(), gauge.face().labels().len(), "{face:?}");
    assert_eq!(
        face.ticks.len(),
        usize::from(gauge.face().tick_intervals()) + 1
    );
    for (text, figure_angle) in &face.figures {
        let expected = core_angle(gauge, figure_bp(gauge, text));
        assert!(
            (figure_angle - expected).abs() < 0.01,
            "{gauge:?} figure {text}: {figure_angle}° != {expected}°"
        );
        let tick = face.ticks.iter().find(|(outer, inner, major)| {
            *major && (outer - expected).abs() < 0.01 && (inner - expected).abs() < 0.01
        });
        assert!(
            tick.is_some(),
            "{gauge:?}: no long tick at {expected}° for {text}: {:?}",
            face.ticks
        );
    }
}

#[test]
fn dial_faces_writes_three_true_size_faces_and_the_panel_with_ticks_at_gauge_core_angles() {
    let dirs = TestDirs::new();
    let out = dirs.root.path().join("faces");
    let stdout = dial_faces(&out, &["--diameter-mm", "60"]);
    for (gauge, file) in FILES {
        assert!(stdout.contains(file), "{stdout}");
        let svg = std::fs::read_to_string(out.join(file)).unwrap();
        let (face, doc) = parse_face(&svg, 60.0);
        assert_figures_on_their_ticks(gauge, &face);
        let config = ClusterConfig::default();
        let zone = doc
            .descendants()
            .find(|n| n.attribute("class").is_some_and(|c| c.starts_with("zone ")))
            .unwrap();
        let is_red = zone.attribute("class") == Some("zone redline");
        assert_eq!(is_red, gauge == Gauge::Tach, "{gauge:?}");
        // The zone's arc: M x1 y1 A r r 0 large 1 x2 y2, from its first to its last value.
        let d: Vec<f64> = zone
            .attribute("d")
            .unwrap()
            .split(' ')
            .filter_map(|part| part.parse().ok())
            .collect();
        let face_zone = gauge.face().zone();
        let (from, to) = (angle_of(30.0, d[0], d[1]), angle_of(30.0, d[7], d[8]));
        assert!(
            (from - core_angle(gauge, face_zone.from_bp)).abs() < 0.01,
            "{from}"
        );
        assert!(
            (to - core_angle(gauge, face_zone.to_bp)).abs() < 0.01,
            "{to}"
        );
        let park = doc
            .descendants()
            .find(|n| n.attribute("class") == Some("park"));
        if gauge == Gauge::Tach {
            assert!(park.is_none());
        } else {
            // The parking mark of an unknown fuel, below E, where gauge-core parks the needle.
            let park = park.unwrap();
            let at = angle_of(30.0, num(park, "cx"), num(park, "cy"));
            let steps = config.dial(gauge).park_steps();
            let parked = f64::from(config.needle_angle_deg(gauge, f32::from(steps)));
            assert!((at - parked).abs() < 0.01, "{at} != {parked}");
            assert!(at < core_angle(gauge, 0) - 4.0, "{at}° is not below E");
        }
        // The shaft hole: Ø 4 mm at the centre.
        let shaft = doc
            .descendants()
            .find(|n| {
                n.has_tag_name("circle") && n.parent().unwrap().attribute("class") == Some("shaft")
            })
            .unwrap();
        assert_eq!(
            (num(shaft, "cx"), num(shaft, "cy"), num(shaft, "r")),
            (30.0, 30.0, 2.0)
        );
    }

    let panel = std::fs::read_to_string(out.join("panel.svg")).unwrap();
    let doc = roxmltree::Document::parse(&panel).unwrap();
    let root = doc.root_element();
    let width: f64 = root
        .attribute("width")
        .unwrap()
        .strip_suffix("mm")
        .unwrap()
        .parse()
        .unwrap();
    let height: f64 = root
        .attribute("height")
        .unwrap()
        .strip_suffix("mm")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        root.attribute("viewBox"),
        Some(format!("0 0 {width} {height}").as_str())
    );
    let windows: Vec<_> = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("dial-window"))
        .collect();
    assert_eq!(windows.len(), 3);
    // 60 mm faces are 66 mm apart (at least 6 mm between them), seen through 58 mm windows.
    assert_eq!(num(windows[1], "cx") - num(windows[0], "cx"), 66.0);
    assert_eq!(num(windows[2], "cx") - num(windows[1], "cx"), 66.0);
    assert_eq!(num(windows[0], "r"), 29.0);
    assert!(width >= 2.0 * 66.0 + 60.0, "{width}");
    let lamps: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("data-lamp"))
        .collect();
    assert_eq!(
        lamps,
        [
            "HOT",
            "WARN_5H",
            "WARN_7D",
            "LIMIT",
            "STALL",
            "IDLE",
            "WARN_OPUS",
            "WARN_SONNET",
            "WARN_SCOPED",
            "CREDITS"
        ],
        "a window for every lamp the frame can light (gauge_core::Lamp::ALL)"
    );
}

#[test]
fn dial_faces_rejects_a_bad_diameter_and_an_unwritable_dir_with_one_line() {
    let dirs = TestDirs::new();
    let output = crate::util::bin()
        .args(["dial-faces", "--out", "x", "--diameter-mm", "5"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("use a diameter in millimetres from 30 to 200, e.g. 56"),
        "{stderr}"
    );
    let file = dirs.root.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let output = crate::util::bin()
        .args(["dial-faces", "--out", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("pass a writable --out DIR"), "{stderr}");
}

/// Each gauge's face on the page: the SVG coordinates of its ticks and figures.
const PAGE_FACES: &str = r#"JSON.stringify(['5h', 'tach', '7d'].map((id) => {
  const svg = document.querySelector(`#gauge-${id} svg`);
  const num = (n, a) => Number(n.getAttribute(a));
  return {
    viewBox: svg.getAttribute('viewBox'),
    ticks: [...svg.querySelectorAll('line')].map((n) => ({
      x1: num(n, 'x1'), y1: num(n, 'y1'), x2: num(n, 'x2'), y2: num(n, 'y2'),
      major: n.getAttribute('class') === 'tick major' })),
    figures: [...svg.querySelectorAll('text.label')].map((n) => ({
      text: n.textContent, x: num(n, 'x'), y: num(n, 'y') })),
    zone: getComputedStyle(svg.querySelector('.zone')).stroke,
    tick_colour: getComputedStyle(svg.querySelector('.tick')).stroke,
  };
}))"#;

/// The page's dials are the generator's: the same ticks and figures at the same angles as the
/// printed faces, every figure at gauge-core's angle for its value, and no tick of the page's
/// own (as many lines as the printed face has ticks).
#[tokio::test]
async fn the_page_draws_its_dials_from_the_same_generator_as_the_printed_faces() {
    let Some(chromium) = chromium_or_skip("web page dial faces") else {
        return;
    };
    let daemon = Daemon::start();
    let mut browser = Browser::launch(&chromium, 1200, 720).await;
    browser.navigate(&daemon.url("/?boot_sweep=0")).await;
    let ready = browser
        .wait_for(
            "!!(document.body && (document.body.dataset.ready === '1' || document.body.dataset.error))",
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(ready, true, "the page did not start");
    let error = browser.eval("document.body.dataset.error || null").await;
    assert_eq!(error, Value::Null, "the page failed");
    let raw = browser.eval(PAGE_FACES).await;
    let page: Value = serde_json::from_str(raw.as_str().unwrap()).unwrap();

    let out = daemon.dirs.root.path().join("faces");
    dial_faces(&out, &[]);
    for (gauge, file) in FILES {
        let shown = &page[gauge.index()];
        assert_eq!(shown["viewBox"], "0 0 200 200", "{shown}");
        let angle =
            |x: &Value, y: &Value| angle_of(100.0, x.as_f64().unwrap(), y.as_f64().unwrap());
        let page_face = Face {
            ticks: shown["ticks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    (
                        angle(&t["x1"], &t["y1"]),
                        angle(&t["x2"], &t["y2"]),
                        t["major"] == true,
                    )
                })
                .collect(),
            figures: shown["figures"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f["text"].as_str().unwrap().to_string(),
                        angle(&f["x"], &f["y"]),
                    )
                })
                .collect(),
        };
        assert_figures_on_their_ticks(gauge, &page_face);
        let svg = std::fs::read_to_string(out.join(file)).unwrap();
        let (printed, _) = parse_face(&svg, 56.0);
        assert_eq!(page_face.ticks.len(), printed.ticks.len(), "{gauge:?}");
        for (on_page, on_paper) in page_face.ticks.iter().zip(&printed.ticks) {
            assert!(
                (on_page.0 - on_paper.0).abs() < 0.01 && (on_page.1 - on_paper.1).abs() < 0.01,
                "{gauge:?}: page tick {on_page:?} != printed {on_paper:?}"
            );
            assert_eq!(on_page.2, on_paper.2);
        }
        for (on_page, on_paper) in page_face.figures.iter().zip(&printed.figures) {
            assert_eq!(on_page.0, on_paper.0);
            assert!(
                (on_page.1 - on_paper.1).abs() < 0.01,
                "{on_page:?} != {on_paper:?}"
            );
        }
        // The printed colours, not a stylesheet's: white ticks, an amber reserve, a red redline.
        assert_eq!(shown["tick_colour"], "rgb(244, 245, 240)", "{shown}");
        let zone = if gauge == Gauge::Tach {
            "rgb(232, 32, 42)"
        } else {
            "rgb(255, 176, 0)"
        };
        assert_eq!(shown["zone"], zone, "{shown}");
    }
    browser
        .screenshot(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../build/web-dial-faces.png"))
        .await;
}
