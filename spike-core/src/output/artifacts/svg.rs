//! A small inline-SVG chart writer: line and stacked-bar charts with axes,
//! background bands, markers and a legend. No scripts, no external
//! resources: the page that holds the SVG renders offline.

use std::fmt::Write as _;

/// Escape text for HTML/SVG content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// How a y (or x) axis maps values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Scale {
    Linear,
    /// Base-10 logarithmic; values ≤ 0 are clamped to the axis minimum.
    Log,
    /// HdrHistogram's percentile axis: x = log10(1 / (1 − q)), ticks at
    /// 0%, 90%, 99%, 99.9%, ...
    Percentile,
}

pub(crate) struct Series {
    pub(crate) name: String,
    pub(crate) color: &'static str,
    pub(crate) points: Vec<(f64, f64)>,
    pub(crate) dashed: bool,
    /// Draw as steps (value holds until the next point), as window metrics are.
    pub(crate) step: bool,
}

pub(crate) struct Band {
    pub(crate) from: f64,
    pub(crate) to: f64,
    pub(crate) label: String,
    pub(crate) color: &'static str,
}

pub(crate) struct Marker {
    pub(crate) x: f64,
    pub(crate) label: String,
    pub(crate) color: &'static str,
}

pub(crate) struct HLine {
    pub(crate) y: f64,
    pub(crate) label: String,
    pub(crate) color: &'static str,
}

pub(crate) struct Bars {
    pub(crate) name: String,
    pub(crate) color: &'static str,
    /// (x from, x to, height)
    pub(crate) bars: Vec<(f64, f64, f64)>,
}

pub(crate) struct Chart {
    pub(crate) id: &'static str,
    pub(crate) title: String,
    pub(crate) x_label: String,
    pub(crate) y_label: String,
    pub(crate) x_scale: Scale,
    pub(crate) y_scale: Scale,
    pub(crate) x_range: (f64, f64),
    pub(crate) bands: Vec<Band>,
    /// Intervals where a fault was active, shaded over the phase bands.
    pub(crate) faults: Vec<Band>,
    pub(crate) series: Vec<Series>,
    /// Stacked in order.
    pub(crate) stacked: Vec<Bars>,
    pub(crate) markers: Vec<Marker>,
    pub(crate) hlines: Vec<HLine>,
    pub(crate) y_format: fn(f64) -> String,
    /// Text shown in the plot area when there is nothing to draw.
    pub(crate) empty_note: String,
}

const W: f64 = 1180.0;
const H: f64 = 320.0;
const ML: f64 = 78.0;
const MR: f64 = 20.0;
const MT: f64 = 46.0;
const MB: f64 = 70.0;

fn pw() -> f64 {
    W - ML - MR
}
fn ph() -> f64 {
    H - MT - MB
}

/// Percentile (0..100) to the HdrHistogram x coordinate.
pub(crate) fn percentile_x(p: f64) -> f64 {
    let q = (p / 100.0).clamp(0.0, 1.0 - 1e-9);
    (1.0 / (1.0 - q)).log10()
}

/// Round `v` up to a "nice" number (1, 2, 5 × 10^k).
fn nice_ceil(v: f64) -> f64 {
    if v <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 5.0, 10.0] {
        if v <= m * mag + 1e-12 {
            return m * mag;
        }
    }
    10.0 * mag
}

impl Chart {
    fn y_extent(&self) -> (f64, f64) {
        let mut max: f64 = 0.0;
        let mut min_pos = f64::INFINITY;
        let mut see = |y: f64| {
            if y.is_finite() {
                max = max.max(y);
                if y > 0.0 {
                    min_pos = min_pos.min(y);
                }
            }
        };
        for s in &self.series {
            for &(_, y) in &s.points {
                see(y);
            }
        }
        let n = self.stacked.first().map_or(0, |b| b.bars.len());
        for i in 0..n {
            see(self
                .stacked
                .iter()
                .map(|b| b.bars.get(i).map_or(0.0, |x| x.2))
                .sum());
        }
        for h in &self.hlines {
            see(h.y);
        }
        match self.y_scale {
            Scale::Log => {
                if !min_pos.is_finite() {
                    return (1.0, 10.0);
                }
                let lo = 10f64.powf(min_pos.log10().floor());
                let hi = 10f64.powf(max.log10().ceil()).max(lo * 10.0);
                (lo, hi)
            }
            _ => (0.0, nice_ceil(max * 1.08)),
        }
    }

    fn sx(&self, x: f64) -> f64 {
        let (a, b) = self.x_range;
        let t = if (b - a).abs() < f64::EPSILON {
            0.0
        } else {
            (x - a) / (b - a)
        };
        ML + t.clamp(0.0, 1.0) * pw()
    }

    fn sy(&self, y: f64, (lo, hi): (f64, f64)) -> f64 {
        let t = match self.y_scale {
            Scale::Log => {
                let y = y.max(lo);
                (y.log10() - lo.log10()) / (hi.log10() - lo.log10())
            }
            _ => (y - lo) / (hi - lo),
        };
        MT + ph() - t.clamp(0.0, 1.0) * ph()
    }

    /// The chart as an `<svg>` element.
    pub(crate) fn render(&self) -> String {
        let mut o = String::new();
        let ext = self.y_extent();
        let _ = write!(
            o,
            r#"<svg id="{}" class="chart" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{}">"#,
            self.id,
            esc(&self.title)
        );
        let _ = write!(
            o,
            r##"<rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>"##
        );
        let _ = write!(
            o,
            r#"<text x="{ML}" y="22" class="title">{}</text>"#,
            esc(&self.title)
        );
        // Bands (phases) behind everything.
        for (i, b) in self.bands.iter().enumerate() {
            let (x0, x1) = (self.sx(b.from), self.sx(b.to));
            let _ = write!(
                o,
                r#"<rect class="band" x="{x0:.1}" y="{MT}" width="{:.1}" height="{}" fill="{}" fill-opacity="0.35"/>"#,
                (x1 - x0).max(0.0),
                ph(),
                b.color
            );
            let ty = MT + 12.0 + if i % 2 == 1 { 12.0 } else { 0.0 };
            let _ = write!(
                o,
                r#"<text x="{:.1}" y="{ty}" class="bandlabel">{}</text>"#,
                x0 + 4.0,
                esc(&b.label)
            );
        }
        // Faults: shaded over the phases, labelled at the bottom.
        for (i, b) in self.faults.iter().enumerate() {
            let (x0, x1) = (self.sx(b.from), self.sx(b.to));
            let _ = write!(
                o,
                r#"<rect class="fault" x="{x0:.1}" y="{MT}" width="{:.1}" height="{}" fill="{}" fill-opacity="0.18" stroke="{}" stroke-dasharray="4 3"><title>{}</title></rect>"#,
                (x1 - x0).max(1.0),
                ph(),
                b.color,
                b.color,
                esc(&b.label)
            );
            let ty = MT + ph() - 6.0 - if i % 2 == 1 { 12.0 } else { 0.0 };
            let _ = write!(
                o,
                r#"<text x="{:.1}" y="{ty}" class="faultlabel">{}</text>"#,
                x0 + 4.0,
                esc(&b.label)
            );
        }
        // Y grid and ticks.
        let ticks: Vec<f64> = match self.y_scale {
            Scale::Log => {
                let mut t = Vec::new();
                let mut v = ext.0;
                while v <= ext.1 * 1.0001 {
                    t.push(v);
                    v *= 10.0;
                }
                t
            }
            _ => (0..=5)
                .map(|i| ext.0 + (ext.1 - ext.0) * f64::from(i) / 5.0)
                .collect(),
        };
        for t in ticks {
            let y = self.sy(t, ext);
            let _ = write!(
                o,
                r##"<line x1="{ML}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#dddddd"/><text x="{:.1}" y="{:.1}" class="ytick">{}</text>"##,
                ML + pw(),
                ML - 6.0,
                y + 4.0,
                esc(&(self.y_format)(t))
            );
        }
        // X ticks.
        let (xa, xb) = self.x_range;
        let xticks: Vec<(f64, String)> = match self.x_scale {
            Scale::Percentile => [0.0, 90.0, 99.0, 99.9, 99.99, 99.999, 99.9999]
                .iter()
                .map(|p| (percentile_x(*p), format!("{p}%")))
                .filter(|(x, _)| *x <= xb + 1e-9)
                .collect(),
            _ => {
                let step = nice_ceil((xb - xa) / 10.0);
                let mut v = (xa / step).ceil() * step;
                let mut t = Vec::new();
                while v <= xb + 1e-9 {
                    t.push((v, format!("{}", (v * 1000.0).round() / 1000.0)));
                    v += step;
                }
                t
            }
        };
        for (x, label) in xticks {
            let px = self.sx(x);
            let _ = write!(
                o,
                r##"<line x1="{px:.1}" x2="{px:.1}" y1="{MT}" y2="{:.1}" stroke="#eeeeee"/><text x="{px:.1}" y="{:.1}" class="xtick">{}</text>"##,
                MT + ph(),
                MT + ph() + 16.0,
                esc(&label)
            );
        }
        // Axes.
        let _ = write!(
            o,
            r##"<line x1="{ML}" x2="{ML}" y1="{MT}" y2="{:.1}" stroke="#333333"/><line x1="{ML}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#333333"/>"##,
            MT + ph(),
            ML + pw(),
            MT + ph(),
            MT + ph()
        );
        let _ = write!(
            o,
            r#"<text x="{:.1}" y="{:.1}" class="xlabel">{}</text>"#,
            ML + pw() / 2.0,
            MT + ph() + 36.0,
            esc(&self.x_label)
        );
        let _ = write!(
            o,
            r#"<text transform="translate(16 {:.1}) rotate(-90)" class="ylabel">{}</text>"#,
            MT + ph() / 2.0,
            esc(&self.y_label)
        );
        // Stacked bars.
        let n = self.stacked.first().map_or(0, |b| b.bars.len());
        for i in 0..n {
            let mut base = 0.0;
            for layer in &self.stacked {
                let Some(&(x0, x1, h)) = layer.bars.get(i) else {
                    continue;
                };
                if h <= 0.0 {
                    continue;
                }
                let (px0, px1) = (self.sx(x0), self.sx(x1));
                let (y_top, y_base) = (self.sy(base + h, ext), self.sy(base, ext));
                let _ = write!(
                    o,
                    r#"<rect class="bar" x="{:.1}" y="{y_top:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {h}</title></rect>"#,
                    px0 + 0.5,
                    (px1 - px0 - 1.0).max(0.5),
                    (y_base - y_top).max(0.0),
                    layer.color,
                    esc(&layer.name)
                );
                base += h;
            }
        }
        // Lines.
        for s in &self.series {
            if s.points.is_empty() {
                continue;
            }
            let mut d = String::new();
            let mut prev: Option<(f64, f64)> = None;
            for &(x, y) in &s.points {
                let (px, py) = (self.sx(x), self.sy(y, ext));
                match prev {
                    None => {
                        let _ = write!(d, "M{px:.1},{py:.1}");
                    }
                    Some((_, pprev)) if s.step => {
                        let _ = write!(d, " L{px:.1},{pprev:.1} L{px:.1},{py:.1}");
                    }
                    Some(_) => {
                        let _ = write!(d, " L{px:.1},{py:.1}");
                    }
                }
                prev = Some((px, py));
            }
            let _ = write!(
                o,
                r#"<path class="series" d="{d}" fill="none" stroke="{}" stroke-width="2"{}><title>{}</title></path>"#,
                s.color,
                if s.dashed {
                    r#" stroke-dasharray="6 4""#
                } else {
                    ""
                },
                esc(&s.name)
            );
        }
        // Horizontal reference lines.
        for h in &self.hlines {
            let y = self.sy(h.y, ext);
            let _ = write!(
                o,
                r#"<line class="hline" x1="{ML}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="{}" stroke-dasharray="3 3"/><text x="{:.1}" y="{:.1}" class="hlabel" fill="{}">{}</text>"#,
                ML + pw(),
                h.color,
                ML + pw() - 4.0,
                y - 4.0,
                h.color,
                esc(&h.label)
            );
        }
        // Vertical markers.
        for (i, m) in self.markers.iter().enumerate() {
            let x = self.sx(m.x);
            // Labels near the right edge go to the left of their line.
            let (tx, anchor) = if x > ML + pw() * 0.8 {
                (x - 4.0, "end")
            } else {
                (x + 4.0, "start")
            };
            let _ = write!(
                o,
                r#"<line class="marker" x1="{x:.1}" x2="{x:.1}" y1="{MT}" y2="{:.1}" stroke="{}" stroke-width="2"/><text x="{tx:.1}" y="{:.1}" class="mlabel" text-anchor="{anchor}" fill="{}">{}</text>"#,
                MT + ph(),
                m.color,
                MT + ph() - 8.0 - 14.0 * i as f64,
                m.color,
                esc(&m.label)
            );
        }
        if self.series.iter().all(|s| s.points.is_empty())
            && self
                .stacked
                .iter()
                .all(|b| b.bars.iter().all(|x| x.2 <= 0.0))
        {
            let _ = write!(
                o,
                r#"<text x="{:.1}" y="{:.1}" class="empty">{}</text>"#,
                ML + pw() / 2.0,
                MT + ph() / 2.0,
                esc(&self.empty_note)
            );
        }
        // Legend.
        let mut lx = ML;
        let ly = H - 14.0;
        let entries = self
            .series
            .iter()
            .map(|s| (s.name.as_str(), s.color, s.dashed))
            .chain(
                self.stacked
                    .iter()
                    .map(|b| (b.name.as_str(), b.color, false)),
            );
        for (name, color, dashed) in entries {
            let _ = write!(
                o,
                r#"<line x1="{lx:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="{color}" stroke-width="4"{}/><text x="{:.1}" y="{ly:.1}" class="legend">{}</text>"#,
                lx + 22.0,
                ly - 4.0,
                ly - 4.0,
                if dashed {
                    r#" stroke-dasharray="6 4""#
                } else {
                    ""
                },
                lx + 28.0,
                esc(name)
            );
            lx += 40.0 + 7.0 * name.chars().count() as f64;
        }
        o.push_str("</svg>");
        o
    }
}
