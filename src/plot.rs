//! Pictures: a 2-D map of an embedding coloured by label, and the singular
//! value spectrum, drawn with `plotters` as PNG or SVG bytes (the caller
//! writes them, e.g. through [`crate::output::Batch::add_bytes`]). PNG text uses
//! a bundled subset of DejaVu Sans, so no system font is needed.

use crate::error::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::sync::Once;

/// Picture file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageFormat {
    /// Portable Network Graphics (RGB).
    Png,
    /// Scalable Vector Graphics.
    Svg,
    /// A self-contained HTML page to explore the map ([`crate::explorer`]).
    Html,
}

impl ImageFormat {
    /// The format a file name asks for (`.png` or `.svg`, any case).
    pub fn from_path(path: &std::path::Path) -> Option<ImageFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "png" => Some(ImageFormat::Png),
            "svg" => Some(ImageFormat::Svg),
            "html" | "htm" => Some(ImageFormat::Html),
            _ => None,
        }
    }
}

/// Tableau 10: distinct at a glance and for common colour blindness.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(127, 127, 127),
];
const GREY: RGBColor = RGBColor(200, 200, 200);

/// The palette as CSS colours (`#rrggbb`), for the HTML explorer.
pub(crate) fn palette_hex() -> Vec<String> {
    PALETTE.iter().map(|c| format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)).collect()
}
const FONT: &str = "sans-serif";

/// Colour groups of a map: a group (or none) per point, and the legend.
#[derive(Clone, Debug, Default)]
pub struct Groups {
    /// Group of each point (index into `names`), `None`: drawn grey.
    pub of: Vec<Option<usize>>,
    /// Legend entries.
    pub names: Vec<String>,
    /// Legend entry of the grey points (e.g. "other labels"), if any.
    pub grey: Option<String>,
}

impl Groups {
    /// Groups from each point's labels (several per point allowed): the
    /// `max` most frequent labels get colours (all of them when there are
    /// at most `max`); a point with several shown labels takes its rarest,
    /// so small classes stay visible; other points are grey.
    pub fn from_labels(point_labels: &[Vec<String>], max: usize) -> Groups {
        let mut count: std::collections::HashMap<&str, usize> = Default::default();
        for l in point_labels.iter().flatten() {
            *count.entry(l).or_default() += 1;
        }
        let mut ranked: Vec<(&str, usize)> = count.into_iter().collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let shown = if ranked.len() <= max { ranked.len() } else { max.saturating_sub(1) };
        let rank: std::collections::HashMap<&str, usize> =
            ranked.iter().take(shown).enumerate().map(|(i, (l, _))| (*l, i)).collect();
        let of: Vec<Option<usize>> =
            point_labels.iter().map(|ls| ls.iter().filter_map(|l| rank.get(l.as_str()).copied()).max()).collect();
        let mut sizes = vec![0usize; shown];
        of.iter().flatten().for_each(|&g| sizes[g] += 1);
        let names = ranked.iter().take(shown).zip(&sizes).map(|((l, _), n)| format!("{l} ({n})")).collect();
        let unlabelled = point_labels.iter().filter(|l| l.is_empty()).count();
        let others = of.iter().filter(|g| g.is_none()).count() - unlabelled;
        let grey = match (others, unlabelled) {
            (0, 0) => None,
            (0, u) => Some(format!("unlabelled ({u})")),
            (o, 0) => Some(format!("{} other labels ({o})", ranked.len() - shown)),
            (o, u) => Some(format!("other or none ({})", o + u)),
        };
        Groups { of, names, grey }
    }
}

/// What to draw on a map.
#[derive(Clone, Debug)]
pub struct MapPicture<'a> {
    /// Coordinates of the points.
    pub points: &'a [[f32; 2]],
    /// Colours and legend (empty `of`: one colour, no legend).
    pub groups: &'a Groups,
    /// Point labels written beside the points (small maps, e.g. karate).
    pub annotate: Option<&'a [String]>,
    /// The caption.
    pub title: String,
    /// Width and height in pixels.
    pub size: (u32, u32),
}

/// Draw a map (see [`MapPicture`]): one filled circle per point, grey
/// first, then groups from largest to smallest so that small ones stay on
/// top; the legend is drawn with squares.
///
/// # Errors
/// [`Error::Numerical`] for a drawing failure.
pub fn map(picture: &MapPicture, format: ImageFormat) -> Result<Vec<u8>> {
    let p = picture;
    if p.points.is_empty() || (!p.groups.of.is_empty() && p.groups.of.len() != p.points.len()) {
        return Err(Error::invalid("points", "one group per point, at least one point"));
    }
    render(format, p.size, &Picture::Map(picture))
}

/// The spectrum: singular values σ₁ ≥ σ₂ ≥ … against their rank, with the
/// share of σ₁ that the last one keeps in the caption. A curve still falling
/// steeply at the last rank says a larger dimension would keep more.
///
/// # Errors
/// [`Error::InvalidConfig`] for no values, [`Error::Numerical`] for a
/// drawing failure.
pub fn spectrum(values: &[f64], title: &str, size: (u32, u32), format: ImageFormat) -> Result<Vec<u8>> {
    if values.is_empty() || values.iter().any(|v| !v.is_finite()) {
        return Err(Error::invalid("singular values", "need at least one finite value"));
    }
    render(format, size, &Picture::Spectrum { values, title })
}

enum Picture<'a> {
    Map(&'a MapPicture<'a>),
    Spectrum { values: &'a [f64], title: &'a str },
}

fn draw_map<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, p: &MapPicture) -> Result<()> {
    let (lo, hi) = bounds(p.points);
    // A quarter of the width (140 to 320 pixels), at most half of it.
    let legend_width = if p.groups.names.is_empty() { 0 } else { (p.size.0 / 4).clamp(140, 320).min(p.size.0 / 2) };
    let (plot_area, legend_area) = root.split_horizontally(p.size.0 - legend_width);
    let mut chart = ChartBuilder::on(&plot_area)
        .caption(&p.title, (FONT, 20))
        .margin(12)
        .build_cartesian_2d(lo[0]..hi[0], lo[1]..hi[1])
        .map_err(draw_err)?;
    let n = p.points.len();
    let radius = if n <= 100 {
        7.0
    } else if n <= 2_000 {
        3.5
    } else if n <= 20_000 {
        2.0
    } else {
        1.2
    };
    let colour = |g: Option<usize>| g.map_or(GREY, |g| PALETTE[g % PALETTE.len()]);
    let mut order: Vec<usize> = (0..n).collect();
    if !p.groups.of.is_empty() {
        // Grey first, then by group from largest (group 0) to smallest.
        order.sort_by_key(|&i| p.groups.of[i].map_or(0, |g| g + 1));
    }
    let group = |i: usize| if p.groups.of.is_empty() { Some(0) } else { p.groups.of[i] };
    chart
        .draw_series(order.iter().map(|&i| {
            let [x, y] = p.points[i];
            Circle::new((x, y), radius, colour(group(i)).mix(0.85).filled())
        }))
        .map_err(draw_err)?;
    if let Some(names) = p.annotate {
        chart
            .draw_series(p.points.iter().zip(names).map(|(&[x, y], l)| {
                let font = (FONT, 13).into_font().color(&BLACK.mix(0.75));
                EmptyElement::at((x, y)) + Text::new(l.clone(), (radius as i32 + 2, -(radius as i32) - 6), font)
            }))
            .map_err(draw_err)?;
    }
    if legend_width > 0 {
        let entries: Vec<(String, RGBColor)> = p
            .groups
            .names
            .iter()
            .enumerate()
            .map(|(g, name)| (name.clone(), colour(Some(g))))
            .chain(p.groups.grey.iter().map(|g| (g.clone(), GREY)))
            .collect();
        for (row, (name, c)) in entries.iter().enumerate() {
            let y = 48 + 24 * row as i32;
            legend_area.draw(&Rectangle::new([(8, y), (22, y + 14)], c.filled())).map_err(draw_err)?;
            legend_area.draw(&Text::new(name.clone(), (30, y), (FONT, 15))).map_err(draw_err)?;
        }
    }
    Ok(())
}

fn draw_spectrum<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, values: &[f64], title: &str) -> Result<()> {
    let top = values.iter().cloned().fold(0.0, f64::max).max(1e-300);
    let k = values.len();
    let caption = format!("{title}: σ{k}/σ1 = {:.3}", values[k - 1] / top);
    let mut chart = ChartBuilder::on(root)
        .caption(caption, (FONT, 20))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0.5f64..k as f64 + 0.5, 0f64..top * 1.05)
        .map_err(draw_err)?;
    chart
        .configure_mesh()
        .x_desc("rank")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| if top >= 10.0 { format!("{y:.0}") } else { format!("{y:.3}") })
        .max_light_lines(2)
        .y_desc("singular value")
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .draw()
        .map_err(draw_err)?;
    let line = values.iter().enumerate().map(|(i, &v)| ((i + 1) as f64, v));
    chart.draw_series(LineSeries::new(line.clone(), PALETTE[0].stroke_width(2))).map_err(draw_err)?;
    chart.draw_series(line.map(|(x, y)| Circle::new((x, y), 3, PALETTE[0].filled()))).map_err(draw_err)?;
    Ok(())
}

/// Lower and upper corners of the points, padded by 4 %.
fn bounds(points: &[[f32; 2]]) -> ([f32; 2], [f32; 2]) {
    let mut lo = [f32::INFINITY; 2];
    let mut hi = [f32::NEG_INFINITY; 2];
    for p in points {
        for a in 0..2 {
            lo[a] = lo[a].min(p[a]);
            hi[a] = hi[a].max(p[a]);
        }
    }
    for a in 0..2 {
        let pad = ((hi[a] - lo[a]) * 0.04).max(1e-6);
        lo[a] -= pad;
        hi[a] += pad;
    }
    (lo, hi)
}

fn draw_err(e: impl std::fmt::Display) -> Error {
    Error::Numerical(format!("drawing failed: {e}"))
}

/// Draw `picture` on a white canvas of `size`, then encode.
fn render(format: ImageFormat, size: (u32, u32), picture: &Picture) -> Result<Vec<u8>> {
    register_font();
    if !(64..=8192).contains(&size.0) || !(64..=8192).contains(&size.1) {
        return Err(Error::invalid("size", "width and height must be in 64..=8192 pixels"));
    }
    fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, picture: &Picture) -> Result<()> {
        root.fill(&WHITE).map_err(draw_err)?;
        match picture {
            Picture::Map(p) => draw_map(&root, p)?,
            Picture::Spectrum { values, title } => draw_spectrum(&root, values, title)?,
        }
        root.present().map_err(draw_err)
    }
    match format {
        ImageFormat::Html => Err(Error::InvalidConfig {
            param: "format",
            reason: "an HTML page is made by explorer::page, not drawn as a picture".into(),
        }),
        ImageFormat::Svg => {
            let mut svg = String::new();
            draw(SVGBackend::with_string(&mut svg, size).into_drawing_area(), picture)?;
            Ok(svg.into_bytes())
        }
        ImageFormat::Png => {
            let mut rgb = vec![255u8; size.0 as usize * size.1 as usize * 3];
            draw(BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area(), picture)?;
            let mut out = Vec::new();
            let mut encoder = png::Encoder::new(&mut out, size.0, size.1);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder.write_header().map_err(draw_err)?;
            writer.write_image_data(&rgb).map_err(draw_err)?;
            writer.finish().map_err(draw_err)?;
            Ok(out)
        }
    }
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let bytes: &'static [u8] = include_bytes!("../assets/fonts/DejaVuSans-subset.ttf");
        // The font is bundled and known to parse; a failure leaves text undrawn.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, bytes);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(n: usize) -> Vec<[f32; 2]> {
        (0..n).map(|i| [(i as f32 * 0.7).sin() * i as f32, (i as f32 * 0.7).cos() * i as f32]).collect()
    }

    #[test]
    fn an_svg_map_has_one_circle_per_point_and_a_square_per_legend_entry() {
        let pts = points(50);
        let labels: Vec<Vec<String>> =
            (0..50).map(|i| if i % 10 == 9 { vec![] } else { vec![format!("c{}", i % 3)] }).collect();
        let groups = Groups::from_labels(&labels, 10);
        assert_eq!(groups.names.len(), 3);
        assert_eq!(groups.grey.as_deref(), Some("unlabelled (5)"));
        let pic = MapPicture { points: &pts, groups: &groups, annotate: None, title: "t".into(), size: (640, 480) };
        let svg = String::from_utf8(map(&pic, ImageFormat::Svg).unwrap()).unwrap();
        assert!(svg.contains(r#"width="640""#) && svg.contains(r#"height="480""#));
        assert_eq!(svg.matches("<circle").count(), 50);
        // The white background and four legend squares.
        assert_eq!(svg.matches("<rect").count(), 5);
        assert!(svg.contains("c0 (") && svg.contains("unlabelled (5)"));
    }

    #[test]
    fn a_narrow_picture_with_a_legend_still_draws() {
        let pts = points(20);
        let labels: Vec<Vec<String>> = (0..20).map(|i| vec![format!("c{}", i % 2)]).collect();
        let groups = Groups::from_labels(&labels, 10);
        let pic = MapPicture { points: &pts, groups: &groups, annotate: None, title: "t".into(), size: (64, 64) };
        let svg = String::from_utf8(map(&pic, ImageFormat::Svg).unwrap()).unwrap();
        assert_eq!(svg.matches("<circle").count(), 20);
        assert!(map(&MapPicture { size: (63, 64), ..pic }, ImageFormat::Png).is_err());
    }

    #[test]
    fn a_png_decodes_to_the_requested_size_and_is_not_blank() {
        let pts = points(200);
        let pic = MapPicture {
            points: &pts,
            groups: &Groups::default(),
            annotate: None,
            title: "t".into(),
            size: (300, 200),
        };
        for bytes in [
            map(&pic, ImageFormat::Png).unwrap(),
            spectrum(&[5.0, 3.0, 1.0], "s", (300, 200), ImageFormat::Png).unwrap(),
        ] {
            let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
            let mut reader = decoder.read_info().unwrap();
            let mut buf = vec![0; reader.output_buffer_size()];
            let info = reader.next_frame(&mut buf).unwrap();
            assert_eq!((info.width, info.height), (300, 200));
            let coloured = buf.chunks(3).filter(|p| p[0] != p[1] || p[1] != p[2]).count();
            assert!(coloured > 100, "only {coloured} coloured pixels");
        }
    }

    #[test]
    fn many_labels_keep_the_most_frequent_and_points_take_their_rarest_shown_label() {
        let mut labels: Vec<Vec<String>> = Vec::new();
        for i in 0..100 {
            labels.push(vec![format!("l{}", i % 12), "common".into()]);
        }
        let g = Groups::from_labels(&labels, 4);
        assert_eq!(g.names.len(), 3);
        assert!(g.names[0].starts_with("common"));
        // Points whose own label is shown take it; the others fall back to `common`.
        let shown = g.of.iter().filter(|x| **x != Some(0)).count();
        assert!(shown > 0 && g.of.iter().all(|x| x.is_some()));
        assert!(spectrum(&[], "s", (300, 200), ImageFormat::Svg).is_err());
        assert_eq!(ImageFormat::from_path("a/B.SVG".as_ref()), Some(ImageFormat::Svg));
        assert_eq!(ImageFormat::from_path("a.jpg".as_ref()), None);
    }
}
