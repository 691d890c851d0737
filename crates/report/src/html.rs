//! `report.html`: one self-contained page a planner can mail (inline CSS and SVG, no network,
//! no script), rendered from plain structs so the page depends on nothing but its inputs.
//!
//! The page holds a choropleth of the priority class with the existing, proposed and bus sites,
//! the ranking curve of the proposed blocks, the top areas with their Monte Carlo rank bands,
//! the siting summary, the conservation report and every note. Geometries are in the projected
//! working CRS (metres); they are simplified to about 1/1500 of the map extent and written with
//! one decimal, and every text that comes from data is escaped. The output is a pure function of
//! the inputs (no timestamps), so it is byte-identical between runs.

use std::fmt::Write as _;

use geo::{Area, BoundingRect, Coord, LineString, MultiPolygon, Point, Rect, Simplify};
use rayon::prelude::*;

/// Everything the page shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HtmlReport {
    /// The page title (the method's name, or its file).
    pub title: String,
    /// The method file, as given.
    pub method_file: String,
    /// The working CRS (e.g. `EPSG:9377`); coordinates below are in it, in metres.
    pub crs: String,
    /// What the mapped areas are, plural ("districts", "units").
    pub area_kind: String,
    /// The mapped and ranked areas.
    pub areas: Vec<HtmlArea>,
    /// Upper bounds of the classes (mapclassify's bins), class 1 first; class `k` = highest need.
    pub class_bins: Vec<f64>,
    /// How many Monte Carlo draws the rank intervals come from, if any.
    pub draws: Option<usize>,
    /// How many of the top areas to chart.
    pub top: usize,
    /// Existing, proposed and bus sites (empty without siting).
    pub sites: Vec<HtmlSite>,
    /// The siting summary and ranking curve (`None` without `[siting]`).
    pub siting: Option<HtmlSiting>,
    /// The balance of every count summed to the areas.
    pub conservation: Vec<HtmlBalance>,
    /// Every warning and note, with where it comes from.
    pub notes: Vec<HtmlNote>,
}

/// One area (district or unit) of the map and of the ranking.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HtmlArea {
    /// Its id.
    pub id: String,
    /// Its name, if the method names a label column.
    pub label: Option<String>,
    /// Its polygons in the working CRS; `None` (or empty) → listed but not drawn.
    pub geometry: Option<MultiPolygon<f64>>,
    /// The index (0–100).
    pub index: Option<f64>,
    /// Rank, 1 = highest need; `None` = not ranked.
    pub rank: Option<u32>,
    /// Class, 1..=k with k = highest need; `None` = unranked (drawn grey).
    pub class: Option<u32>,
    /// Monte Carlo median rank.
    pub rank_median: Option<f64>,
    /// Monte Carlo 5 % rank.
    pub rank_p05: Option<f64>,
    /// Monte Carlo 95 % rank.
    pub rank_p95: Option<f64>,
    /// Probability of being in the top class.
    pub p_top_class: Option<f64>,
}

/// What a site is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HtmlSiteKind {
    /// An existing care block (blue circle).
    Existing,
    /// A proposed care block (green circle with its rank).
    Proposed,
    /// A care-bus stop (purple triangle).
    Bus,
}

/// One site on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlSite {
    /// Existing, proposed or bus.
    pub kind: HtmlSiteKind,
    /// Where, in the working CRS.
    pub point: Point<f64>,
    /// Selection order (proposed and bus sites).
    pub rank: Option<usize>,
    /// Its id.
    pub id: String,
    /// Its name.
    pub label: Option<String>,
    /// The kind of place (e.g. "colegio público").
    pub category: String,
}

/// One step of the ranking curve: the demand covered once the proposed blocks up to `rank`
/// are open (existing blocks included).
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlCurveStep {
    /// 1-based selection order.
    pub rank: usize,
    /// The site's id.
    pub id: String,
    /// The site's name.
    pub label: Option<String>,
    /// Demand covered so far (same unit as [`HtmlSiting::total_demand`]).
    pub cumulative: f64,
}

/// A coverage KPI over the whole study area, before (existing blocks) and after.
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlKpi {
    /// What is covered ("need-weighted demand", "population", ...).
    pub name: String,
    /// Share covered by the existing blocks (0–1).
    pub before: Option<f64>,
    /// Share covered with the proposed blocks (0–1).
    pub after: Option<f64>,
}

/// The siting results.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HtmlSiting {
    /// Walking radius, metres.
    pub radius: f64,
    /// Demand covered by the solution (existing + proposed).
    pub objective: f64,
    /// Certified upper bound of the demand any solution could cover.
    pub bound: f64,
    /// Relative gap (bound − objective) / bound.
    pub gap: f64,
    /// Whether optimality was proven.
    pub optimal: bool,
    /// Demand covered by the existing blocks alone.
    pub locked_in: f64,
    /// All the demand.
    pub total_demand: f64,
    /// The ranking curve, in selection order.
    pub curve: Vec<HtmlCurveStep>,
    /// Coverage KPIs before/after.
    pub kpis: Vec<HtmlKpi>,
    /// Share of the sparse uncovered high-priority demand the bus stops reach, if buses ran.
    pub bus_share: Option<f64>,
    /// High-priority units left for home care.
    pub home_care_units: usize,
}

/// The balance of one count summed from units to areas.
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlBalance {
    /// The count.
    pub variable: String,
    /// Σ over the sources.
    pub source_total: f64,
    /// Σ allocated to the areas.
    pub allocated: f64,
    /// Σ left outside every area.
    pub unallocated: f64,
    /// Sources with a missing value.
    pub missing: usize,
    /// |source − allocated − unallocated| / |source|.
    pub relative_error: f64,
}

/// A warning or note, with its origin ("inputs", "index", "siting").
#[derive(Debug, Clone, PartialEq)]
pub struct HtmlNote {
    /// Where it comes from.
    pub source: String,
    /// The message.
    pub text: String,
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
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

/// ColorBrewer YlOrRd, 9 classes (the ramp other class counts are interpolated from).
const YLORRD9: [&str; 9] = [
    "#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026",
];
/// Colour of unranked areas.
const UNRANKED: &str = "#cccccc";
/// Background of the main map (nowhere else on the page, so a screenshot test can find the map).
pub const MAP_BACKGROUND: &str = "#e8f0f5";
/// Background of the overview map.
const OVERVIEW_BACKGROUND: &str = "#f1efe6";

/// The YlOrRd colours for `k` classes: ColorBrewer's own schemes for 3–9 classes, 1–2 taken
/// from the 3-class scheme, more than 9 interpolated along the 9-class ramp.
pub fn class_colours(k: usize) -> Vec<String> {
    let fixed: &[&str] = match k {
        0 => &[],
        1 => &["#feb24c"],
        2 => &["#ffeda0", "#f03b20"],
        3 => &["#ffeda0", "#feb24c", "#f03b20"],
        4 => &["#ffffb2", "#fecc5c", "#fd8d3c", "#e31a1c"],
        5 => &["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"],
        6 => &["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"],
        7 => &[
            "#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026",
        ],
        8 => &[
            "#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026",
        ],
        9 => &YLORRD9,
        _ => {
            let rgb = |h: &str| {
                let v = u32::from_str_radix(&h[1..], 16).unwrap_or(0);
                [(v >> 16) as f64, ((v >> 8) & 0xff) as f64, (v & 0xff) as f64]
            };
            return (0..k)
                .map(|i| {
                    let t = i as f64 / (k - 1) as f64 * 8.0;
                    let lo = (t.floor() as usize).min(7);
                    let f = t - lo as f64;
                    let (a, b) = (rgb(YLORRD9[lo]), rgb(YLORRD9[lo + 1]));
                    let c: Vec<u8> = (0..3).map(|j| (a[j] + f * (b[j] - a[j])).round() as u8).collect();
                    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
                })
                .collect();
        }
    };
    fixed.iter().map(|s| s.to_string()).collect()
}

/// The world → SVG transform of one map: x to the right, y flipped (north up), one scale for
/// both axes (aspect kept), `pad` pixels around the world rectangle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Frame {
    min_x: f64,
    max_y: f64,
    scale: f64,
    pad: f64,
    width: f64,
    height: f64,
    world: Rect<f64>,
}

impl Frame {
    /// Fits `world` into at most `max_w` × `max_h` pixels (padding included). A degenerate
    /// rectangle (a single point, a line) gets a 1 km square around it.
    pub(crate) fn fit(world: Rect<f64>, max_w: f64, max_h: f64, pad: f64) -> Frame {
        let (mut min, mut max) = (world.min(), world.max());
        for (lo, hi) in [(&mut min.x, &mut max.x), (&mut min.y, &mut max.y)] {
            if !(*hi - *lo).is_finite() || *hi - *lo <= 0.0 {
                let mid = (*lo + *hi) / 2.0;
                *lo = mid - 500.0;
                *hi = mid + 500.0;
            }
        }
        let (dx, dy) = (max.x - min.x, max.y - min.y);
        let scale = ((max_w - 2.0 * pad) / dx).min((max_h - 2.0 * pad) / dy);
        Frame {
            min_x: min.x,
            max_y: max.y,
            scale,
            pad,
            width: dx * scale + 2.0 * pad,
            height: dy * scale + 2.0 * pad,
            world: Rect::new(min, max),
        }
    }

    /// SVG coordinates of a world coordinate.
    pub(crate) fn apply(&self, c: Coord<f64>) -> (f64, f64) {
        (
            self.pad + (c.x - self.min_x) * self.scale,
            self.pad + (self.max_y - c.y) * self.scale,
        )
    }

    /// The world extent visible in the frame, padding included.
    fn visible(&self) -> Rect<f64> {
        let p = self.pad / self.scale;
        let (min, max) = (self.world.min(), self.world.max());
        Rect::new(
            Coord {
                x: min.x - p,
                y: min.y - p,
            },
            Coord {
                x: max.x + p,
                y: max.y + p,
            },
        )
    }
}

/// A number with one decimal, trailing ".0" dropped, never "-0".
fn n1(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0 + 0.0;
    let s = format!("{r:.1}");
    match s.strip_suffix(".0") {
        Some("-0") => "0".to_string(),
        Some(t) => t.to_string(),
        None => s,
    }
}

/// A number with thousands separators and `decimals` decimals; "–" if missing or not finite.
fn num(v: Option<f64>, decimals: usize) -> String {
    let Some(v) = v.filter(|v| v.is_finite()) else {
        return "–".to_string();
    };
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s.clone(), None),
    };
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let zero = s.chars().all(|c| c == '0' || c == '.');
    let sign = if v < 0.0 && !zero { "-" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A share (0–1) as a percentage with `decimals` decimals.
fn pct(v: Option<f64>, decimals: usize) -> String {
    match v.filter(|v| v.is_finite()) {
        Some(v) => format!("{} %", num(Some(100.0 * v), decimals)),
        None => "–".to_string(),
    }
}

/// "label (id)", or the id alone.
fn area_name(a: &HtmlArea) -> String {
    match &a.label {
        Some(l) if !l.is_empty() && l != &a.id => format!("{l} ({})", a.id),
        _ => a.id.clone(),
    }
}

/// "label (id)" of a site.
fn site_name(id: &str, label: Option<&str>) -> String {
    match label {
        Some(l) if !l.is_empty() && l != id => format!("{l} ({id})"),
        _ => id.to_string(),
    }
}

/// A ring as an SVG subpath: transformed, rounded to one decimal, repeated points dropped;
/// nothing if fewer than three distinct points remain.
fn ring_path(out: &mut String, ring: &LineString<f64>, frame: &Frame) {
    let mut pts: Vec<(String, String)> = Vec::with_capacity(ring.0.len());
    for c in &ring.0 {
        let (x, y) = frame.apply(*c);
        let p = (n1(x), n1(y));
        if pts.last() != Some(&p) {
            pts.push(p);
        }
    }
    while pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    if pts.len() < 3 {
        return;
    }
    for (i, (x, y)) in pts.iter().enumerate() {
        let _ = write!(
            out,
            "{}{x} {y}",
            match i {
                0 => "M",
                1 => "L",
                _ => " ",
            }
        );
    }
    out.push('Z');
}

/// The SVG path data of a multipolygon, simplified with tolerance `eps` (world units). A ring
/// that simplification would collapse is drawn unsimplified.
/// Vertices of a ring above which it is simplified in stretches, in parallel.
const LONG_RING: usize = 1 << 15;

/// `ring` simplified (Ramer–Douglas–Peucker, tolerance `eps`). A ring of more than
/// [`LONG_RING`] vertices (a coastline) is simplified in stretches of half that, in parallel,
/// each keeping its two ends: every dropped vertex is still within `eps` of the line drawn, and
/// the cost stays linear in the ring's length.
fn simplified(ring: &LineString<f64>, eps: f64) -> LineString<f64> {
    let n = ring.0.len();
    if n <= LONG_RING {
        return ring.simplify(eps);
    }
    let step = LONG_RING / 2;
    let parts: Vec<Vec<Coord<f64>>> = (0..n - 1)
        .step_by(step)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|start| {
            LineString::new(ring.0[start..(start + step + 1).min(n)].to_vec())
                .simplify(eps)
                .0
        })
        .collect();
    let mut out = Vec::new();
    for (k, part) in parts.into_iter().enumerate() {
        out.extend(part.into_iter().skip(usize::from(k > 0)));
    }
    LineString::new(out)
}

fn polygon_path(mp: &MultiPolygon<f64>, frame: &Frame, eps: f64) -> String {
    let mut d = String::new();
    for poly in &mp.0 {
        let rings = std::iter::once(poly.exterior()).chain(poly.interiors());
        for ring in rings {
            let s = simplified(ring, eps);
            let ring = if s.0.len() >= 4 { &s } else { ring };
            ring_path(&mut d, ring, frame);
        }
    }
    d
}

fn rect_intersects(a: &Rect<f64>, b: &Rect<f64>) -> bool {
    a.min().x <= b.max().x && b.min().x <= a.max().x && a.min().y <= b.max().y && b.min().y <= a.max().y
}

fn union(a: Option<Rect<f64>>, b: Rect<f64>) -> Rect<f64> {
    match a {
        None => b,
        Some(a) => Rect::new(
            Coord {
                x: a.min().x.min(b.min().x),
                y: a.min().y.min(b.min().y),
            },
            Coord {
                x: a.max().x.max(b.max().x),
                y: a.max().y.max(b.max().y),
            },
        ),
    }
}

/// The extent of everything, and the extent the main map is framed on: the sites and the
/// areas of ordinary size (an area over 20 times the median area, such as a rural district
/// that dwarfs the city, is shown whole only in the overview). `None` if nothing has a
/// geometry.
fn extents(r: &HtmlReport) -> Option<(Rect<f64>, Rect<f64>)> {
    let mut full: Option<Rect<f64>> = None;
    let mut sized: Vec<(f64, Rect<f64>)> = Vec::new();
    for a in &r.areas {
        if let Some(b) = a.geometry.as_ref().and_then(|g| g.bounding_rect()) {
            full = Some(union(full, b));
            sized.push((a.geometry.as_ref().map_or(0.0, |g| g.unsigned_area()), b));
        }
    }
    for s in &r.sites {
        let p = Rect::new(s.point.0, s.point.0);
        full = Some(union(full, p));
    }
    let full = full?;
    let mut areas: Vec<f64> = sized.iter().map(|(a, _)| *a).collect();
    areas.sort_by(f64::total_cmp);
    let median = areas.get(areas.len() / 2).copied().unwrap_or(0.0);
    let mut focus: Option<Rect<f64>> = None;
    for (a, b) in &sized {
        if *a <= 20.0 * median {
            focus = Some(union(focus, *b));
        }
    }
    for s in &r.sites {
        focus = Some(union(focus, Rect::new(s.point.0, s.point.0)));
    }
    let focus = focus.unwrap_or(full);
    // A focus that is most of the whole is not worth a second map.
    let area = |b: &Rect<f64>| b.width().max(1.0) * b.height().max(1.0);
    let focus = if area(&focus) > 0.6 * area(&full) {
        full
    } else {
        focus
    };
    Some((full, focus))
}

/// Which colour class an area is drawn with: 1..=k, or 0 for unranked.
fn class_of(a: &HtmlArea, k: usize) -> usize {
    match a.class {
        Some(c) if c >= 1 && (c as usize) <= k => c as usize,
        _ => 0,
    }
}

/// The area polygons of one map, with tooltips.
fn areas_svg(out: &mut String, r: &HtmlReport, frame: &Frame, eps: f64, tooltips: bool) {
    let k = r.class_bins.len();
    let visible = frame.visible();
    out.push_str("<g class=\"areas\">");
    for a in &r.areas {
        let Some(g) = a.geometry.as_ref() else { continue };
        let Some(b) = g.bounding_rect() else { continue };
        if !rect_intersects(&b, &visible) {
            continue;
        }
        let d = polygon_path(g, frame, eps);
        if d.is_empty() {
            continue;
        }
        let _ = write!(out, "<path class=\"c{}\" d=\"{d}\"", class_of(a, k));
        if tooltips {
            let what = match (a.rank, a.class) {
                (Some(rank), Some(class)) => format!(
                    "index {}, rank {rank}, class {class}{}",
                    num(a.index, 1),
                    a.p_top_class
                        .map(|p| format!(", P(top class) {}", pct(Some(p), 0)))
                        .unwrap_or_default()
                ),
                _ => "not ranked".to_string(),
            };
            let _ = write!(
                out,
                "><title>{}: {}</title></path>",
                escape(&area_name(a)),
                escape(&what)
            );
        } else {
            out.push_str("/>");
        }
    }
    out.push_str("</g>");
}

/// A round length for a scale bar of about `target` metres: 1, 2 or 5 × 10ⁿ.
fn nice_length(target: f64) -> f64 {
    if !target.is_finite() || target <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(target.log10().floor());
    let m = target / p;
    let f = if m >= 5.0 {
        5.0
    } else if m >= 2.0 {
        2.0
    } else {
        1.0
    };
    f * p
}

fn length_label(m: f64) -> String {
    if m >= 1000.0 {
        format!(
            "{} km",
            num(Some(m / 1000.0), if m % 1000.0 == 0.0 { 0 } else { 1 })
        )
    } else {
        format!("{} m", num(Some(m), 0))
    }
}

/// The main map: areas, catchment radii, sites, scale bar.
fn main_map(out: &mut String, r: &HtmlReport, frame: &Frame) {
    let eps = frame.world.width().max(frame.world.height()) / 1500.0;
    let _ = write!(
        out,
        "<svg class=\"map\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"map of the priority class\"><rect class=\"bg\" width=\"{w}\" height=\"{h}\"/>",
        w = n1(frame.width),
        h = n1(frame.height)
    );
    areas_svg(out, r, frame, eps, true);
    // Catchments (walking radius) of the existing and proposed blocks.
    if let Some(s) = &r.siting
        && s.radius > 0.0
    {
        let rad = n1(s.radius * frame.scale);
        out.push_str("<g class=\"catch\">");
        for site in r.sites.iter().filter(|s| s.kind != HtmlSiteKind::Bus) {
            let (x, y) = frame.apply(site.point.0);
            let _ = write!(out, "<circle cx=\"{}\" cy=\"{}\" r=\"{rad}\"/>", n1(x), n1(y));
        }
        out.push_str("</g>");
    }
    let tip = |s: &HtmlSite| {
        let what = match s.kind {
            HtmlSiteKind::Existing => "existing care block".to_string(),
            HtmlSiteKind::Proposed => format!("proposed care block no. {}", s.rank.unwrap_or(0)),
            HtmlSiteKind::Bus => format!("care-bus stop no. {}", s.rank.unwrap_or(0)),
        };
        escape(&format!(
            "{what}: {} — {}",
            site_name(&s.id, s.label.as_deref()),
            s.category
        ))
    };
    out.push_str("<g class=\"ex\">");
    for s in r.sites.iter().filter(|s| s.kind == HtmlSiteKind::Existing) {
        let (x, y) = frame.apply(s.point.0);
        let _ = write!(
            out,
            "<circle cx=\"{}\" cy=\"{}\" r=\"5\"><title>{}</title></circle>",
            n1(x),
            n1(y),
            tip(s)
        );
    }
    out.push_str("</g><g class=\"bus\">");
    for s in r.sites.iter().filter(|s| s.kind == HtmlSiteKind::Bus) {
        let (x, y) = frame.apply(s.point.0);
        let _ = write!(
            out,
            "<path d=\"M{} {}l6 10.4h-12z\"><title>{}</title></path>",
            n1(x),
            n1(y - 6.9),
            tip(s)
        );
    }
    out.push_str("</g><g class=\"pr\">");
    // Highest rank drawn last, so number 1 is on top.
    let mut proposed: Vec<&HtmlSite> = r
        .sites
        .iter()
        .filter(|s| s.kind == HtmlSiteKind::Proposed)
        .collect();
    proposed.sort_by_key(|s| std::cmp::Reverse(s.rank.unwrap_or(usize::MAX)));
    for s in proposed {
        let (x, y) = frame.apply(s.point.0);
        let (x, y) = (n1(x), n1(y));
        let _ = write!(
            out,
            "<g><title>{}</title><circle cx=\"{x}\" cy=\"{y}\" r=\"8.5\"/><text x=\"{x}\" y=\"{y}\" dy=\"3.3\">{}</text></g>",
            tip(s),
            s.rank.map(|r| r.to_string()).unwrap_or_default()
        );
    }
    out.push_str("</g>");
    // Scale bar, bottom left.
    let len = nice_length(frame.width / frame.scale / 5.0);
    let px = len * frame.scale;
    let (x0, y0) = (14.0, frame.height - 16.0);
    let _ = write!(
        out,
        "<g class=\"scale\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"22\" rx=\"3\"/><path d=\"M{} {}v6h{}v-6\"/><text x=\"{}\" y=\"{}\">{}</text></g>",
        n1(x0 - 6.0),
        n1(y0 - 16.0),
        n1(px + 12.0 + 8.0 + 7.0 * length_label(len).len() as f64),
        n1(x0),
        n1(y0 - 2.0),
        n1(px),
        n1(x0 + px + 6.0),
        n1(y0 + 2.0),
        length_label(len)
    );
    let _ = write!(
        out,
        "<text class=\"north\" x=\"{}\" y=\"22\">N ↑</text></svg>",
        n1(frame.width - 12.0)
    );
}

/// The overview map: every area, the main map's frame as a rectangle.
fn overview_map(out: &mut String, r: &HtmlReport, frame: &Frame, focus: &Rect<f64>) {
    let eps = frame.world.width().max(frame.world.height()) / 600.0;
    let _ = write!(
        out,
        "<svg class=\"map\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"overview map\"><rect class=\"bg ov\" width=\"{w}\" height=\"{h}\"/>",
        w = n1(frame.width),
        h = n1(frame.height)
    );
    areas_svg(out, r, frame, eps, false);
    let (x0, y0) = frame.apply(Coord {
        x: focus.min().x,
        y: focus.max().y,
    });
    let (x1, y1) = frame.apply(Coord {
        x: focus.max().x,
        y: focus.min().y,
    });
    let _ = write!(
        out,
        "<rect class=\"focus\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></svg>",
        n1(x0),
        n1(y0),
        n1(x1 - x0),
        n1(y1 - y0)
    );
}

/// The legend: class bins, unranked, site symbols.
fn legend(out: &mut String, r: &HtmlReport) {
    let k = r.class_bins.len();
    let counts = |c: usize| r.areas.iter().filter(|a| class_of(a, k) == c).count();
    let min_index = r
        .areas
        .iter()
        .filter_map(|a| a.index)
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min);
    out.push_str("<div class=\"legend\"><h3>Priority class</h3><table>");
    for c in (1..=k).rev() {
        let lo = if c == 1 {
            if min_index.is_finite() {
                Some(min_index)
            } else {
                None
            }
        } else {
            Some(r.class_bins[c - 2])
        };
        let hi = r.class_bins[c - 1];
        let name = if c == k {
            format!("{c} (highest need)")
        } else if c == 1 {
            format!("{c} (lowest need)")
        } else {
            c.to_string()
        };
        let _ = write!(
            out,
            "<tr><td><span class=\"sw c{c}\"></span></td><td>{name}</td><td class=\"n\">{}{} – {}</td><td class=\"n\">{}</td></tr>",
            if c == 1 { "" } else { "&gt; " },
            num(lo, 1),
            num(Some(hi), 1),
            counts(c)
        );
    }
    let _ = write!(
        out,
        "<tr><td><span class=\"sw c0\"></span></td><td>not ranked</td><td></td><td class=\"n\">{}</td></tr></table>",
        counts(0)
    );
    let _ = write!(
        out,
        "<p class=\"small\">Index 0–100 (bins are upper bounds); last column: number of {}.</p>",
        escape(&r.area_kind)
    );
    if !r.sites.is_empty() {
        let n = |kind| r.sites.iter().filter(|s| s.kind == kind).count();
        out.push_str("<h3>Sites</h3><table>");
        let _ = write!(
            out,
            "<tr><td><svg width=\"18\" height=\"18\"><circle cx=\"9\" cy=\"9\" r=\"5\" fill=\"#2166ac\" stroke=\"#fff\"/></svg></td><td>existing care block</td><td class=\"n\">{}</td></tr>",
            n(HtmlSiteKind::Existing)
        );
        let _ = write!(
            out,
            "<tr><td><svg width=\"18\" height=\"18\"><circle cx=\"9\" cy=\"9\" r=\"7.5\" fill=\"#1a9850\" stroke=\"#000\"/></svg></td><td>proposed care block (number = rank)</td><td class=\"n\">{}</td></tr>",
            n(HtmlSiteKind::Proposed)
        );
        let _ = write!(
            out,
            "<tr><td><svg width=\"18\" height=\"18\"><path d=\"M9 2l6 10.4H3z\" fill=\"#762a83\" stroke=\"#fff\"/></svg></td><td>care-bus stop</td><td class=\"n\">{}</td></tr>",
            n(HtmlSiteKind::Bus)
        );
        if let Some(s) = &r.siting {
            let _ = write!(
                out,
                "<tr><td><svg width=\"18\" height=\"18\"><circle cx=\"9\" cy=\"9\" r=\"7\" fill=\"none\" stroke=\"#333\" stroke-dasharray=\"2 2\"/></svg></td><td>walking radius ({} m)</td><td></td></tr>",
                num(Some(s.radius), 0)
            );
        }
        out.push_str("</table>");
    }
    out.push_str("<p class=\"small\">Hover over an area or a site for its name and values.</p></div>");
}

/// Round axis ticks from 0 to at least `max`: (step, last).
fn ticks(max: f64, target: usize) -> (f64, f64) {
    let raw = if max > 0.0 && max.is_finite() {
        max / target as f64
    } else {
        1.0
    };
    let step = nice_length(raw);
    let step = if step < raw { step * 2.0 } else { step };
    (step, (max / step).ceil().max(1.0) * step)
}

/// The ranking curve: share of the demand covered vs number of proposed blocks.
fn curve_svg(out: &mut String, s: &HtmlSiting) {
    let total = s.total_demand;
    if !total.is_finite() || total <= 0.0 {
        out.push_str("<p>No demand to cover.</p>");
        return;
    }
    let (w, h) = (760.0, 330.0);
    let (l, rt, t, b) = (60.0, 150.0, 16.0, 44.0);
    let n = s.curve.len().max(1) as f64;
    let share = |v: f64| 100.0 * v / total;
    let top = s
        .curve
        .iter()
        .map(|c| share(c.cumulative))
        .fold(share(s.bound), f64::max);
    let (ystep, ymax) = ticks(top.max(1.0), 5);
    let x = |i: f64| l + i / n * (w - l - rt);
    let y = |v: f64| t + (1.0 - v / ymax) * (h - t - b);
    let _ = write!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"ranking curve\">"
    );
    let mut v = 0.0;
    while v <= ymax + 1e-9 {
        let yy = n1(y(v));
        let _ = write!(
            out,
            "<path class=\"grid\" d=\"M{l} {yy}H{}\"/><text class=\"yt\" x=\"{}\" y=\"{yy}\" dy=\"4\">{} %</text>",
            n1(w - rt),
            n1(l - 6.0),
            num(Some(v), if ystep < 1.0 { 1 } else { 0 })
        );
        v += ystep;
    }
    let (xstep, _) = ticks(n, 10);
    let xstep = xstep.max(1.0);
    let mut i = 0.0;
    while i <= n + 1e-9 {
        let _ = write!(
            out,
            "<text class=\"xt\" x=\"{}\" y=\"{}\">{}</text>",
            n1(x(i)),
            n1(h - b + 16.0),
            num(Some(i), 0)
        );
        i += xstep;
    }
    let _ = write!(
        out,
        "<path class=\"axis\" d=\"M{l} {t}V{}H{}\"/><text class=\"xl\" x=\"{}\" y=\"{}\">number of proposed blocks</text><text class=\"yl\" transform=\"translate(14 {}) rotate(-90)\">share of the demand covered</text>",
        n1(h - b),
        n1(w - rt),
        n1((l + w - rt) / 2.0),
        n1(h - 6.0),
        n1((t + h - b) / 2.0)
    );
    // Bound.
    let yb = n1(y(share(s.bound)));
    let _ = write!(
        out,
        "<path class=\"bound\" d=\"M{l} {yb}H{}\"/><text class=\"lbl\" x=\"{}\" y=\"{yb}\" dy=\"-5\">upper bound {}</text>",
        n1(w - rt),
        n1(w - rt + 6.0),
        pct(Some(s.bound / total), 1)
    );
    // Curve from the existing blocks' coverage.
    let mut pts = vec![(0.0, share(s.locked_in))];
    pts.extend(
        s.curve
            .iter()
            .enumerate()
            .map(|(i, c)| ((i + 1) as f64, share(c.cumulative))),
    );
    let mut d = String::new();
    for (i, (a, v)) in pts.iter().enumerate() {
        let _ = write!(d, "{}{} {}", if i == 0 { "M" } else { "L" }, n1(x(*a)), n1(y(*v)));
    }
    let _ = write!(out, "<path class=\"curve\" d=\"{d}\"/>");
    let _ = write!(
        out,
        "<circle class=\"pt0\" cx=\"{}\" cy=\"{}\" r=\"4\"><title>existing blocks only: {}</title></circle>",
        n1(x(0.0)),
        n1(y(share(s.locked_in))),
        pct(Some(s.locked_in / total), 1)
    );
    for (i, c) in s.curve.iter().enumerate() {
        let _ = write!(
            out,
            "<circle class=\"pt\" cx=\"{}\" cy=\"{}\" r=\"3.5\"><title>{}. {}: {}</title></circle>",
            n1(x((i + 1) as f64)),
            n1(y(share(c.cumulative))),
            c.rank,
            escape(&site_name(&c.id, c.label.as_deref())),
            pct(Some(c.cumulative / total), 1)
        );
    }
    if let Some(last) = pts.last() {
        let _ = write!(
            out,
            "<text class=\"lbl\" x=\"{}\" y=\"{}\" dy=\"15\">with {} blocks {}</text>",
            n1(w - rt + 6.0),
            n1(y(last.1)),
            s.curve.len(),
            pct(Some(last.1 / 100.0), 1)
        );
    }
    out.push_str("</svg>");
}

/// Truncates a label to `max` characters, with an ellipsis.
fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// The top areas with their Monte Carlo rank bands (dot and whisker).
fn top_svg(out: &mut String, r: &HtmlReport) {
    let mut order: Vec<&HtmlArea> = r.areas.iter().filter(|a| a.rank.is_some()).collect();
    order.sort_by_key(|a| (a.rank, a.id.clone()));
    let ranked = order.len();
    order.truncate(r.top.max(1));
    if order.is_empty() {
        out.push_str("<p>Nothing is ranked.</p>");
        return;
    }
    let max_rank = order
        .iter()
        .filter_map(|a| a.rank_p95)
        .chain(order.iter().filter_map(|a| a.rank.map(f64::from)))
        .fold(1.0, f64::max);
    let row = 24.0;
    let (w, l, rt, t) = (1000.0, 290.0, 150.0, 38.0);
    let h = t + row * order.len() as f64 + 36.0;
    let (step, xmax) = ticks(max_rank, 8);
    let x = |v: f64| l + (v - 1.0).max(0.0) / (xmax - 1.0).max(1.0) * (w - l - rt);
    let _ = write!(
        out,
        "<svg class=\"chart\" viewBox=\"0 0 {w} {}\" width=\"{w}\" height=\"{}\" role=\"img\" aria-label=\"top {} with rank intervals\">",
        n1(h),
        n1(h),
        escape(&r.area_kind)
    );
    let _ = write!(
        out,
        "<text class=\"hd\" x=\"{}\" y=\"14\">{}</text><text class=\"hd\" x=\"{}\" y=\"14\" text-anchor=\"end\">index</text><text class=\"hd\" x=\"{}\" y=\"14\" text-anchor=\"end\">P(top class)</text>",
        0,
        escape(&r.area_kind),
        n1(w - rt + 44.0),
        n1(w - 4.0)
    );
    let bottom = t + row * order.len() as f64;
    let mut v = 1.0;
    let mut first = true;
    while v <= xmax + 1e-9 {
        let xx = n1(x(v));
        let _ = write!(
            out,
            "<path class=\"grid\" d=\"M{xx} {}V{}\"/><text class=\"xt\" x=\"{xx}\" y=\"{}\">{}</text>",
            n1(t - 6.0),
            n1(bottom),
            n1(bottom + 16.0),
            num(Some(v), 0)
        );
        v = if first { step } else { v + step };
        first = false;
    }
    let _ = write!(
        out,
        "<text class=\"xl\" x=\"{}\" y=\"{}\">rank (1 = highest need) of {ranked} ranked {}</text>",
        n1((l + w - rt) / 2.0),
        n1(bottom + 32.0),
        escape(&r.area_kind)
    );
    for (i, a) in order.iter().enumerate() {
        let cy = t + row * (i as f64 + 0.5);
        let yy = n1(cy);
        let name = area_name(a);
        let rank = a.rank.unwrap_or(0);
        let interval = match (a.rank_p05, a.rank_p95) {
            (Some(lo), Some(hi)) => format!(
                "; Monte Carlo median {}, 5–95 % {}–{}",
                num(a.rank_median, 0),
                num(Some(lo), 0),
                num(Some(hi), 0)
            ),
            _ => String::new(),
        };
        let _ = write!(
            out,
            "<g><title>{}: rank {rank}{}</title>",
            escape(&name),
            escape(&interval)
        );
        if i % 2 == 0 {
            let _ = write!(
                out,
                "<rect class=\"band\" x=\"0\" y=\"{}\" width=\"{w}\" height=\"{row}\"/>",
                n1(cy - row / 2.0)
            );
        }
        let _ = write!(
            out,
            "<text class=\"nm\" x=\"0\" y=\"{yy}\" dy=\"4\">{}. {}</text>",
            rank,
            escape(&truncate(&name, 40))
        );
        if let (Some(lo), Some(hi)) = (a.rank_p05, a.rank_p95) {
            let _ = write!(
                out,
                "<path class=\"wh\" d=\"M{} {yy}H{}M{} {}v10M{} {}v10\"/>",
                n1(x(lo)),
                n1(x(hi)),
                n1(x(lo)),
                n1(cy - 5.0),
                n1(x(hi)),
                n1(cy - 5.0)
            );
        }
        if let Some(m) = a.rank_median {
            let _ = write!(
                out,
                "<circle class=\"med\" cx=\"{}\" cy=\"{yy}\" r=\"4.5\"/>",
                n1(x(m))
            );
        }
        let rx = x(f64::from(rank));
        let _ = write!(
            out,
            "<path class=\"ref\" d=\"M{} {}l4.5 4.5-4.5 4.5-4.5-4.5z\"/>",
            n1(rx),
            n1(cy - 4.5)
        );
        let _ = write!(
            out,
            "<text class=\"v\" x=\"{}\" y=\"{yy}\" dy=\"4\">{}</text><text class=\"v\" x=\"{}\" y=\"{yy}\" dy=\"4\">{}</text></g>",
            n1(w - rt + 44.0),
            num(a.index, 1),
            n1(w - 4.0),
            pct(a.p_top_class, 0)
        );
    }
    out.push_str("</svg>");
}

fn siting_section(out: &mut String, s: &HtmlSiting, sites: &[HtmlSite]) {
    let n = |kind| sites.iter().filter(|s| s.kind == kind).count();
    let share = |v: f64| {
        if s.total_demand > 0.0 {
            Some(v / s.total_demand)
        } else {
            None
        }
    };
    out.push_str("<section><h2>Siting</h2><div class=\"cols\"><table class=\"kv\">");
    let rows: Vec<(String, String)> = vec![
        ("walking radius".into(), format!("{} m", num(Some(s.radius), 0))),
        (
            "existing blocks (locked in)".into(),
            n(HtmlSiteKind::Existing).to_string(),
        ),
        ("proposed blocks".into(), n(HtmlSiteKind::Proposed).to_string()),
        ("care-bus stops".into(), n(HtmlSiteKind::Bus).to_string()),
        (
            "demand covered by the existing blocks".into(),
            format!("{} ({})", num(Some(s.locked_in), 0), pct(share(s.locked_in), 1)),
        ),
        (
            "objective: demand covered with the proposed blocks".into(),
            format!("{} ({})", num(Some(s.objective), 0), pct(share(s.objective), 1)),
        ),
        (
            "upper bound".into(),
            format!("{} ({})", num(Some(s.bound), 0), pct(share(s.bound), 1)),
        ),
        (
            "gap (bound − objective) / bound".into(),
            format!(
                "{}{}",
                pct(Some(s.gap), 3),
                if s.optimal { ", proven optimal" } else { "" }
            ),
        ),
        ("total demand".into(), num(Some(s.total_demand), 0)),
    ];
    for (k, v) in rows {
        let _ = write!(
            out,
            "<tr><th>{}</th><td class=\"n\">{}</td></tr>",
            escape(&k),
            escape(&v)
        );
    }
    if let Some(b) = s.bus_share {
        let _ = write!(
            out,
            "<tr><th>sparse uncovered high-priority demand reached by the bus stops</th><td class=\"n\">{}</td></tr>",
            pct(Some(b), 1)
        );
    }
    let _ = write!(
        out,
        "<tr><th>high-priority units left for home care</th><td class=\"n\">{}</td></tr></table>",
        s.home_care_units
    );
    if !s.kpis.is_empty() {
        out.push_str(
            "<table class=\"data\"><thead><tr><th>within reach of a care block</th><th>before</th><th>after</th></tr></thead><tbody>",
        );
        for k in &s.kpis {
            let _ = write!(
                out,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(&k.name),
                pct(k.before, 1),
                pct(k.after, 1)
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</div>");
    out.push_str(
        "<h3>Ranking curve</h3><p class=\"small\">Share of the demand within reach as the proposed blocks open in their rank order, starting from the existing blocks' coverage; the dashed line is the certified upper bound for this number of blocks.</p>",
    );
    curve_svg(out, s);
    if !s.curve.is_empty() {
        out.push_str(
            "<table class=\"data\"><thead><tr><th>rank</th><th>proposed block</th><th>kind</th><th>marginal gain</th><th>cumulative coverage</th></tr></thead><tbody>",
        );
        let mut previous = s.locked_in;
        for c in &s.curve {
            let category = sites
                .iter()
                .find(|x| x.kind == HtmlSiteKind::Proposed && x.rank == Some(c.rank))
                .map(|x| x.category.as_str())
                .unwrap_or("");
            let _ = write!(
                out,
                "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td class=\"n\">+{}</td><td class=\"n\">{}</td></tr>",
                c.rank,
                escape(&site_name(&c.id, c.label.as_deref())),
                escape(category),
                pct(share(c.cumulative - previous), 1),
                pct(share(c.cumulative), 1)
            );
            previous = c.cumulative;
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</section>");
}

const CSS: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#222;margin:0 auto;max-width:1180px;padding:12px 24px;line-height:1.4;background:#fff}
h1{font-size:1.5em;margin:.3em 0}h2{font-size:1.2em;border-bottom:1px solid #bbb;margin-top:1.4em}h3{font-size:1em;margin:.8em 0 .3em}
.meta{color:#555;margin:0 0 .5em}.small{font-size:.85em;color:#555}
.mapwrap{display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap}.side{width:300px}
svg{overflow:hidden}svg.map{border:1px solid #999;max-width:100%;height:auto;display:block}
svg.chart{max-width:100%;height:auto;display:block;font-size:12px}
.bg{fill:" ;

const CSS2: &str = "}
.areas path{stroke:#555;stroke-width:.4;fill-rule:evenodd;stroke-linejoin:round}
.c0{fill:#cccccc}
.catch circle{fill:none;stroke:#333;stroke-width:.7;stroke-dasharray:2 2;stroke-opacity:.7}
.ex circle{fill:#2166ac;stroke:#fff;stroke-width:1}
.bus path{fill:#762a83;stroke:#fff;stroke-width:1}
.pr circle{fill:#1a9850;stroke:#000;stroke-width:1.2}
.pr text{fill:#fff;font-size:9.5px;font-weight:bold;text-anchor:middle}
.scale rect{fill:#fff;fill-opacity:.9}.scale path{fill:none;stroke:#000;stroke-width:1.5}.scale text{font-size:11px}
.north{font-size:12px;font-weight:bold;text-anchor:end}
.focus{fill:none;stroke:#000;stroke-width:1.2;stroke-dasharray:4 2}
.legend{max-width:320px}.legend table{border-collapse:collapse;font-size:.9em}.legend td{padding:1px 6px 1px 0;vertical-align:middle}
.sw{display:inline-block;width:22px;height:14px;border:1px solid #777;vertical-align:middle}
.grid{stroke:#ddd;stroke-width:1}.axis{fill:none;stroke:#333}.yt{text-anchor:end}.xt{text-anchor:middle}.xl{text-anchor:middle;fill:#444}.yl{text-anchor:middle;fill:#444}
.curve{fill:none;stroke:#333;stroke-width:2}.pt{fill:#333}.pt0{fill:#2166ac}.bound{stroke:#b2182b;stroke-width:1.5;stroke-dasharray:6 4}.lbl{fill:#333}
.band{fill:#f3f3f3}.hd{font-weight:bold}.nm{fill:#222}.v{text-anchor:end}
.wh{stroke:#666;stroke-width:2;fill:none}.med{fill:#fff;stroke:#222;stroke-width:1.5}.ref{fill:#b2182b}
table.data,table.kv{border-collapse:collapse;font-size:.9em;margin:.4em 0}
table.data th,table.data td,table.kv th,table.kv td{border-bottom:1px solid #e3e3e3;padding:2px 8px;text-align:left}
table.kv th{font-weight:normal;color:#444}table.data td.n,table.kv td.n,.legend td.n{text-align:right;font-variant-numeric:tabular-nums}
.cols{display:flex;gap:32px;flex-wrap:wrap;align-items:flex-start}
ul.notes li{margin:.2em 0}.src{display:inline-block;min-width:4.5em;color:#666;font-size:.85em}
@media print,(max-width:1160px){.side{width:auto;display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}}
@media print{body{max-width:none;padding:0;font-size:10pt}section,figure,svg,table{break-inside:avoid}h2{break-after:avoid}}
";

/// Renders the whole page.
pub fn render_report(r: &HtmlReport) -> String {
    let mut o = String::with_capacity(1 << 20);
    let k = r.class_bins.len();
    o.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    o.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    let _ = write!(o, "<title>{}</title><style>", escape(&r.title));
    o.push_str(CSS);
    o.push_str(MAP_BACKGROUND);
    o.push_str(CSS2);
    let _ = writeln!(o, ".bg.ov{{fill:{OVERVIEW_BACKGROUND}}}");
    for (i, c) in class_colours(k).iter().enumerate() {
        let _ = writeln!(o, ".c{}{{fill:{c};background:{c}}}", i + 1);
    }
    let _ = write!(o, ".sw.c0{{background:{UNRANKED}}}");
    o.push_str("</style></head><body>");
    let _ = write!(o, "<h1>{}</h1>", escape(&r.title));
    let ranked = r.areas.iter().filter(|a| a.rank.is_some()).count();
    let _ = write!(
        o,
        "<p class=\"meta\">Method file <code>{}</code> · working CRS {} (metres) · {} {}, {} ranked{}</p>",
        escape(&r.method_file),
        escape(&r.crs),
        r.areas.len(),
        escape(&r.area_kind),
        ranked,
        r.draws
            .map(|d| format!(" · Monte Carlo over {d} draws"))
            .unwrap_or_default()
    );

    // Map.
    let _ = write!(
        o,
        "<section><h2>Priority class of the {}</h2>",
        escape(&r.area_kind)
    );
    match extents(r) {
        None => o.push_str("<p>No geometry to map.</p>"),
        Some((full, focus)) => {
            o.push_str("<div class=\"mapwrap\"><div>");
            let main = Frame::fit(focus, 800.0, 1000.0, 14.0);
            main_map(&mut o, r, &main);
            o.push_str("</div><div class=\"side\">");
            if focus != full {
                let ov = Frame::fit(full, 300.0, 360.0, 6.0);
                o.push_str("<div><h3>Overview</h3>");
                overview_map(&mut o, r, &ov, &main.visible());
                o.push_str("<p class=\"small\">The dashed rectangle is the main map.</p></div>");
            }
            legend(&mut o, r);
            o.push_str("</div></div>");
        }
    }
    o.push_str("</section>");

    // Top areas.
    let _ = write!(
        o,
        "<section><h2>Top {} {} and the uncertainty of their rank</h2>",
        r.top.min(ranked),
        escape(&r.area_kind)
    );
    if r.draws.is_some() {
        o.push_str(
            "<p class=\"small\">Red diamond: rank with the method as declared. White dot and whisker: median and 5–95 % interval of the rank when the weights, the normalisation and the aggregation are drawn at random. P(top class): share of the draws in which the area is in the highest-need class.</p>",
        );
    } else {
        o.push_str(
            "<p class=\"small\">Red diamond: rank with the method as declared (no Monte Carlo was run).</p>",
        );
    }
    top_svg(&mut o, r);
    o.push_str("</section>");

    // Siting.
    match &r.siting {
        Some(s) => siting_section(&mut o, s, &r.sites),
        None => o.push_str("<section><h2>Siting</h2><p>The method has no <code>[siting]</code> section: no care blocks were sited.</p></section>"),
    }

    // Conservation.
    let _ = write!(
        o,
        "<section><h2>Conservation of the counts summed to the {}</h2>",
        escape(&r.area_kind)
    );
    if r.conservation.is_empty() {
        o.push_str("<p>No count was summed.</p>");
    } else {
        o.push_str("<table class=\"data\"><thead><tr><th>count</th><th>source total</th><th>allocated</th><th>unallocated</th><th>missing values</th><th>relative error</th></tr></thead><tbody>");
        for b in &r.conservation {
            let _ = write!(
                o,
                "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(&b.variable),
                num(Some(b.source_total), 1),
                num(Some(b.allocated), 1),
                num(Some(b.unallocated), 1),
                b.missing,
                if b.relative_error == 0.0 {
                    "0".to_string()
                } else if b.relative_error.is_finite() {
                    format!("{:.1e}", b.relative_error)
                } else {
                    "–".to_string()
                }
            );
        }
        o.push_str("</tbody></table>");
    }
    o.push_str("</section>");

    // Notes.
    let _ = write!(o, "<section><h2>Warnings and notes ({})</h2>", r.notes.len());
    if r.notes.is_empty() {
        o.push_str("<p>None.</p>");
    } else {
        o.push_str("<ul class=\"notes\">");
        for n in &r.notes {
            let _ = write!(
                o,
                "<li><span class=\"src\">{}</span> {}</li>",
                escape(&n.source),
                escape(&n.text)
            );
        }
        o.push_str("</ul>");
    }
    o.push_str("</section>");
    o.push_str("<p class=\"small\">Made by careblock from the method file above; the same inputs give the same page.</p></body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    fn square(x: f64, y: f64, s: f64) -> MultiPolygon<f64> {
        MultiPolygon::new(vec![polygon![
            (x: x, y: y), (x: x + s, y: y), (x: x + s, y: y + s), (x: x, y: y + s), (x: x, y: y)
        ]])
    }

    fn area(
        id: &str,
        label: &str,
        geom: Option<MultiPolygon<f64>>,
        rank: Option<u32>,
        class: Option<u32>,
    ) -> HtmlArea {
        HtmlArea {
            id: id.into(),
            label: Some(label.into()),
            geometry: geom,
            index: rank.map(|r| 100.0 - f64::from(r)),
            rank,
            class,
            rank_median: rank.map(f64::from),
            rank_p05: rank.map(|r| f64::from(r.saturating_sub(1).max(1))),
            rank_p95: rank.map(|r| f64::from(r + 2)),
            p_top_class: rank.map(|_| 0.5),
        }
    }

    fn report() -> HtmlReport {
        HtmlReport {
            title: "Test & <city>".into(),
            method_file: "m.toml".into(),
            crs: "EPSG:9377".into(),
            area_kind: "districts".into(),
            areas: (0..5)
                .map(|i| {
                    area(
                        &format!("D{i}"),
                        &format!("District {i}"),
                        Some(square(1000.0 * f64::from(i), 0.0, 1000.0)),
                        Some(i + 1),
                        Some(5 - i),
                    )
                })
                .collect(),
            class_bins: vec![10.0, 20.0, 30.0, 40.0, 100.0],
            draws: Some(100),
            top: 15,
            ..Default::default()
        }
    }

    #[test]
    fn labels_from_data_are_escaped() {
        let evil = "<script>alert(1)</script> & \"x\"";
        let mut r = report();
        r.title = evil.into();
        r.method_file = evil.into();
        r.crs = evil.into();
        r.areas[0].label = Some(evil.into());
        r.areas[1].id = evil.into();
        r.conservation.push(HtmlBalance {
            variable: evil.into(),
            source_total: 1.0,
            allocated: 1.0,
            unallocated: 0.0,
            missing: 0,
            relative_error: 0.0,
        });
        r.notes.push(HtmlNote {
            source: evil.into(),
            text: evil.into(),
        });
        r.sites.push(HtmlSite {
            kind: HtmlSiteKind::Proposed,
            point: Point::new(500.0, 500.0),
            rank: Some(1),
            id: evil.into(),
            label: Some(evil.into()),
            category: evil.into(),
        });
        r.siting = Some(HtmlSiting {
            radius: 800.0,
            objective: 5.0,
            bound: 6.0,
            total_demand: 10.0,
            curve: vec![HtmlCurveStep {
                rank: 1,
                id: evil.into(),
                label: Some(evil.into()),
                cumulative: 5.0,
            }],
            kpis: vec![HtmlKpi {
                name: evil.into(),
                before: Some(0.1),
                after: Some(0.5),
            }],
            ..Default::default()
        });
        let html = render_report(&r);
        assert!(!html.contains("<script"), "unescaped script tag");
        assert!(!html.contains(evil));
        assert!(!html.contains("& \"x"));
        assert!(!html.contains("\"x\""));
        // The escaped text is there, many times (title, tooltips, tables, notes).
        let escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;";
        assert!(
            html.matches(escaped).count() >= 8,
            "{}",
            html.matches(escaped).count()
        );
        // Every '&' in the page starts an entity.
        for (i, _) in html.match_indices('&') {
            let rest = &html[i..];
            assert!(
                ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                    .iter()
                    .any(|e| rest.starts_with(e)),
                "bare & at {}",
                &rest[..rest.len().min(20)]
            );
        }
    }

    #[test]
    fn world_to_svg_flips_y_and_keeps_the_aspect() {
        // 4 km wide, 2 km tall, into at most 820 x 900 px with 10 px padding.
        let world = Rect::new(Coord { x: 1000.0, y: 5000.0 }, Coord { x: 5000.0, y: 7000.0 });
        let f = Frame::fit(world, 820.0, 900.0, 10.0);
        assert!((f.width - 820.0).abs() < 1e-9);
        assert!((f.height - (10.0 + 400.0 + 10.0)).abs() < 1e-9, "{}", f.height);
        // North-west corner → top left, south-east → bottom right.
        let (x, y) = f.apply(Coord { x: 1000.0, y: 7000.0 });
        assert!((x - 10.0).abs() < 1e-9 && (y - 10.0).abs() < 1e-9);
        let (x, y) = f.apply(Coord { x: 5000.0, y: 5000.0 });
        assert!((x - 810.0).abs() < 1e-9 && (y - 410.0).abs() < 1e-9);
        // Going north goes up on the screen; the same distance is the same length both ways.
        let (_, ya) = f.apply(Coord { x: 2000.0, y: 6000.0 });
        let (_, yb) = f.apply(Coord { x: 2000.0, y: 6500.0 });
        let (xa, _) = f.apply(Coord { x: 2000.0, y: 6000.0 });
        let (xb, _) = f.apply(Coord { x: 2500.0, y: 6000.0 });
        assert!(yb < ya);
        assert!(((ya - yb) - (xb - xa)).abs() < 1e-9);
        // A tall world is limited by the height.
        let tall = Rect::new(
            Coord { x: 0.0, y: 0.0 },
            Coord {
                x: 1000.0,
                y: 10_000.0,
            },
        );
        let f = Frame::fit(tall, 820.0, 900.0, 10.0);
        assert!((f.height - 900.0).abs() < 1e-9 && f.width < 820.0);
        // Every point of the world lands inside the viewBox.
        for (wx, wy) in [(0.0, 0.0), (1000.0, 10_000.0), (500.0, 5000.0), (0.0, 10_000.0)] {
            let (x, y) = f.apply(Coord { x: wx, y: wy });
            assert!(x >= 0.0 && x <= f.width && y >= 0.0 && y <= f.height, "{x} {y}");
        }
        // A single point gets a frame too.
        let p = Rect::new(Coord { x: 3.0, y: 4.0 }, Coord { x: 3.0, y: 4.0 });
        let f = Frame::fit(p, 300.0, 300.0, 5.0);
        let (x, y) = f.apply(Coord { x: 3.0, y: 4.0 });
        assert!(f.scale.is_finite() && (x - 150.0).abs() < 1e-9 && (y - 150.0).abs() < 1e-9);
    }

    /// The numbers of every `d="M..."` of the area paths and every circle centre.
    fn svg_numbers(html: &str, key: &str) -> Vec<f64> {
        let mut out = Vec::new();
        for part in html.split(key).skip(1) {
            let end = part.find('"').unwrap_or(part.len());
            out.extend(
                part[..end]
                    .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
                    .filter(|s| !s.is_empty())
                    .filter_map(|s| s.parse::<f64>().ok()),
            );
        }
        out
    }

    #[test]
    fn map_coordinates_stay_in_the_view_box_with_one_decimal() {
        let mut r = report();
        r.sites.push(HtmlSite {
            kind: HtmlSiteKind::Existing,
            point: Point::new(4999.0, 999.0),
            rank: None,
            id: "e".into(),
            label: None,
            category: "existing".into(),
        });
        let html = render_report(&r);
        let vb = html.split("viewBox=\"0 0 ").nth(1).unwrap_or("");
        let dims: Vec<f64> = vb
            .split('"')
            .next()
            .unwrap_or("")
            .split(' ')
            .filter_map(|s| s.parse().ok())
            .collect();
        assert_eq!(dims.len(), 2);
        let map = html.split("class=\"areas\"").nth(1).unwrap_or("");
        let coords = svg_numbers(map.split("</g>").next().unwrap_or(""), " d=\"M");
        assert!(coords.len() >= 5 * 8, "{coords:?}");
        for c in &coords {
            assert!(*c >= 0.0 && *c <= dims[0].max(dims[1]), "{c} outside {dims:?}");
            assert!(
                ((c * 10.0).round() - c * 10.0).abs() < 1e-6,
                "{c} has more than one decimal"
            );
        }
        let cx = svg_numbers(&html, "<circle cx=\"");
        assert!(!cx.is_empty() && cx.iter().all(|x| *x >= 0.0 && *x <= dims[0]));
    }

    #[test]
    fn areas_without_geometry_or_rank_do_not_break_the_page() {
        let mut r = report();
        r.areas
            .push(area("NOGEOM", "No geometry", None, Some(6), Some(5)));
        r.areas.push(area(
            "EMPTY",
            "Empty",
            Some(MultiPolygon::new(vec![])),
            None,
            None,
        ));
        r.areas.push(area(
            "UNRANKED",
            "Unranked",
            Some(square(0.0, 1000.0, 1000.0)),
            None,
            None,
        ));
        r.areas.push(area(
            "BADCLASS",
            "Bad class",
            Some(square(1000.0, 1000.0, 1000.0)),
            Some(7),
            Some(9),
        ));
        let html = render_report(&r);
        assert!(html.ends_with("</html>\n"));
        // Unranked and out-of-range classes are drawn grey; the one without geometry is not drawn
        // but is still charted among the top areas.
        assert_eq!(html.matches("<path class=\"c0\"").count(), 2);
        assert!(html.contains("Unranked (UNRANKED): not ranked"));
        assert!(!html.contains("<path class=\"c5\" d=\"\""));
        assert!(html.contains("6. No geometry (NOGEOM)"));
        // Five classes drawn once each, plus two grey.
        for c in 1..=5 {
            assert_eq!(
                html.matches(&format!("<path class=\"c{c}\"")).count(),
                1,
                "class {c}"
            );
        }
        // A page with no geometry at all still renders.
        let mut r = report();
        for a in &mut r.areas {
            a.geometry = None;
            a.rank = None;
            a.class = None;
        }
        let html = render_report(&r);
        assert!(html.contains("No geometry to map.") && html.contains("Nothing is ranked."));
    }

    #[test]
    fn without_siting_there_is_a_map_but_no_curve() {
        let html = render_report(&report());
        assert!(html.contains("class=\"map\""));
        assert!(html.contains("no care blocks were sited"));
        assert!(!html.contains("ranking curve"));
        assert!(!html.contains("class=\"pr\"") || !html.contains("<circle cx"));
        // Same inputs → same bytes.
        assert_eq!(html, render_report(&report()));
        // Siting with no proposed block: a curve of one point, no table rows.
        let mut r = report();
        r.siting = Some(HtmlSiting {
            radius: 800.0,
            objective: 2.0,
            bound: 2.0,
            locked_in: 2.0,
            total_demand: 10.0,
            optimal: true,
            ..Default::default()
        });
        let html = render_report(&r);
        assert!(html.contains("aria-label=\"ranking curve\""));
        assert!(html.contains("existing blocks only: 20.0 %"));
        assert!(html.contains("proven optimal"));
    }

    #[test]
    fn number_formats() {
        assert_eq!(n1(12.345), "12.3");
        assert_eq!(n1(12.0), "12");
        assert_eq!(n1(-0.04), "0");
        assert_eq!(num(Some(7_136_912.0), 0), "7,136,912");
        assert_eq!(num(Some(-1234.56), 1), "-1,234.6");
        assert_eq!(num(Some(-0.00004), 1), "0.0");
        assert_eq!(num(None, 1), "–");
        assert_eq!(pct(Some(0.4052), 1), "40.5 %");
        assert_eq!(nice_length(3700.0), 2000.0);
        assert_eq!(nice_length(6000.0), 5000.0);
        assert_eq!(length_label(5000.0), "5 km");
        assert_eq!(length_label(500.0), "500 m");
        assert_eq!(
            class_colours(5),
            ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]
        );
        let c12 = class_colours(12);
        assert_eq!(c12.len(), 12);
        assert_eq!((c12[0].as_str(), c12[11].as_str()), ("#ffffcc", "#800026"));
    }

    #[test]
    fn a_long_ring_is_simplified_within_the_tolerance() {
        use geo::{Distance, Euclidean, Point};
        let n = LONG_RING * 2 + 11;
        let ring: LineString<f64> = (0..=n)
            .map(|i| {
                let t = std::f64::consts::TAU * (i % n) as f64 / n as f64;
                let r = 1000.0 + 0.5 * ((i * 7919) % 13) as f64 / 13.0 + 40.0 * (5.0 * t).sin();
                (r * t.cos(), r * t.sin())
            })
            .collect();
        let eps = 2.0;
        let s = simplified(&ring, eps);
        assert_eq!((s.0.first(), s.0.last()), (ring.0.first(), ring.0.last()));
        assert!(s.0.len() > 4 && s.0.len() < n / 20, "{} vertices kept", s.0.len());
        for (i, c) in ring.0.iter().enumerate().step_by(97) {
            let d = Euclidean.distance(&Point(*c), &s);
            assert!(d <= eps + 1e-9, "vertex {i} is {d} from the simplified ring");
        }
    }
}
