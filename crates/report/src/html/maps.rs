//! The maps: areas by class, sites, catchments and uncovered units, the overview, the legend;
//! polygons simplified to the map's resolution.

use std::fmt::Write as _;

use careblock_text::{Arg, Lang};

use super::colours::Frame;
use super::format::{area_name, n1, num_in, pct_in, site_name};
use super::kind_word;
use super::model::{HtmlArea, HtmlReport, HtmlSite, HtmlSiteKind, escape};
use geo::{Area, BoundingRect, Coord, LineString, MultiPolygon, Rect, Simplify};
use rayon::prelude::*;

/// A ring as an SVG subpath: transformed, rounded to one decimal, repeated points dropped;
/// nothing if fewer than three distinct points remain.
pub(crate) fn ring_path(out: &mut String, ring: &LineString<f64>, frame: &Frame) {
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
pub(crate) const LONG_RING: usize = 1 << 15;

/// `ring` simplified (Ramer–Douglas–Peucker, tolerance `eps`). A ring of more than
/// [`LONG_RING`] vertices (a coastline) is simplified in stretches of half that, in parallel,
/// each keeping its two ends: every dropped vertex is still within `eps` of the line drawn, and
/// the cost stays linear in the ring's length.
pub(crate) fn simplified(ring: &LineString<f64>, eps: f64) -> LineString<f64> {
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

pub(crate) fn polygon_path(mp: &MultiPolygon<f64>, frame: &Frame, eps: f64) -> String {
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

pub(super) fn rect_intersects(a: &Rect<f64>, b: &Rect<f64>) -> bool {
    a.min().x <= b.max().x && b.min().x <= a.max().x && a.min().y <= b.max().y && b.min().y <= a.max().y
}

pub(crate) fn union(a: Option<Rect<f64>>, b: Rect<f64>) -> Rect<f64> {
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
pub(super) fn extents(r: &HtmlReport) -> Option<(Rect<f64>, Rect<f64>)> {
    let sized: Vec<(f64, Rect<f64>)> = r
        .areas
        .iter()
        .filter_map(|a| a.geometry.as_ref())
        .filter_map(|g| Some((g.unsigned_area(), g.bounding_rect()?)))
        .collect();
    let points: Vec<Rect<f64>> = r.sites.iter().map(|s| Rect::new(s.point.0, s.point.0)).collect();
    framing(&sized, &points)
}

/// The extent of `areas` (each with its area) and `points`, and the extent a map of them is
/// framed on: the points and the areas of ordinary size (an area over 20 times the median area
/// is left out), unless that is most (over 60 %) of the whole. `None` if both are empty. The
/// report's main map, the QGIS project and the comparison's map are all framed by it.
pub(crate) fn framing(areas: &[(f64, Rect<f64>)], points: &[Rect<f64>]) -> Option<(Rect<f64>, Rect<f64>)> {
    let full = areas
        .iter()
        .map(|(_, b)| *b)
        .chain(points.iter().copied())
        .reduce(|a, b| union(Some(a), b))?;
    let mut sizes: Vec<f64> = areas.iter().map(|(a, _)| *a).collect();
    sizes.sort_by(f64::total_cmp);
    let median = sizes.get(sizes.len() / 2).copied().unwrap_or(0.0);
    let focus = areas
        .iter()
        .filter(|(a, _)| *a <= 20.0 * median)
        .map(|(_, b)| *b)
        .chain(points.iter().copied())
        .reduce(|a, b| union(Some(a), b))
        .unwrap_or(full);
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
pub(super) fn class_of(a: &HtmlArea, k: usize) -> usize {
    match a.class {
        Some(c) if c >= 1 && (c as usize) <= k => c as usize,
        _ => 0,
    }
}

/// The area polygons of one map. On the main map (`layer` given: `districts` or `units`) each
/// has a tooltip and its index in `data-i` for the viewer, and the group is that layer (the
/// units start hidden).
pub(super) fn areas_svg(
    out: &mut String,
    lang: Lang,
    areas: &[HtmlArea],
    k: usize,
    frame: &Frame,
    eps: f64,
    layer: Option<&str>,
) {
    let tooltips = layer.is_some();
    let visible = frame.visible();
    match layer {
        Some("units") => {
            out.push_str("<g class=\"areas units\" data-layer=\"units\" style=\"display:none\">")
        }
        Some(l) => {
            let _ = write!(out, "<g class=\"areas\" data-layer=\"{l}\">");
        }
        None => out.push_str("<g class=\"areas\">"),
    }
    for (i, a) in areas.iter().enumerate() {
        let Some(g) = a.geometry.as_ref() else { continue };
        let Some(b) = g.bounding_rect() else { continue };
        // The main map draws every area (the viewer pans to those beyond the frame); the
        // overview only what it shows.
        if !tooltips && !rect_intersects(&b, &visible) {
            continue;
        }
        let d = polygon_path(g, frame, eps);
        if d.is_empty() {
            continue;
        }
        let _ = write!(out, "<path class=\"c{}\" d=\"{d}\"", class_of(a, k));
        if tooltips {
            let _ = write!(out, " data-i=\"{i}\"");
            let what = match (a.rank, a.class) {
                (Some(rank), Some(class)) => lang.fmt(
                    "report.map.area_tip",
                    &[
                        ("index", Arg::from(num_in(lang, a.index, 1))),
                        ("rank", Arg::from(rank)),
                        ("class", Arg::from(class)),
                        (
                            "p_top",
                            Arg::from(
                                a.p_top_class
                                    .map(|p| {
                                        lang.fmt(
                                            "report.map.area_tip_p_top",
                                            &[("share", Arg::from(pct_in(lang, Some(p), 0)))],
                                        )
                                    })
                                    .unwrap_or_default(),
                            ),
                        ),
                    ],
                ),
                _ => lang.t("report.map.not_ranked").to_string(),
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
pub(super) fn nice_length(target: f64) -> f64 {
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

pub(super) fn length_label(lang: Lang, m: f64) -> String {
    if m >= 1000.0 {
        format!(
            "{} km",
            num_in(lang, Some(m / 1000.0), if m % 1000.0 == 0.0 { 0 } else { 1 })
        )
    } else {
        format!("{} m", num_in(lang, Some(m), 0))
    }
}

/// The main map: areas, catchment radii, sites, scale bar.
pub(super) fn main_map(out: &mut String, r: &HtmlReport, frame: &Frame) {
    let lang = r.lang;
    let eps = frame.world.width().max(frame.world.height()) / 1500.0;
    let _ = write!(
        out,
        "<svg class=\"map\" id=\"cb-map\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{label}\"><rect class=\"bg\" width=\"{w}\" height=\"{h}\"/>",
        w = n1(frame.width),
        h = n1(frame.height),
        label = lang.t("report.map.label")
    );
    let k = r.class_bins.len();
    out.push_str("<g id=\"cb-view\">");
    areas_svg(out, lang, &r.areas, k, frame, eps, Some(r.area_kind.as_str()));
    if !r.units.is_empty() {
        areas_svg(out, lang, &r.units, k, frame, eps, Some("units"));
    }
    // Catchments (walking radius) of the existing and proposed blocks.
    if let Some(s) = &r.siting
        && s.radius > 0.0
    {
        let rad = n1(s.radius * frame.scale);
        out.push_str("<g class=\"catch\" data-layer=\"catchments\">");
        for site in r.sites.iter().filter(|s| s.kind != HtmlSiteKind::Bus) {
            let (x, y) = frame.apply(site.point.0);
            let _ = write!(out, "<circle cx=\"{}\" cy=\"{}\" r=\"{rad}\"/>", n1(x), n1(y));
        }
        out.push_str("</g>");
    }
    let tip = |s: &HtmlSite| {
        let rank = [("rank", Arg::from(s.rank.unwrap_or(0)))];
        let what = match s.kind {
            HtmlSiteKind::Existing => lang.t("report.map.existing").to_string(),
            HtmlSiteKind::Proposed => lang.fmt("report.map.proposed", &rank),
            HtmlSiteKind::Bus => lang.fmt("report.map.bus", &rank),
        };
        escape(&format!(
            "{what}: {} — {}",
            site_name(&s.id, s.label.as_deref()),
            s.category
        ))
    };
    let of_kind = |kind: HtmlSiteKind| r.sites.iter().enumerate().filter(move |(_, s)| s.kind == kind);
    out.push_str("<g class=\"ex\" data-layer=\"existing\">");
    for (i, s) in of_kind(HtmlSiteKind::Existing) {
        let (x, y) = frame.apply(s.point.0);
        let _ = write!(
            out,
            "<circle cx=\"{}\" cy=\"{}\" r=\"5\" data-r=\"5\" data-i=\"{i}\"><title>{}</title></circle>",
            n1(x),
            n1(y),
            tip(s)
        );
    }
    out.push_str("</g><g class=\"bus\" data-layer=\"bus\">");
    for (i, s) in of_kind(HtmlSiteKind::Bus) {
        let (x, y) = frame.apply(s.point.0);
        let _ = write!(
            out,
            "<path d=\"M{} {}l6 10.4h-12z\" data-tri=\"{} {}\" data-i=\"{i}\"><title>{}</title></path>",
            n1(x),
            n1(y - 6.9),
            n1(x),
            n1(y),
            tip(s)
        );
    }
    out.push_str("</g><g class=\"pr\" data-layer=\"proposed\">");
    // Highest rank drawn last, so number 1 is on top.
    let mut proposed: Vec<(usize, &HtmlSite)> = of_kind(HtmlSiteKind::Proposed).collect();
    proposed.sort_by_key(|(_, s)| std::cmp::Reverse(s.rank.unwrap_or(usize::MAX)));
    for (i, s) in proposed {
        let (x, y) = frame.apply(s.point.0);
        let (x, y) = (n1(x), n1(y));
        let _ = write!(
            out,
            "<g data-i=\"{i}\"><title>{}</title><circle cx=\"{x}\" cy=\"{y}\" r=\"8.5\" data-r=\"8.5\"/><text x=\"{x}\" y=\"{y}\" dy=\"3.3\" data-r=\"9.5\">{}</text></g>",
            tip(s),
            s.rank.map(|r| r.to_string()).unwrap_or_default()
        );
    }
    out.push_str("</g></g>");
    // Scale bar, bottom left.
    let len = nice_length(frame.width / frame.scale / 5.0);
    let px = len * frame.scale;
    let (x0, y0) = (14.0, frame.height - 16.0);
    let bar = length_label(lang, len);
    let _ = write!(
        out,
        "<g class=\"scale\"><rect id=\"cb-bar-box\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"22\" rx=\"3\"/><path id=\"cb-bar\" d=\"M{} {}v6h{}v-6\"/><text id=\"cb-bar-text\" x=\"{}\" y=\"{}\">{}</text></g>",
        n1(x0 - 6.0),
        n1(y0 - 16.0),
        n1(px + 12.0 + 8.0 + 7.0 * bar.chars().count() as f64),
        n1(x0),
        n1(y0 - 2.0),
        n1(px),
        n1(x0 + px + 6.0),
        n1(y0 + 2.0),
        bar
    );
    let _ = write!(
        out,
        "<text class=\"north\" x=\"{}\" y=\"22\">{}</text></svg>",
        n1(frame.width - 12.0),
        lang.t("report.map.north")
    );
}

/// The overview map: every area, the main map's frame as a rectangle.
pub(super) fn overview_map(out: &mut String, r: &HtmlReport, frame: &Frame, focus: &Rect<f64>) {
    let eps = frame.world.width().max(frame.world.height()) / 600.0;
    let _ = write!(
        out,
        "<svg class=\"map\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{label}\"><rect class=\"bg ov\" width=\"{w}\" height=\"{h}\"/>",
        w = n1(frame.width),
        h = n1(frame.height),
        label = r.lang.t("report.map.overview_label")
    );
    areas_svg(out, r.lang, &r.areas, r.class_bins.len(), frame, eps, None);
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
pub(super) fn legend(out: &mut String, r: &HtmlReport) {
    let lang = r.lang;
    let num = |v: Option<f64>, d: usize| num_in(lang, v, d);
    let k = r.class_bins.len();
    let counts = |c: usize| r.areas.iter().filter(|a| class_of(a, k) == c).count();
    let min_index = r
        .areas
        .iter()
        .filter_map(|a| a.index)
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min);
    let _ = write!(
        out,
        "<div class=\"legend\"><h3>{}</h3><table>",
        lang.t("report.legend.heading")
    );
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
        let class = [("class", Arg::from(c))];
        let name = if c == k {
            lang.fmt("report.legend.highest", &class)
        } else if c == 1 {
            lang.fmt("report.legend.lowest", &class)
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
        "<tr><td><span class=\"sw c0\"></span></td><td>{}</td><td></td><td class=\"n\">{}</td></tr></table>",
        lang.t("report.legend.not_ranked"),
        counts(0)
    );
    let _ = write!(
        out,
        "<p class=\"small\">{}</p>",
        lang.fmt(
            "report.legend.note",
            &[("kind", Arg::from(escape(&kind_word(lang, &r.area_kind))))]
        )
    );
    if !r.sites.is_empty() {
        let n = |kind| r.sites.iter().filter(|s| s.kind == kind).count();
        let _ = write!(out, "<h3>{}</h3><table>", lang.t("report.legend.sites"));
        let _ = write!(
            out,
            "<tr><td><svg width=\"18\" height=\"18\"><circle cx=\"9\" cy=\"9\" r=\"5\" fill=\"#2166ac\" stroke=\"#fff\"/></svg></td><td>{}</td><td class=\"n\">{}</td></tr>",
            lang.t("report.legend.existing"),
            n(HtmlSiteKind::Existing)
        );
        let _ = write!(
            out,
            "<tr><td><svg width=\"18\" height=\"18\"><circle cx=\"9\" cy=\"9\" r=\"7.5\" fill=\"#1a9850\" stroke=\"#000\"/></svg></td><td>{}</td><td class=\"n\">{}</td></tr>",
            lang.t("report.legend.proposed"),
            n(HtmlSiteKind::Proposed)
        );
        let _ = write!(
            out,
            "<tr><td><svg width=\"18\" height=\"18\"><path d=\"M9 2l6 10.4H3z\" fill=\"#762a83\" stroke=\"#fff\"/></svg></td><td>{}</td><td class=\"n\">{}</td></tr>",
            lang.t("report.legend.bus"),
            n(HtmlSiteKind::Bus)
        );
        if let Some(s) = &r.siting {
            let _ = write!(
                out,
                "<tr><td><svg width=\"18\" height=\"18\"><circle cx=\"9\" cy=\"9\" r=\"7\" fill=\"none\" stroke=\"#333\" stroke-dasharray=\"2 2\"/></svg></td><td>{}</td><td></td></tr>",
                lang.fmt(
                    "report.legend.radius",
                    &[("metres", Arg::from(num(Some(s.radius), 0)))]
                )
            );
        }
        out.push_str("</table>");
    }
    let _ = write!(
        out,
        "<p class=\"small\">{}</p></div>",
        lang.t("report.legend.hover")
    );
}
