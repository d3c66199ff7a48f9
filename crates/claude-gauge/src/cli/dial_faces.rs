//! `claude-gauge dial-faces`: writes the three printable dial faces and the front panel as SVG
//! at true size, from gauge-core's generator (`write_face_svg`, `write_panel_svg`), the one the
//! web page draws its dials with. How to print and fit them: `docs/dial-faces.md`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use gauge_core::{
    face_file_stem, write_face_svg, write_panel_svg, ClusterConfig, FaceLayout, Gauge,
    DIAL_DIAMETER_MM, DIAL_DIAMETER_RANGE_MM,
};

/// Flags of `dial-faces`.
#[derive(Debug, Args)]
pub(crate) struct DialFacesArgs {
    /// Directory to write fuel-5h.svg, tach.svg, fuel-7d.svg and panel.svg into (made when
    /// missing; files of those names are replaced).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Face diameter in millimetres, 30 to 200 (default 56).
    #[arg(long, value_name = "N", value_parser = diameter_mm)]
    diameter_mm: Option<f32>,
}

/// A face diameter flag: millimetres in [`DIAL_DIAMETER_RANGE_MM`], with the fix when it is not.
fn diameter_mm(text: &str) -> Result<f32, String> {
    let (min, max) = DIAL_DIAMETER_RANGE_MM;
    match text.parse::<f32>() {
        Ok(mm) if (min..=max).contains(&mm) => Ok(mm),
        _ => Err(format!(
            "use a diameter in millimetres from {min} to {max}, e.g. {DIAL_DIAMETER_MM}"
        )),
    }
}

/// Writes the faces and the panel into `args.out`, one line per file on `out`.
pub(super) fn run(args: &DialFacesArgs, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let layout =
        FaceLayout::default().with_diameter_mm(args.diameter_mm.unwrap_or(DIAL_DIAMETER_MM));
    std::fs::create_dir_all(&args.out).with_context(|| {
        format!(
            "cannot create {}; pass a writable --out DIR",
            args.out.display()
        )
    })?;
    // The default dials: what the firmware, `sim` and the web page run.
    let config = ClusterConfig::default();
    for gauge in Gauge::ALL {
        let mut svg = String::new();
        write_face_svg(&mut svg, &config, gauge, &layout)?;
        let path = save(&args.out, face_file_stem(gauge), &svg)?;
        let diameter = layout.diameter_mm();
        writeln!(out, "wrote {} ({diameter} mm face)", path.display())?;
    }
    let mut svg = String::new();
    write_panel_svg(&mut svg, &layout)?;
    let path = save(&args.out, "panel", &svg)?;
    writeln!(out, "wrote {} (front panel)", path.display())?;
    writeln!(out, "print at 100 % (actual size): docs/dial-faces.md")?;
    Ok(ExitCode::SUCCESS)
}

fn save(dir: &Path, stem: &str, svg: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join(format!("{stem}.svg"));
    std::fs::write(&path, svg).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}
