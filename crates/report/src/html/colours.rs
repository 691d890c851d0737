//! Class colours and the map frame (world metres to SVG pixels, y flipped).

use geo::{Coord, Rect};

/// ColorBrewer YlOrRd, 9 classes (the ramp other class counts are interpolated from).
pub(super) const YLORRD9: [&str; 9] = [
    "#ffffcc", "#ffeda0", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#bd0026", "#800026",
];
/// Colour of unranked areas.
pub(crate) const UNRANKED: &str = "#cccccc";
/// Background of the main map (nowhere else on the page, so a screenshot test can find the map).
pub const MAP_BACKGROUND: &str = "#e8f0f5";
/// Background of the overview map.
pub(super) const OVERVIEW_BACKGROUND: &str = "#f1efe6";

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
    pub(super) min_x: f64,
    pub(super) max_y: f64,
    pub(super) scale: f64,
    pub(super) pad: f64,
    pub(crate) width: f64,
    pub(crate) height: f64,
    pub(super) world: Rect<f64>,
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
    pub(super) fn visible(&self) -> Rect<f64> {
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
