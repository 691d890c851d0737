//! Deterministic stress shapes for the many-vertex tests and benchmarks: no data files, every
//! shape a function of its arguments (and a seed where there is noise).
//!
//! - [`circle`]: a fine convex circle (a census polygon digitised with a vertex every few
//!   centimetres, the case that made the convex clip quadratic);
//! - [`coastline`]: a noisy circle, concave at almost every vertex, simple by construction (the
//!   radius is a function of the angle);
//! - [`star`], [`comb`]: concave units; [`holed`]: a unit with a grid of holes;
//! - [`archipelago`]: a multipolygon of many small disjoint coastlines;
//! - [`tiles`]: a tiling of cells with wavy shared edges (ordinary units, districts or a coarse
//!   layer, with as many vertices per side as asked);
//! - [`streets`]: long wavy polylines (a street network);
//! - [`feature_collection`]: GeoJSON in EPSG:9377 (projected metres), to drive the CLI.
//!
//! Coordinates are EPSG:9377 metres around [`ORIGIN`] (Bogotá), so a layer written with
//! [`feature_collection`] reads as a valid projected layer.

#![allow(dead_code)]

use std::f64::consts::PI;
use std::fmt::Write;

use geo::{Coord, Geometry, LineString, MultiPolygon, Polygon};

/// A point in Bogotá in EPSG:9377 metres.
pub const ORIGIN: Coord<f64> = Coord {
    x: 4_880_000.0,
    y: 2_070_000.0,
};

/// SplitMix64: a small deterministic generator.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn at(center: Coord<f64>, r: f64, t: f64) -> Coord<f64> {
    Coord {
        x: center.x + r * t.cos(),
        y: center.y + r * t.sin(),
    }
}

fn closed(mut pts: Vec<Coord<f64>>) -> LineString<f64> {
    pts.push(pts[0]);
    LineString::new(pts)
}

/// A convex regular polygon of `n` vertices on a circle (counter-clockwise).
pub fn circle(center: Coord<f64>, radius: f64, n: usize) -> Polygon<f64> {
    let pts = (0..n)
        .map(|k| at(center, radius, 2.0 * PI * k as f64 / n as f64))
        .collect();
    Polygon::new(closed(pts), vec![])
}

/// A noisy circle of `n` vertices: the radius varies smoothly by up to ±17 % with the angle
/// (three waves of random phase) and by up to half the spacing between vertices from one vertex
/// to the next, so many vertices are reflex, like a digitised coastline. Simple: one vertex per
/// angle, at a positive radius.
pub fn coastline(center: Coord<f64>, radius: f64, n: usize, seed: u64) -> Polygon<f64> {
    let mut rng = Rng::new(seed);
    let phase: Vec<f64> = (0..3).map(|_| 2.0 * PI * rng.unit()).collect();
    let pts = (0..n)
        .map(|k| {
            let t = 2.0 * PI * k as f64 / n as f64;
            let wave = 0.1 * (3.0 * t + phase[0]).sin()
                + 0.05 * (17.0 * t + phase[1]).sin()
                + 0.02 * (101.0 * t + phase[2]).sin();
            // Noise of the order of the spacing between vertices (2πr/n), as a digitised line
            // has at any resolution; noise much larger than the spacing would make a hairbrush
            // of spikes, each crossing the boxes of hundreds of its neighbours.
            let jitter = 2.0 * PI / n as f64 * (rng.unit() - 0.5);
            at(center, radius * (1.0 + wave + jitter), t)
        })
        .collect();
    Polygon::new(closed(pts), vec![])
}

/// A star of `points` tips between radii `inner` and `outer`.
pub fn star(center: Coord<f64>, inner: f64, outer: f64, points: usize) -> Polygon<f64> {
    let pts = (0..2 * points)
        .map(|k| {
            let r = if k % 2 == 0 { outer } else { inner };
            at(center, r, PI * k as f64 / points as f64)
        })
        .collect();
    Polygon::new(closed(pts), vec![])
}

/// A comb: a bar of height `height / 4` along the bottom of the box `(x0, y0)`–`(x0 + width,
/// y0 + height)` with `teeth` teeth rising from it (counter-clockwise).
pub fn comb(x0: f64, y0: f64, width: f64, height: f64, teeth: usize) -> Polygon<f64> {
    let pitch = width / teeth as f64;
    let bar = height / 4.0;
    let mut pts = vec![Coord { x: x0, y: y0 }, Coord { x: x0 + width, y: y0 }];
    for k in (0..teeth).rev() {
        let left = x0 + pitch * k as f64;
        let right = if k + 1 == teeth {
            x0 + width
        } else {
            x0 + pitch * (k as f64 + 0.5)
        };
        if k + 1 < teeth {
            pts.push(Coord {
                x: right,
                y: y0 + bar,
            });
        }
        pts.push(Coord {
            x: right,
            y: y0 + height,
        });
        pts.push(Coord {
            x: left,
            y: y0 + height,
        });
        if k > 0 {
            pts.push(Coord { x: left, y: y0 + bar });
        }
    }
    Polygon::new(closed(pts), vec![])
}

/// A square of side `size` centred on `center` with `per_side × per_side` square holes
/// (clockwise), each a third of its cell.
pub fn holed(center: Coord<f64>, size: f64, per_side: usize) -> Polygon<f64> {
    let (x0, y0) = (center.x - size / 2.0, center.y - size / 2.0);
    let shell = closed(vec![
        Coord { x: x0, y: y0 },
        Coord { x: x0 + size, y: y0 },
        Coord {
            x: x0 + size,
            y: y0 + size,
        },
        Coord { x: x0, y: y0 + size },
    ]);
    let cell = size / per_side as f64;
    let mut holes = Vec::with_capacity(per_side * per_side);
    for i in 0..per_side {
        for j in 0..per_side {
            let (hx, hy) = (
                x0 + cell * (i as f64 + 1.0 / 3.0),
                y0 + cell * (j as f64 + 1.0 / 3.0),
            );
            let s = cell / 3.0;
            holes.push(closed(vec![
                Coord { x: hx, y: hy },
                Coord { x: hx, y: hy + s },
                Coord { x: hx + s, y: hy + s },
                Coord { x: hx + s, y: hy },
            ]));
        }
    }
    Polygon::new(shell, holes)
}

/// `parts` small coastlines of `vertices` vertices each, on a square grid of side `size`
/// centred on `center`, each within its own cell (so they do not overlap).
pub fn archipelago(
    center: Coord<f64>,
    size: f64,
    parts: usize,
    vertices: usize,
    seed: u64,
) -> MultiPolygon<f64> {
    let per_side = (parts as f64).sqrt().ceil() as usize;
    let cell = size / per_side as f64;
    let (x0, y0) = (center.x - size / 2.0, center.y - size / 2.0);
    MultiPolygon::new(
        (0..parts)
            .map(|k| {
                let (i, j) = (k % per_side, k / per_side);
                let c = Coord {
                    x: x0 + cell * (i as f64 + 0.5),
                    y: y0 + cell * (j as f64 + 0.5),
                };
                coastline(c, cell * 0.3, vertices.max(3), seed.wrapping_add(k as u64))
            })
            .collect(),
    )
}

/// A tiling of the box `min`–`max` into `nx × ny` cells whose shared sides are the same wavy
/// polylines of `per_side` segments (the outer sides straight), counter-clockwise, row by row:
/// a districts or coarse layer (few large cells) or a units layer (many small ones).
pub fn tiles(min: Coord<f64>, max: Coord<f64>, nx: usize, ny: usize, per_side: usize) -> Vec<Polygon<f64>> {
    let (w, h) = ((max.x - min.x) / nx as f64, (max.y - min.y) / ny as f64);
    let amp = 0.03 * w.min(h);
    let x = |i: usize| if i == nx { max.x } else { min.x + w * i as f64 };
    let y = |j: usize| if j == ny { max.y } else { min.y + h * j as f64 };
    // The side from corner (i, j) to (i, j + 1) (vertical) or (i + 1, j) (horizontal), without
    // its last corner; the offset vanishes at both corners and on the outer boundary.
    let side = |i: usize, j: usize, vertical: bool| -> Vec<Coord<f64>> {
        let outer = if vertical {
            i == 0 || i == nx
        } else {
            j == 0 || j == ny
        };
        let sign = if (i + 2 * j + usize::from(vertical)).is_multiple_of(3) {
            -1.0
        } else {
            1.0
        };
        (0..per_side)
            .map(|k| {
                let t = k as f64 / per_side as f64;
                let off = if outer {
                    0.0
                } else {
                    sign * amp * (3.0 * PI * t).sin()
                };
                if vertical {
                    Coord {
                        x: x(i) + off,
                        y: y(j) + (y(j + 1) - y(j)) * t,
                    }
                } else {
                    Coord {
                        x: x(i) + (x(i + 1) - x(i)) * t,
                        y: y(j) + off,
                    }
                }
            })
            .collect()
    };
    let reversed = |mut s: Vec<Coord<f64>>, end: Coord<f64>| {
        // The same side walked backwards: from `end` back to the point after its start.
        s.push(end);
        s.reverse();
        s.pop();
        s
    };
    let mut out = Vec::with_capacity(nx * ny);
    for j in 0..ny {
        for i in 0..nx {
            let mut ring = side(i, j, false);
            ring.extend(side(i + 1, j, true));
            ring.extend(reversed(
                side(i, j + 1, false),
                Coord {
                    x: x(i + 1),
                    y: y(j + 1),
                },
            ));
            ring.extend(reversed(side(i, j, true), Coord { x: x(i), y: y(j + 1) }));
            out.push(Polygon::new(closed(ring), vec![]));
        }
    }
    out
}

/// `lines` wavy streets of `vertices` vertices each across the box `min`–`max`, half running
/// east–west and half north–south (each crossing the others), as long polylines.
pub fn streets(
    min: Coord<f64>,
    max: Coord<f64>,
    lines: usize,
    vertices: usize,
    seed: u64,
) -> Vec<LineString<f64>> {
    let mut rng = Rng::new(seed);
    let (w, h) = (max.x - min.x, max.y - min.y);
    (0..lines)
        .map(|l| {
            let across = l % 2 == 0;
            let k = (l / 2) as f64 + 0.5;
            let n = lines.div_ceil(2) as f64;
            let phase = 2.0 * PI * rng.unit();
            LineString::new(
                (0..vertices)
                    .map(|v| {
                        let t = v as f64 / (vertices - 1) as f64;
                        let wave = 0.2 / n * (2.0 * PI * 5.0 * t + phase).sin();
                        if across {
                            Coord {
                                x: min.x + w * t,
                                y: min.y + h * (k / n + wave),
                            }
                        } else {
                            Coord {
                                x: min.x + w * (k / n + wave),
                                y: min.y + h * t,
                            }
                        }
                    })
                    .collect(),
            )
        })
        .collect()
}

fn write_ring(s: &mut String, ring: &LineString<f64>) {
    s.push('[');
    for (k, c) in ring.0.iter().enumerate() {
        if k > 0 {
            s.push(',');
        }
        // `{}` prints the shortest representation that reads back as the same float.
        write!(s, "[{},{}]", c.x, c.y).unwrap();
    }
    s.push(']');
}

fn write_polygon(s: &mut String, p: &Polygon<f64>) {
    s.push('[');
    write_ring(s, p.exterior());
    for h in p.interiors() {
        s.push(',');
        write_ring(s, h);
    }
    s.push(']');
}

/// One feature for [`feature_collection`]: its id, geometry and numeric properties.
pub type Feature<'a> = (String, Geometry<f64>, Vec<(&'a str, f64)>);

/// A GeoJSON FeatureCollection in EPSG:9377 (a `crs` member, as careblock reads it) of
/// polygons, multipolygons and linestrings, each with an `id` and numeric properties. The
/// coordinates are written exactly (shortest round-trip form).
pub fn feature_collection(features: &[Feature<'_>]) -> String {
    let mut s = String::from(
        r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::9377"}},"features":["#,
    );
    for (k, (id, g, props)) in features.iter().enumerate() {
        if k > 0 {
            s.push(',');
        }
        write!(s, r#"{{"type":"Feature","properties":{{"id":"{id}""#).unwrap();
        for (name, v) in props {
            write!(s, r#","{name}":{v}"#).unwrap();
        }
        s.push_str(r#"},"geometry":"#);
        match g {
            Geometry::Polygon(p) => {
                s.push_str(r#"{"type":"Polygon","coordinates":"#);
                write_polygon(&mut s, p);
            }
            Geometry::MultiPolygon(mp) => {
                s.push_str(r#"{"type":"MultiPolygon","coordinates":["#);
                for (i, p) in mp.0.iter().enumerate() {
                    if i > 0 {
                        s.push(',');
                    }
                    write_polygon(&mut s, p);
                }
                s.push(']');
            }
            Geometry::LineString(l) => {
                s.push_str(r#"{"type":"LineString","coordinates":"#);
                write_ring(&mut s, l);
            }
            other => panic!("feature_collection does not write {other:?}"),
        }
        s.push_str("}}");
    }
    s.push_str("]}\n");
    s
}
