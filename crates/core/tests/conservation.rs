//! Property tests of the areal interpolation on random tilings: every count that enters
//! leaves (allocated + unallocated = source, to floating-point noise), a tiling that covers the
//! sources leaves nothing unallocated, and the result does not depend on the order of the
//! source features.

use careblock_core::join::{InterpolateOptions, area_interpolate};
use careblock_core::{Crs, Layer};
use geo::{Coord, Geometry, LineString, Polygon};
use polars::prelude::*;
use proptest::prelude::*;

const M: Crs = Crs::Projected { epsg: 9377 };

/// A `cols × rows` grid of quadrilaterals over `[x0, x0 + cols·size] × [y0, …]` whose inner
/// vertices are moved by up to 40% of a cell (shared, so the cells still tile).
fn tiling(cols: usize, rows: usize, size: f64, x0: f64, y0: f64, jitter: &[f64]) -> Vec<Geometry<f64>> {
    let v = |i: usize, j: usize| {
        let inner = i > 0 && i < cols && j > 0 && j < rows;
        let k = (j * (cols + 1) + i) * 2;
        let (dx, dy) = if inner {
            (jitter[k % jitter.len()], jitter[(k + 1) % jitter.len()])
        } else {
            (0.0, 0.0)
        };
        Coord {
            x: x0 + (i as f64 + 0.4 * dx) * size,
            y: y0 + (j as f64 + 0.4 * dy) * size,
        }
    };
    let mut out = Vec::new();
    for j in 0..rows {
        for i in 0..cols {
            let ring = vec![v(i, j), v(i + 1, j), v(i + 1, j + 1), v(i, j + 1), v(i, j)];
            out.push(Polygon::new(LineString(ring), vec![]).into());
        }
    }
    out
}

fn layer(name: &str, geometries: Vec<Geometry<f64>>, pop: Option<Vec<f64>>) -> Layer {
    let n = geometries.len();
    let df = match pop {
        Some(p) => DataFrame::new(n, vec![Column::new("pop".into(), p)]).unwrap(),
        None => DataFrame::empty_with_height(n),
    };
    let ids = (0..n).map(|i| format!("{name}{i}")).collect();
    Layer::new(name, ids, geometries.into_iter().map(Some).collect(), df, M).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_count_is_allocated_or_reported(
        jitter in prop::collection::vec(-1.0f64..1.0, 64),
        counts in prop::collection::vec(0.0f64..1000.0, 48),
        shift in (-150.0f64..150.0, -150.0f64..150.0),
        allocate_total in any::<bool>(),
    ) {
        // 8×6 source units of 100 m; 3×3 districts of 230 m, shifted so some units lie partly
        // or wholly outside.
        let sources = layer("u", tiling(8, 6, 100.0, 0.0, 0.0, &jitter), Some(counts.clone()));
        let targets = layer("d", tiling(3, 3, 230.0, shift.0, shift.1, &jitter[7..]), None);
        let opts = InterpolateOptions { allocate_total, ..Default::default() };
        let r = area_interpolate(&sources, &targets, &["pop"], &[], opts).unwrap();
        let b = &r.report.variables[0].1;
        let total: f64 = counts.iter().sum();
        prop_assert!((b.source_total - total).abs() <= 1e-9 * total.max(1.0));
        prop_assert!(b.relative_error() < 1e-12, "{b:?}");
        let received: f64 = r.extensive[0].1.iter().sum();
        prop_assert!((received - b.allocated).abs() <= 1e-9 * total.max(1.0));
        prop_assert!(b.unallocated >= -1e-9 * total.max(1.0), "tiled targets never over-allocate");
        if r.report.outside.is_empty() {
            prop_assert!(b.unallocated.abs() <= 1e-9 * total.max(1.0));
        }
    }

    #[test]
    fn covering_targets_leave_nothing_unallocated_and_order_does_not_matter(
        jitter in prop::collection::vec(-1.0f64..1.0, 64),
        counts in prop::collection::vec(0.0f64..1000.0, 48),
        seed in any::<u64>(),
    ) {
        // Districts (4×3 of 200 m) cover the 8×6 units of 100 m exactly.
        let units = tiling(8, 6, 100.0, 0.0, 0.0, &jitter);
        let targets = layer("d", tiling(4, 3, 200.0, 0.0, 0.0, &jitter[3..]), None);
        let sources = layer("u", units.clone(), Some(counts.clone()));
        let r = area_interpolate(&sources, &targets, &["pop"], &[], InterpolateOptions::default()).unwrap();
        let b = &r.report.variables[0].1;
        prop_assert!(r.report.outside.is_empty(), "{:?}", r.report.outside);
        prop_assert!(b.unallocated.abs() <= 1e-9 * b.source_total.max(1.0));

        // The same units in another order give the same district totals (to rounding).
        let mut order: Vec<usize> = (0..units.len()).collect();
        let mut s = seed;
        for i in (1..order.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (s >> 33) as usize % (i + 1));
        }
        let shuffled = layer(
            "u",
            order.iter().map(|&i| units[i].clone()).collect(),
            Some(order.iter().map(|&i| counts[i]).collect()),
        );
        let r2 = area_interpolate(&shuffled, &targets, &["pop"], &[], InterpolateOptions::default()).unwrap();
        for (a, b) in r.extensive[0].1.iter().zip(&r2.extensive[0].1) {
            prop_assert!((a - b).abs() <= 1e-9 * a.abs().max(1.0), "{a} vs {b}");
        }
    }
}
