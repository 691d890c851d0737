//! Areal-weighted interpolation with tobler's semantics, and its conservation report.
//!
//! For source polygon `i` and target `j`, let `a_ij = area(i ∩ j)` and `A_i = area(i)`.
//! * Extensive variables (counts): `v_j = Σ_i v_i · w_ij` with `w_ij = a_ij / A_i`, or, with
//!   `allocate_total` (tobler's default), `w_ij = a_ij / Σ_k a_ik` so that a source partly
//!   outside every target still hands its whole count to the targets it touches.
//! * Intensive variables (rates, means): `v_j = Σ_i v_i · a_ij / Σ_i a_ij`, the area-weighted mean
//!   over the sources that have a value (tobler counts a missing value as 0 instead).
//!
//! Every count that enters leaves: per variable, Σ source = Σ allocated + Σ unallocated, where
//! the unallocated mass is that of sources (partly) outside every target.

use std::borrow::Cow;

use geo::{Area, MultiPolygon, Polygon};
use rayon::prelude::*;

use super::boxes::parts_rect;
use super::clip::parts_area;
use super::interior::InteriorGrid;
use super::overlay::{PolygonIndex, Scratch};
use crate::error::{CrsError, JoinError};
use crate::layer::{Layer, borrowed_parts};
use crate::validate::validate;

/// The sparse table of intersection areas `a_ij` (one row per source), with each source's own
/// area.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaTable {
    n_targets: usize,
    source_area: Vec<f64>,
    offsets: Vec<usize>,
    entries: Vec<(u32, f64)>,
}

impl AreaTable {
    /// Computes `a_ij` for every source against every target, in parallel over sources. The
    /// result does not depend on the number of threads.
    pub fn build(sources: &[MultiPolygon<f64>], targets: &[MultiPolygon<f64>]) -> AreaTable {
        let index = PolygonIndex::new(targets);
        Self::build_with(sources, &index)
    }

    /// Like [`AreaTable::build`], the sources given as slices of polygons where they lie (a
    /// layer's [`polygon_parts`](crate::Layer::polygon_parts)).
    pub fn build_from_parts(sources: &[Cow<'_, [Polygon<f64>]>], targets: &[MultiPolygon<f64>]) -> AreaTable {
        Self::build_parts(sources, |s| s.as_ref(), &PolygonIndex::new(targets))
    }

    /// Like [`AreaTable::build`], reusing a prepared target index.
    pub fn build_with(sources: &[MultiPolygon<f64>], index: &PolygonIndex<'_>) -> AreaTable {
        Self::build_parts(sources, |s| &s.0, index)
    }

    /// The table of sources given as slices of polygons (`parts` of each source), in parallel
    /// over blocks of sources with per-thread buffers; the result does not depend on the number
    /// of threads (each block's rows are computed in order and the blocks concatenated).
    pub fn build_parts<S: Sync>(
        sources: &[S],
        parts: impl Fn(&S) -> &[Polygon<f64>] + Sync,
        index: &PolygonIndex<'_>,
    ) -> AreaTable {
        const BLOCK: usize = 2048;
        struct Block {
            area: Vec<f64>,
            /// Row lengths.
            len: Vec<u32>,
            entries: Vec<(u32, f64)>,
        }
        let grid = interior_grid(sources, &parts, index);
        let blocks: Vec<Block> = sources
            .par_chunks(BLOCK)
            .map_init(Scratch::default, |scratch, chunk| {
                let mut b = Block {
                    area: Vec::with_capacity(chunk.len()),
                    len: Vec::with_capacity(chunk.len()),
                    entries: Vec::with_capacity(chunk.len() * 2),
                };
                for s in chunk {
                    let p = parts(s);
                    let area = parts_area(p);
                    let before = b.entries.len();
                    // Clean cells of the grid answer first for the shapes that lie in them.
                    if let Some(rect) = parts_rect(p)
                        && !grid
                            .as_ref()
                            .is_some_and(|g| g.answer(p, &rect, area, &mut b.entries))
                    {
                        index.overlaps_into(p, rect, area, 0, scratch, &mut b.entries);
                    }
                    b.area.push(area);
                    b.len.push((b.entries.len() - before) as u32);
                }
                b
            })
            .collect();
        let mut offsets = Vec::with_capacity(sources.len() + 1);
        offsets.push(0);
        let mut entries = Vec::with_capacity(blocks.iter().map(|b| b.entries.len()).sum());
        let mut source_area = Vec::with_capacity(sources.len());
        for b in blocks {
            source_area.extend(b.area);
            let mut end = entries.len();
            for n in b.len {
                end += n as usize;
                offsets.push(end);
            }
            entries.extend(b.entries);
        }
        AreaTable {
            n_targets: index.polygons().len(),
            source_area,
            offsets,
            entries,
        }
    }

    /// Number of sources (rows).
    pub fn n_sources(&self) -> usize {
        self.source_area.len()
    }

    /// Number of targets (columns).
    pub fn n_targets(&self) -> usize {
        self.n_targets
    }

    /// The `(target, a_ij)` pairs of source `i`, in increasing target order.
    pub fn row(&self, i: usize) -> &[(u32, f64)] {
        &self.entries[self.offsets[i]..self.offsets[i + 1]]
    }

    /// The area of source `i`.
    pub fn source_area(&self, i: usize) -> f64 {
        self.source_area[i]
    }

    /// The share of source `i`'s area that lies in some target (`Σ_j a_ij / A_i`; above 1 when
    /// targets overlap; 0 for a source of area 0).
    pub fn covered_fraction(&self, i: usize) -> f64 {
        let a = self.source_area[i];
        if a > 0.0 {
            // fold from +0.0: `sum` of no entries is -0.0, which JSON would print as `-0.0`.
            self.row(i).iter().fold(0.0, |s, e| s + e.1) / a
        } else {
            0.0
        }
    }

    /// The weights `w_ij` of source `i` (see the module docs).
    fn weights(&self, i: usize, allocate_total: bool) -> impl Iterator<Item = (usize, f64)> + '_ {
        let den = if allocate_total {
            self.row(i).iter().map(|e| e.1).sum::<f64>()
        } else {
            self.source_area[i]
        };
        self.row(i)
            .iter()
            .map(move |&(j, a)| (j as usize, if den > 0.0 { a / den } else { 0.0 }))
    }

    /// Allocates one extensive variable; returns the per-target totals and the balance.
    pub fn allocate_extensive(&self, values: &[Option<f64>], allocate_total: bool) -> (Vec<f64>, Balance) {
        let mut out = vec![0.0; self.n_targets];
        let mut balance = Balance::default();
        for (i, v) in values.iter().enumerate() {
            let Some(v) = *v else {
                balance.missing += 1;
                continue;
            };
            balance.source_total += v;
            let mut given = 0.0;
            for (j, w) in self.weights(i, allocate_total) {
                out[j] += v * w;
                given += v * w;
            }
            balance.allocated += given;
            balance.unallocated += v - given;
        }
        (out, balance)
    }

    /// Interpolates one intensive variable (area-weighted mean over sources with a value);
    /// `None` for a target that no source with a value touches.
    pub fn allocate_intensive(&self, values: &[Option<f64>]) -> Vec<Option<f64>> {
        let mut num = vec![0.0; self.n_targets];
        let mut den = vec![0.0; self.n_targets];
        for (i, v) in values.iter().enumerate() {
            let Some(v) = *v else { continue };
            for &(j, a) in self.row(i) {
                num[j as usize] += v * a;
                den[j as usize] += a;
            }
        }
        num.into_iter()
            .zip(den)
            .map(|(n, d)| (d > 0.0).then(|| n / d))
            .collect()
    }
}

/// Where the mass of one extensive variable went.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Balance {
    /// Σ of the source values (missing values excluded).
    pub source_total: f64,
    /// Σ of what the targets received.
    pub allocated: f64,
    /// Σ of what no target received (sources outside every target); negative only when
    /// overlapping targets received more than a source had (`allocate_total` off).
    pub unallocated: f64,
    /// Number of sources whose value is missing (null, NaN or masked).
    pub missing: usize,
}

impl Balance {
    /// `|Σ source − (Σ allocated + Σ unallocated)| / max(1, |Σ source|)`: floating-point noise
    /// only, if the join lost nothing.
    pub fn relative_error(&self) -> f64 {
        (self.source_total - (self.allocated + self.unallocated)).abs() / self.source_total.abs().max(1.0)
    }
}

/// A source that lies partly or wholly outside every target.
#[derive(Debug, Clone, PartialEq)]
pub struct OutsideSource {
    /// The source's id.
    pub id: String,
    /// The share of its area inside some target (0 = wholly outside).
    pub covered_fraction: f64,
}

/// Two targets that overlap (their shared area is counted twice without `allocate_total`).
#[derive(Debug, Clone, PartialEq)]
pub struct TargetOverlap {
    /// First target's id.
    pub a: String,
    /// Second target's id.
    pub b: String,
    /// Area of their intersection, in square metres.
    pub area: f64,
}

/// The conservation report of an interpolation.
#[derive(Debug, Clone, PartialEq)]
pub struct ConservationReport {
    /// One balance per extensive variable, in the order asked.
    pub variables: Vec<(String, Balance)>,
    /// Sources partly (coverage below `1 − tolerance`) or wholly outside every target.
    pub outside: Vec<OutsideSource>,
    /// Target pairs whose overlap exceeds `tolerance` × the smaller one's area.
    pub overlaps: Vec<TargetOverlap>,
    /// Whether `allocate_total` was on.
    pub allocate_total: bool,
}

/// Options of [`area_interpolate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InterpolateOptions {
    /// tobler's `allocate_total`: hand a partly-outside source's whole count to the targets it
    /// touches (default true).
    pub allocate_total: bool,
    /// Relative tolerance below which a source counts as fully covered and an overlap as
    /// boundary noise (default 1e-6).
    pub tolerance: f64,
    /// Whether both layers have passed [`crate::validate`] already (as `careblock interpolate`
    /// checks, or repairs, them when it reads them): then only their CRSs are checked here.
    /// `false` (the default): both are validated first and invalid polygons refused.
    pub validated: bool,
}

impl Default for InterpolateOptions {
    fn default() -> Self {
        InterpolateOptions {
            allocate_total: true,
            tolerance: 1e-6,
            validated: false,
        }
    }
}

/// The result of [`area_interpolate`], with columns in the order asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Interpolated {
    /// The target ids, in target order.
    pub target_ids: Vec<String>,
    /// One column per extensive variable.
    pub extensive: Vec<(String, Vec<f64>)>,
    /// One column per intensive variable.
    pub intensive: Vec<(String, Vec<Option<f64>>)>,
    /// Where every count went.
    pub report: ConservationReport,
}

/// Sources sampled to choose the interior grid's cell.
const GRID_SAMPLE: usize = 1024;

/// The interior grid of the targets for these sources (see [`InteriorGrid`]): cells as wide as
/// the median extent of a sample of sources (evenly spaced through the layer, so the same for
/// any thread count), so that most sources span two cells per axis, and at most twice as many
/// cells as sources (plus 4096). `None` when no source has an extent.
fn interior_grid<S>(
    sources: &[S],
    parts: &impl Fn(&S) -> &[Polygon<f64>],
    index: &PolygonIndex<'_>,
) -> Option<InteriorGrid> {
    let step = sources.len().div_ceil(GRID_SAMPLE).max(1);
    let mut extents: Vec<f64> = sources
        .iter()
        .step_by(step)
        .filter_map(|s| parts_rect(parts(s)))
        .map(|r| r.width().max(r.height()))
        .filter(|e| *e > 0.0)
        .collect();
    if extents.is_empty() {
        return None;
    }
    let mid = extents.len() / 2;
    let (_, median, _) = extents.select_nth_unstable_by(mid, f64::total_cmp);
    InteriorGrid::new(index, *median, 2 * sources.len() + 4096)
}

fn ensure_projected(l: &Layer) -> Result<(), CrsError> {
    if l.crs.is_geographic() {
        return Err(CrsError::NotProjected {
            layer: l.name.clone(),
            crs: l.crs.to_string(),
        });
    }
    Ok(())
}

/// Refuses layers in degrees, layers in different CRSs, and polygons that are invalid (a join
/// over them would be silently wrong).
pub fn check_join_inputs(a: &Layer, b: &Layer) -> Result<(), JoinError> {
    check_join(a, b, (false, false))
}

/// [`check_join_inputs`] for layers of which some were validated already (`validated`: `a`'s
/// and `b`'s), as a pipeline that validated every polygon layer as it loaded it: only the
/// others' geometries are validated (a national units layer is not validated again at every
/// join); the CRSs are always checked.
pub fn check_join(a: &Layer, b: &Layer, validated: (bool, bool)) -> Result<(), JoinError> {
    ensure_projected(a)?;
    ensure_projected(b)?;
    if a.crs != b.crs {
        return Err(CrsError::Mismatch {
            a: a.name.clone(),
            crs_a: a.crs.to_string(),
            b: b.name.clone(),
            crs_b: b.crs.to_string(),
        }
        .into());
    }
    for (l, done) in [(a, validated.0), (b, validated.1)] {
        if done {
            continue;
        }
        let report = validate(l);
        let blocking: Vec<_> = report.blocking().collect();
        if let Some(first) = blocking.first() {
            return Err(JoinError::InvalidGeometry {
                layer: l.name.clone(),
                count: blocking.len(),
                plural: if blocking.len() == 1 { "y" } else { "ies" },
                first_id: first.id.clone(),
                first_problem: first.problem.clone(),
            });
        }
    }
    Ok(())
}

/// Overlapping target pairs (area above `tolerance` × the smaller polygon's area).
pub fn target_overlaps(
    target: &Layer,
    polygons: &[MultiPolygon<f64>],
    index: &PolygonIndex<'_>,
    tolerance: f64,
) -> Vec<TargetOverlap> {
    let areas: Vec<f64> = polygons.par_iter().map(|p| p.unsigned_area()).collect();
    let pairs: Vec<Vec<TargetOverlap>> = polygons
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
            index
                .overlaps_from(p, areas[i], i as u32 + 1)
                .into_iter()
                .filter(|&(j, area)| {
                    let j = j as usize;
                    j > i && area > tolerance * areas[i].min(areas[j])
                })
                .map(|(j, area)| TargetOverlap {
                    a: target.ids[i].clone(),
                    b: target.ids[j as usize].clone(),
                    area,
                })
                .collect()
        })
        .collect();
    pairs.into_iter().flatten().collect()
}

/// Interpolates `extensive` and `intensive` columns of `source` onto `target` polygons. Both
/// layers must be in the same projected CRS and have valid polygons (null geometries are
/// allowed: their counts are reported unallocated).
pub fn area_interpolate(
    source: &Layer,
    target: &Layer,
    extensive: &[&str],
    intensive: &[&str],
    options: InterpolateOptions,
) -> Result<Interpolated, JoinError> {
    check_join(source, target, (options.validated, options.validated))?;
    // A misspelt column fails before the area table is built.
    for c in extensive.iter().chain(intensive) {
        source.has_column(c)?;
    }
    // The sources' polygons borrowed where they are: a census layer is not copied, nor is a
    // list of views of it built, unless some geometry needs converting (a `Rect`) or is not
    // polygonal (the error).
    let geometries = &source.geometries;
    let converted = if geometries.par_iter().all(|g| borrowed_parts(g).is_some()) {
        None
    } else {
        Some(source.polygon_parts()?)
    };
    let targets = target.polygons()?;
    let index = PolygonIndex::new(&targets);
    let table = match &converted {
        None => AreaTable::build_parts(geometries, |g| borrowed_parts(g).unwrap_or_default(), &index),
        Some(parts) => AreaTable::build_parts(parts, |s| s.as_ref(), &index),
    };
    drop(converted);

    // One task per variable, each reading its column only while it allocates it, so a
    // national layer never holds every column as floats at once. The first error in the
    // order asked wins, whatever the thread count.
    let ext: Vec<Result<_, JoinError>> = extensive
        .par_iter()
        .map(|name| {
            let values = source.count_column(name)?;
            let (column, balance) = table.allocate_extensive(&values, options.allocate_total);
            Ok(((name.to_string(), column), (name.to_string(), balance)))
        })
        .collect();
    let (ext_out, balances): (Vec<_>, Vec<_>) = ext
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .unzip();
    let int: Vec<Result<_, JoinError>> = intensive
        .par_iter()
        .map(|name| {
            let values = source.numeric_column(name)?;
            Ok((name.to_string(), table.allocate_intensive(&values)))
        })
        .collect();
    let int_out = int.into_iter().collect::<Result<Vec<_>, _>>()?;
    let outside = (0..table.n_sources())
        .filter_map(|i| {
            let f = table.covered_fraction(i);
            (f < 1.0 - options.tolerance).then(|| OutsideSource {
                id: source.ids[i].clone(),
                covered_fraction: f,
            })
        })
        .collect();
    let overlaps = target_overlaps(target, &targets, &index, options.tolerance);
    Ok(Interpolated {
        target_ids: target.ids.clone(),
        extensive: ext_out,
        intensive: int_out,
        report: ConservationReport {
            variables: balances,
            outside,
            overlaps,
            allocate_total: options.allocate_total,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::Crs;
    use geo::{Geometry, polygon};
    use polars::prelude::*;

    const M: Crs = Crs::Projected { epsg: 9377 };

    fn square(x: f64, y: f64, s: f64) -> Geometry<f64> {
        polygon![(x: x, y: y), (x: x + s, y: y), (x: x + s, y: y + s), (x: x, y: y + s)].into()
    }

    fn layer(name: &str, gs: Vec<Geometry<f64>>, cols: Vec<Column>) -> Layer {
        let n = gs.len();
        let df = if cols.is_empty() {
            DataFrame::empty_with_height(n)
        } else {
            DataFrame::new(n, cols).unwrap()
        };
        Layer::new(
            name,
            (0..n).map(|i| format!("{name}{i}")).collect(),
            gs.into_iter().map(Some).collect(),
            df,
            M,
        )
        .unwrap()
    }

    /// Two 10×10 targets side by side; sources: one inside the first, one straddling both, one
    /// half outside, one wholly outside.
    fn case() -> (Layer, Layer) {
        let targets = layer("t", vec![square(0., 0., 10.), square(10., 0., 10.)], vec![]);
        let sources = layer(
            "s",
            vec![
                square(1., 1., 2.),
                square(8., 4., 4.),
                square(18., 6., 4.),
                square(30., 30., 1.),
            ],
            vec![
                Column::new("pop".into(), [10.0, 40.0, 8.0, 5.0]),
                Column::new("rate".into(), [1.0, 3.0, 5.0, 7.0]),
            ],
        );
        (sources, targets)
    }

    #[test]
    fn tobler_semantics_with_and_without_allocate_total() {
        let (s, t) = case();
        let r = area_interpolate(&s, &t, &["pop"], &["rate"], InterpolateOptions::default()).unwrap();
        // allocate_total: the straddler splits 50/50, the half-outside one gives all 8 to t1.
        assert_eq!(r.extensive[0].1, vec![10.0 + 20.0, 20.0 + 8.0]);
        let b = &r.report.variables[0].1;
        assert_eq!((b.source_total, b.allocated, b.unallocated), (63.0, 58.0, 5.0));
        let ids: Vec<_> = r
            .report
            .outside
            .iter()
            .map(|o| (o.id.as_str(), o.covered_fraction))
            .collect();
        assert_eq!(ids, vec![("s2", 0.5), ("s3", 0.0)]);
        assert!(
            r.report.outside[1].covered_fraction.is_sign_positive(),
            "0, not -0"
        );
        // rate: t0 = (1·4 + 3·8)/12, t1 = (3·8 + 5·8)/16
        let rate = &r.intensive[0].1;
        assert!((rate[0].unwrap() - 28.0 / 12.0).abs() < 1e-12);
        assert!((rate[1].unwrap() - 64.0 / 16.0).abs() < 1e-12);

        let opts = InterpolateOptions {
            allocate_total: false,
            ..Default::default()
        };
        let r = area_interpolate(&s, &t, &["pop"], &[], opts).unwrap();
        assert_eq!(r.extensive[0].1, vec![30.0, 24.0]);
        let b = &r.report.variables[0].1;
        assert_eq!((b.allocated, b.unallocated), (54.0, 9.0));
        assert!(b.relative_error() < 1e-12);
    }

    #[test]
    fn missing_values_are_counted_not_allocated() {
        let t = layer("t", vec![square(0., 0., 10.)], vec![]);
        let s = layer(
            "s",
            vec![square(1., 1., 2.), square(3., 3., 2.)],
            vec![Column::new("pop".into(), [Some(4.0), None])],
        );
        let r = area_interpolate(&s, &t, &["pop"], &[], InterpolateOptions::default()).unwrap();
        assert_eq!(r.extensive[0].1, vec![4.0]);
        assert_eq!(r.report.variables[0].1.missing, 1);
    }

    #[test]
    fn column_errors_name_the_first_variable_asked() {
        let t = layer("t", vec![square(0., 0., 10.)], vec![]);
        let s = layer(
            "s",
            vec![square(1., 1., 2.), square(3., 3., 2.)],
            vec![
                Column::new("a".into(), [1.0, -1.0]),
                Column::new("b".into(), [-2.0, 1.0]),
                Column::new("r".into(), ["0.5", "x"]),
            ],
        );
        let err = |ext: &[&str], int: &[&str]| {
            area_interpolate(&s, &t, ext, int, InterpolateOptions::default())
                .unwrap_err()
                .to_string()
        };
        // Each variable is read by its own task; the first bad one in the order asked is named.
        let e = err(&["b", "a"], &[]);
        assert!(e.contains("\"b\"") && e.contains("s0"), "{e}");
        let e = err(&["a", "b"], &[]);
        assert!(e.contains("\"a\"") && e.contains("s1"), "{e}");
        // A missing column is named before any value is read, even after a bad one.
        let e = err(&["a"], &["nope"]);
        assert!(e.contains("nope"), "{e}");
        let e = err(&[], &["r"]);
        assert!(e.contains("\"x\""), "{e}");
    }

    #[test]
    fn overlapping_targets_are_reported() {
        let t = layer(
            "t",
            vec![square(0., 0., 10.), square(5., 0., 10.), square(15., 0., 10.)],
            vec![],
        );
        let s = layer(
            "s",
            vec![square(1., 1., 2.)],
            vec![Column::new("pop".into(), [1.0])],
        );
        let r = area_interpolate(&s, &t, &["pop"], &[], InterpolateOptions::default()).unwrap();
        assert_eq!(
            r.report.overlaps,
            vec![TargetOverlap {
                a: "t0".into(),
                b: "t1".into(),
                area: 50.0
            }]
        );
    }

    #[test]
    fn refuses_degrees_mismatched_crs_and_invalid_polygons() {
        let (mut s, t) = case();
        s.crs = crate::crs::WGS84;
        assert!(matches!(
            area_interpolate(&s, &t, &["pop"], &[], Default::default()),
            Err(JoinError::Crs(CrsError::NotProjected { .. }))
        ));
        s.crs = Crs::Projected { epsg: 32618 };
        assert!(matches!(
            area_interpolate(&s, &t, &["pop"], &[], Default::default()),
            Err(JoinError::Crs(CrsError::Mismatch { .. }))
        ));
        let (mut s, t) = case();
        s.geometries[1] =
            Some(polygon![(x: 0., y: 0.), (x: 0., y: 10.), (x: 10., y: 0.), (x: 10., y: 10.)].into());
        let err = area_interpolate(&s, &t, &["pop"], &[], Default::default()).unwrap_err();
        assert!(err.to_string().contains("feature \"s1\""), "{err}");
    }
}
