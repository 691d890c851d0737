//! Classification of index values into `k` ordered classes for mapping and prioritisation, with
//! the same bins and class assignments as Python's `mapclassify` (`Quantiles`, `FisherJenks`,
//! `EqualInterval`).
//!
//! Bins are *upper bounds* (mapclassify's `.bins`), computed on the present values. A value `x`
//! goes to the first class whose upper bound is `≥ x`, i.e. class `j` holds
//! `bins[j − 1] < x ≤ bins[j]` (mapclassify's `bin1d`). Classes are numbered from 1
//! (mapclassify's `yb + 1`), so the highest values get the highest class: with `k = 5`, class 5 is
//! the highest need.
//!
//! A value is *present* when it is `Some(x)` with `x` finite; `None`, `Some(NaN)` and
//! `Some(±∞)` are treated as missing, are left out of the bins, and get class `None`.
//!
//! Cases where mapclassify raises or misbehaves, and what happens here instead:
//!
//! - No present value, or `k = 0`: no bins, every class `None`.
//! - A constant column (a single distinct value): one bin, the value, and every present value in
//!   class 1, for every method (mapclassify's `EqualInterval` and `FisherJenks` raise;
//!   `Quantiles` already gives this).
//! - Fewer distinct values than `k`: see each method; the number of classes actually used is
//!   `bins.len()`, which can then be less than `k`.
//! - mapclassify's percentile grid `np.arange(100/k, 100 + 100/k, 100/k)` can end just below 100
//!   (e.g. `k = 23`, `36`, `51`), leaving the maximum above the last bin, where mapclassify's
//!   `bin1d` gives it class 0 (the lowest). The bins are kept identical to mapclassify's, but a
//!   value above the last bin is put in the last (highest) class.

use careblock_method::{ClassificationName, ClassificationSpec};

/// The largest number of classes: a larger `k` is treated as this (a guard against absurd
/// parameters; mapclassify has no such limit).
pub const MAX_CLASSES: usize = 1 << 16;

/// A classification method. The default is `Quantiles { k: 5 }`; `k` is capped at
/// [`MAX_CLASSES`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Classification {
    /// Quantiles: `mapclassify.Quantiles(y, k)`. Bins are the percentiles
    /// `100/k, 200/k, …, 100` of the present values (linear interpolation), with duplicates
    /// dropped (mapclassify warns "Not enough unique values in array to form k classes" and sets
    /// `k` to the number of distinct bins; so does this, silently).
    Quantiles {
        /// Number of classes requested.
        k: usize,
    },
    /// Fisher–Jenks natural breaks: `mapclassify.FisherJenks(y, k)`, the exact optimal partition
    /// of the sorted values into `k` contiguous classes that minimises the total within-class sum
    /// of squared deviations, by dynamic programming in `O(k·n²)` time and `O(k·n)` memory
    /// (`n` present values: fine up to a few tens of thousands of values).
    Jenks {
        /// Number of classes requested.
        k: usize,
    },
    /// Equal intervals: `mapclassify.EqualInterval(y, k)`. Bins at
    /// `min + w, min + 2w, …` with `w = (max − min)/k`, the last one set to `max`.
    EqualInterval {
        /// Number of classes requested.
        k: usize,
    },
}

impl Default for Classification {
    /// `Quantiles { k: 5 }`.
    fn default() -> Self {
        Classification::Quantiles { k: 5 }
    }
}

/// The result of [`classify`].
#[derive(Debug, Clone, PartialEq)]
pub struct Classes {
    /// Upper bound of each class, ascending (mapclassify's `.bins`); `bins.len()` is the number of
    /// classes actually used.
    pub bins: Vec<f64>,
    /// Class of each input value, `1..=bins.len()` (mapclassify's `yb + 1`), `None` where the
    /// value is missing.
    pub classes: Vec<Option<u32>>,
}

/// Classify values into ordered classes; see [`Classification`] for the methods and the module
/// documentation for the assignment rule and the degenerate cases.
///
/// - [`Classification::Quantiles`]: with `w = 100/k`, the percentile grid is exactly numpy's
///   `np.arange(w, 100 + w, w)` with its last entry capped at 100, and each percentile is scipy's
///   `scoreatpercentile` (linear interpolation, `(n − 1)·p/100`). Equal percentiles are merged,
///   so ties can leave fewer than `k` classes (e.g. a column that is 60% zeros has no bins below
///   0 and the zeros all share class 1).
/// - [`Classification::Jenks`]: mapclassify's `_fisher_jenks_means` recurrence and tie-breaking,
///   computed in `f64` (mapclassify accumulates in `f32`, so on large or nearly tied inputs it
///   can pick a slightly suboptimal partition that differs from this one). With `k` at least the
///   number of distinct values, each distinct value is its own class and the bins are the
///   distinct values (what `FisherJenks` gives when `k` equals that number; it raises when `k`
///   is larger).
/// - [`Classification::EqualInterval`]: `np.arange(min + w, max + w, w)` truncated to `k`, the
///   last bin set to `max`. With fewer distinct values than `k` some classes are empty.
pub fn classify(values: &[Option<f64>], method: Classification) -> Classes {
    let k = match method {
        Classification::Quantiles { k }
        | Classification::Jenks { k }
        | Classification::EqualInterval { k } => k,
    }
    .min(MAX_CLASSES);
    let mut sorted: Vec<f64> = values.iter().filter_map(|&v| present(v)).collect();
    if sorted.is_empty() || k == 0 {
        return Classes {
            bins: Vec::new(),
            classes: vec![None; values.len()],
        };
    }
    sorted.sort_by(f64::total_cmp);
    let (min, max) = (sorted[0], sorted[sorted.len() - 1]);
    let bins = if min == max {
        vec![min]
    } else {
        match method {
            Classification::Quantiles { .. } => quantile_bins(&sorted, k),
            Classification::EqualInterval { .. } => equal_interval_bins(min, max, k),
            Classification::Jenks { .. } => {
                let mut distinct = sorted.clone();
                distinct.dedup();
                if distinct.len() <= k {
                    distinct
                } else {
                    fisher_jenks(&sorted, k)
                }
            }
        }
    };
    let top = bins.len() - 1;
    let classes = values
        .iter()
        .map(|&v| {
            let x = present(v)?;
            let j = bins.partition_point(|&b| b < x).min(top);
            Some(u32::try_from(j + 1).unwrap_or(u32::MAX))
        })
        .collect();
    Classes { bins, classes }
}

fn present(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

/// numpy's `np.arange(start, stop, step)` for floats: `len = ⌈(stop − start)/step⌉`, the second
/// entry `start + step`, and the rest `start + i·((start + step) − start)`. `len` is capped at
/// `cap` (the callers never use more).
fn arange(start: f64, stop: f64, step: f64, cap: usize) -> Vec<f64> {
    let len = ((stop - start) / step).ceil();
    if len.is_nan() || len < 1.0 {
        return Vec::new();
    }
    let len = if len >= cap as f64 { cap } else { len as usize };
    let delta = (start + step) - start;
    (0..len)
        .map(|i| match i {
            0 => start,
            1 => start + step,
            _ => start + i as f64 * delta,
        })
        .collect()
}

/// scipy's `scoreatpercentile(sorted, per)` with the default `interpolation_method='fraction'`.
fn score_at_percentile(sorted: &[f64], per: f64) -> f64 {
    let n = sorted.len();
    let idx = per.clamp(0.0, 100.0) / 100.0 * (n - 1) as f64;
    let i = idx as usize;
    if i as f64 == idx || i + 1 >= n {
        return sorted[i.min(n - 1)];
    }
    let (w0, w1) = ((i + 1) as f64 - idx, idx - i as f64);
    (sorted[i] * w0 + sorted[i + 1] * w1) / (w0 + w1)
}

/// mapclassify's `quantile(y, k)`: percentiles on numpy's grid, sorted and deduplicated.
fn quantile_bins(sorted: &[f64], k: usize) -> Vec<f64> {
    let w = 100.0 / k as f64;
    let mut p = arange(w, 100.0 + w, w, k.saturating_add(1));
    if let Some(last) = p.last_mut()
        && *last > 100.0
    {
        *last = 100.0;
    }
    let mut q: Vec<f64> = p
        .into_iter()
        .map(|pct| score_at_percentile(sorted, pct))
        .collect();
    q.sort_by(f64::total_cmp);
    q.dedup();
    q
}

/// mapclassify's `EqualInterval._set_bins`; `min < max`.
fn equal_interval_bins(min: f64, max: f64, k: usize) -> Vec<f64> {
    let width = (max - min) / k as f64;
    let mut cuts = if width > 0.0 {
        arange(min + width, max + width, width, k)
    } else {
        Vec::new()
    };
    match cuts.last_mut() {
        Some(last) => *last = max,
        None => cuts.push(max),
    }
    cuts
}

/// mapclassify's `_fisher_jenks_means(sorted, k)` in `f64`: the same recurrence, loop order and
/// tie-breaking (`>=`, so among equal costs the class starting earliest wins), and the same
/// backtracking, including Python's negative indexing in the (unreachable in exact arithmetic)
/// case of a pivot below 2. `sorted` has more than `k ≥ 1` distinct values.
fn fisher_jenks(sorted: &[f64], k: usize) -> Vec<f64> {
    let n = sorted.len();
    if k == 1 {
        return vec![sorted[n - 1]];
    }
    let cols = k + 1;
    // lower_class[l·cols + j]: 1-based index of the first value of the last class in the best
    // partition of the first l values into j classes; cost[l·cols + j]: its within-class sum of
    // squared deviations.
    let mut lower_class = vec![0usize; (n + 1) * cols];
    let mut cost = vec![0.0f64; (n + 1) * cols];
    for j in 1..=k {
        lower_class[cols + j] = 1;
    }
    for l in 2..=n {
        for j in 1..=k {
            cost[l * cols + j] = f64::INFINITY;
        }
    }
    for l in 2..=n {
        let (mut s1, mut s2, mut w) = (0.0f64, 0.0f64, 0.0f64);
        let mut v = 0.0;
        for m in 1..=l {
            let i3 = l - m + 1;
            let val = sorted[i3 - 1];
            s2 += val * val;
            s1 += val;
            w += 1.0;
            v = s2 - (s1 * s1) / w;
            let i4 = i3 - 1;
            if i4 != 0 {
                let (head, tail) = cost.split_at_mut(l * cols);
                let prev = &head[i4 * cols..(i4 + 1) * cols];
                let row = &mut tail[..cols];
                for j in 2..=k {
                    let candidate = v + prev[j - 1];
                    if row[j] >= candidate {
                        lower_class[l * cols + j] = i3;
                        row[j] = candidate;
                    }
                }
            }
        }
        lower_class[l * cols + 1] = 1;
        cost[l * cols + 1] = v;
    }
    let mut kclass = vec![0.0; k + 1];
    kclass[k] = sorted[n - 1];
    kclass[0] = sorted[0];
    let mut row = n;
    for count in (2..=k).rev() {
        let pivot = lower_class[row * cols + count];
        kclass[count - 1] = sorted[wrap(pivot as isize - 2, n)];
        row = wrap(pivot as isize - 1, n + 1);
    }
    kclass.remove(0);
    kclass
}

/// Python's indexing of a sequence of length `len` by `i ≥ −len`.
fn wrap(i: isize, len: usize) -> usize {
    if i < 0 {
        (i + len as isize) as usize
    } else {
        i as usize
    }
}

impl From<&ClassificationSpec> for Classification {
    /// The classification a method's `[classification]` asks for.
    fn from(spec: &ClassificationSpec) -> Classification {
        let k = *spec.classes.get_ref();
        match spec.method {
            ClassificationName::Quantiles => Classification::Quantiles { k },
            ClassificationName::Jenks => Classification::Jenks { k },
            ClassificationName::EqualInterval => Classification::EqualInterval { k },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(xs: &[f64]) -> Vec<Option<f64>> {
        xs.iter().copied().map(Some).collect()
    }

    /// Compares with mapclassify: bins to 1e-9 relative, classes (`yb + 1`) exactly.
    fn check(values: &[Option<f64>], method: Classification, bins: &[f64], yb: &[u32]) {
        let c = classify(values, method);
        assert_eq!(
            c.bins.len(),
            bins.len(),
            "{method:?}: bins {:?} vs {bins:?}",
            c.bins
        );
        for (a, b) in c.bins.iter().zip(bins) {
            assert!(
                (a - b).abs() <= 1e-9 * a.abs().max(b.abs()),
                "{method:?}: bins {:?} vs {bins:?}",
                c.bins
            );
        }
        let expected: Vec<Option<u32>> = yb.iter().map(|&c| Some(c + 1)).collect();
        assert_eq!(c.classes, expected, "{method:?}");
    }

    // Reference values: mapclassify 2.10.0 (numpy 2.4, scipy 1.17), for each case
    //   import numpy as np, mapclassify
    //   c = mapclassify.<Method>(np.array(<ARRAY>), k=<k>)
    //   print(c.bins.tolist(), c.yb.tolist())
    // with <Method> = Quantiles, FisherJenks or EqualInterval.

    /// Heavy tail with ties (30 values).
    const A: [f64; 30] = [
        12.0, 0.5, 3.1, 250.0, 4.4, 1.2, 22.5, 7.0, 3.1, 600.0, 5.0, 2.0, 12.0, 9.5, 41.0, 1.2, 6.1, 120.0,
        3.1, 15.3, 2.3, 55.0, 8.0, 4.0, 30.0, 7.2, 18.0, 5.5, 10.0, 80.0,
    ];
    /// Mostly zeros (20 values): duplicate quantile bins.
    const B: [f64; 20] = [
        0.0, 0.0, 3.0, 0.0, 1.0, 0.0, 0.0, 7.5, 0.0, 0.0, 2.0, 0.0, 0.0, 1.0, 0.0, 12.0, 0.0, 0.0, 4.0, 0.0,
    ];
    /// Log-normal (40 values): np.round(np.random.default_rng(7).lognormal(3.0, 1.0, 40), 2).
    const C: [f64; 40] = [
        20.11, 27.08, 15.27, 8.24, 12.75, 7.45, 21.33, 76.72, 12.28, 10.8, 32.78, 28.7, 22.32, 7.92, 19.51,
        40.26, 5.24, 12.71, 3.0, 5.53, 3.18, 15.88, 5.66, 26.34, 23.49, 16.66, 1.62, 11.72, 19.13, 22.5,
        4.35, 12.46, 7.55, 8.95, 58.03, 8.96, 19.44, 48.64, 11.21, 17.96,
    ];
    /// Four distinct values (10 values).
    const D: [f64; 10] = [2.0, 5.0, 5.0, 9.0, 2.0, 14.0, 9.0, 5.0, 14.0, 2.0];

    #[test]
    fn quantiles_match_mapclassify() {
        check(
            &some(&A),
            Classification::Quantiles { k: 5 },
            &[
                3.1,
                5.860000000000001,
                10.799999999999997,
                32.20000000000003,
                600.0,
            ],
            &[
                3, 0, 0, 4, 1, 0, 3, 2, 0, 4, 1, 0, 3, 2, 4, 0, 2, 4, 0, 3, 0, 4, 2, 1, 3, 2, 3, 1, 2, 4,
            ],
        );
        check(
            &some(&A),
            Classification::Quantiles { k: 4 },
            &[3.325, 7.6, 21.375, 600.0],
            &[
                2, 0, 0, 3, 1, 0, 3, 1, 0, 3, 1, 0, 2, 2, 3, 0, 1, 3, 0, 2, 0, 3, 2, 1, 3, 1, 2, 1, 2, 3,
            ],
        );
        check(
            &some(&C),
            Classification::Quantiles { k: 5 },
            &[
                7.53,
                12.056000000000001,
                18.427999999999997,
                24.060000000000006,
                76.72,
            ],
            &[
                3, 4, 2, 1, 2, 0, 3, 4, 2, 1, 4, 4, 3, 1, 3, 4, 0, 2, 0, 0, 0, 2, 0, 4, 3, 2, 0, 1, 3, 3, 0,
                2, 1, 1, 4, 1, 3, 4, 1, 2,
            ],
        );
        check(
            &some(&C),
            Classification::Quantiles { k: 7 },
            &[
                5.604285714285714,
                8.95142857142857,
                12.40857142857143,
                17.031428571428574,
                21.155714285714286,
                27.774285714285718,
                76.72,
            ],
            &[
                4, 5, 3, 1, 3, 1, 5, 6, 2, 2, 6, 6, 5, 1, 4, 6, 0, 3, 0, 0, 0, 3, 1, 5, 5, 3, 0, 2, 4, 5, 0,
                3, 1, 1, 6, 2, 4, 6, 2, 4,
            ],
        );
        check(
            &some(&D),
            Classification::Quantiles { k: 5 },
            &[2.0, 5.0, 6.599999999999998, 10.0, 14.0],
            &[0, 1, 1, 3, 0, 4, 3, 1, 4, 0],
        );
        assert_eq!(Classification::default(), Classification::Quantiles { k: 5 });
    }

    #[test]
    fn quantiles_drop_duplicate_bins_like_mapclassify() {
        // 12 of 20 values are 0: the 20%, 40% and 60% percentiles are all 0, merged into one bin;
        // mapclassify warns and sets k = 3.
        check(
            &some(&B),
            Classification::Quantiles { k: 5 },
            &[0.0, 2.200000000000001, 12.0],
            &[0, 0, 2, 0, 1, 0, 0, 2, 0, 0, 1, 0, 0, 1, 0, 2, 0, 0, 2, 0],
        );
        check(
            &some(&B),
            Classification::Quantiles { k: 3 },
            &[0.0, 0.6666666666666679, 12.0],
            &[0, 0, 2, 0, 2, 0, 0, 2, 0, 0, 2, 0, 0, 2, 0, 2, 0, 0, 2, 0],
        );
    }

    #[test]
    fn jenks_matches_mapclassify() {
        check(
            &some(&A),
            Classification::Jenks { k: 5 },
            &[22.5, 55.0, 120.0, 250.0, 600.0],
            &[
                0, 0, 0, 3, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 2,
            ],
        );
        check(
            &some(&C),
            Classification::Jenks { k: 5 },
            &[8.96, 17.96, 32.78, 58.03, 76.72],
            &[
                2, 2, 1, 0, 1, 0, 2, 4, 1, 1, 2, 2, 2, 0, 2, 3, 0, 1, 0, 0, 0, 1, 0, 2, 2, 1, 0, 1, 2, 2, 0,
                1, 0, 0, 3, 0, 2, 3, 1, 1,
            ],
        );
        check(
            &some(&C),
            Classification::Jenks { k: 7 },
            &[8.96, 16.66, 23.49, 32.78, 48.64, 58.03, 76.72],
            &[
                2, 3, 1, 0, 1, 0, 2, 6, 1, 1, 3, 3, 2, 0, 2, 4, 0, 1, 0, 0, 0, 1, 0, 3, 2, 1, 0, 1, 2, 2, 0,
                1, 0, 0, 5, 0, 2, 4, 1, 2,
            ],
        );
        check(
            &some(&B),
            Classification::Jenks { k: 3 },
            &[1.0, 4.0, 12.0],
            &[0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0, 1, 0],
        );
        // k = number of distinct values: each value is its own class.
        check(
            &some(&D),
            Classification::Jenks { k: 4 },
            &[2.0, 5.0, 9.0, 14.0],
            &[0, 1, 1, 2, 0, 3, 2, 1, 3, 0],
        );
    }

    #[test]
    fn equal_interval_matches_mapclassify() {
        check(
            &some(&A),
            Classification::EqualInterval { k: 5 },
            &[120.4, 240.3, 360.20000000000005, 480.1, 600.0],
            &[
                0, 0, 0, 2, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ],
        );
        check(
            &some(&B),
            Classification::EqualInterval { k: 5 },
            &[2.4, 4.8, 7.199999999999999, 9.6, 12.0],
            &[0, 0, 1, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 1, 0],
        );
        check(
            &some(&C),
            Classification::EqualInterval { k: 5 },
            &[16.64, 31.66, 46.68, 61.7, 76.72],
            &[
                1, 1, 0, 0, 0, 0, 1, 4, 0, 0, 2, 1, 1, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0,
                0, 0, 0, 3, 0, 1, 3, 0, 1,
            ],
        );
        check(
            &some(&C),
            Classification::EqualInterval { k: 7 },
            &[
                12.348571428571429,
                23.077142857142857,
                33.80571428571429,
                44.534285714285716,
                55.26285714285714,
                65.99142857142857,
                76.72,
            ],
            &[
                1, 2, 1, 0, 1, 0, 1, 6, 0, 0, 2, 2, 1, 0, 1, 3, 0, 1, 0, 0, 0, 1, 0, 2, 2, 1, 0, 0, 1, 1, 0,
                1, 0, 0, 5, 0, 1, 4, 0, 1,
            ],
        );
        check(
            &some(&D),
            Classification::EqualInterval { k: 5 },
            &[
                4.4,
                6.800000000000001,
                9.200000000000001,
                11.600000000000001,
                14.0,
            ],
            &[0, 1, 1, 2, 0, 4, 2, 1, 4, 0],
        );
    }

    #[test]
    fn missing_values_are_left_out() {
        // A with missing values and non-finite entries interleaved: same bins, same classes for
        // the present values, None for the others.
        let mut v = some(&A);
        for (i, m) in [
            (0, None),
            (7, Some(f64::NAN)),
            (20, None),
            (33, Some(f64::INFINITY)),
        ] {
            v.insert(i, m);
        }
        for method in [
            Classification::Quantiles { k: 5 },
            Classification::Jenks { k: 5 },
            Classification::EqualInterval { k: 5 },
        ] {
            let full = classify(&some(&A), method);
            let c = classify(&v, method);
            assert_eq!(c.bins, full.bins);
            let kept: Vec<Option<u32>> = c
                .classes
                .iter()
                .zip(&v)
                .filter(|(_, x)| x.is_some_and(f64::is_finite))
                .map(|(c, _)| *c)
                .collect();
            assert_eq!(kept, full.classes);
            for i in [0, 7, 20, 33] {
                assert_eq!(c.classes[i], None);
            }
        }
    }

    #[test]
    fn degenerate_inputs() {
        for method in [
            Classification::Quantiles { k: 5 },
            Classification::Jenks { k: 5 },
            Classification::EqualInterval { k: 5 },
        ] {
            let empty = Classes {
                bins: vec![],
                classes: vec![],
            };
            assert_eq!(classify(&[], method), empty);
            assert_eq!(
                classify(&[None, Some(f64::NAN)], method).classes,
                vec![None, None]
            );
            assert!(classify(&[None, Some(f64::NAN)], method).bins.is_empty());
            // Constant column and single value: one bin, class 1.
            let c = classify(&[Some(3.0), None, Some(3.0), Some(3.0)], method);
            assert_eq!(
                c,
                Classes {
                    bins: vec![3.0],
                    classes: vec![Some(1), None, Some(1), Some(1)]
                }
            );
            let c = classify(&[Some(-2.5)], method);
            assert_eq!(
                c,
                Classes {
                    bins: vec![-2.5],
                    classes: vec![Some(1)]
                }
            );
        }
        // An absurd k is capped rather than allocating without bound.
        let c = classify(&some(&C), Classification::Quantiles { k: usize::MAX });
        assert!(c.bins.len() <= MAX_CLASSES);
        assert_eq!(c.bins.last(), Some(&76.72));
        assert_eq!(c.classes[7], Some(c.bins.len() as u32)); // the maximum, 76.72
        // k = 0: nothing to classify into.
        let c = classify(&some(&D), Classification::Jenks { k: 0 });
        assert!(c.bins.is_empty());
        assert_eq!(c.classes, vec![None; D.len()]);
        // k = 1, as mapclassify: one bin at the maximum, everything in class 1.
        for method in [
            Classification::Quantiles { k: 1 },
            Classification::Jenks { k: 1 },
            Classification::EqualInterval { k: 1 },
        ] {
            check(&some(&D), method, &[14.0], &[0; 10]);
        }
    }

    #[test]
    fn more_classes_than_distinct_values() {
        // Jenks: mapclassify raises for k > 4 distinct values; here each distinct value is a class.
        check(
            &some(&D),
            Classification::Jenks { k: 6 },
            &[2.0, 5.0, 9.0, 14.0],
            &[0, 1, 1, 2, 0, 3, 2, 1, 3, 0],
        );
        // Equal intervals keep k bins, some empty (as mapclassify).
        let c = classify(&some(&[0.0, 10.0]), Classification::EqualInterval { k: 5 });
        assert_eq!(c.bins, vec![2.0, 4.0, 6.0, 8.0, 10.0]);
        assert_eq!(c.classes, vec![Some(1), Some(5)]);
        // Quantiles: as many bins as distinct percentiles.
        // mapclassify.Quantiles(np.array([1.0] * 9 + [2.0]), k=5) -> bins [1.0, 2.0], k = 2
        let mut v = vec![1.0; 9];
        v.push(2.0);
        let c = classify(&some(&v), Classification::Quantiles { k: 5 });
        assert_eq!(c.bins, vec![1.0, 2.0]);
        assert_eq!(c.classes[..9], [Some(1); 9]);
        assert_eq!(c.classes[9], Some(2));
        // mapclassify.Quantiles(np.array([1.0, 1, 1, 1, 2]), k=5) -> [1.0, 1.2000000000000002, 2.0]
        let c = classify(
            &some(&[1.0, 1.0, 1.0, 1.0, 2.0]),
            Classification::Quantiles { k: 5 },
        );
        assert_eq!(c.bins, vec![1.0, 1.2000000000000002, 2.0]);
        assert_eq!(c.classes, vec![Some(1), Some(1), Some(1), Some(1), Some(3)]);
    }

    #[test]
    fn maximum_above_the_last_quantile_bin_goes_to_the_top_class() {
        // q = mapclassify.Quantiles(np.arange(100.0), k=23): the percentile grid ends at
        // 99.99999999999999, so the last bin is 98.99999999999999 < 99 and mapclassify gives the
        // maximum yb = 0. Same bins here; the maximum gets the top class, 23.
        let v: Vec<Option<f64>> = (0..100).map(|i| Some(f64::from(i))).collect();
        let bins = [
            4.304347826086956,
            8.608695652173912,
            12.91304347826087,
            17.217391304347824,
            21.52173913043478,
            25.826086956521745,
            30.130434782608692,
            34.43478260869565,
            38.73913043478261,
            43.04347826086956,
            47.34782608695652,
            51.65217391304348,
            55.95652173913043,
            60.2608695652174,
            64.56521739130434,
            68.8695652173913,
            73.17391304347825,
            77.4782608695652,
            81.78260869565216,
            86.08695652173911,
            90.39130434782608,
            94.69565217391303,
            98.99999999999999,
        ];
        let yb = [
            0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 6, 7,
            7, 7, 7, 8, 8, 8, 8, 9, 9, 9, 9, 9, 10, 10, 10, 10, 11, 11, 11, 11, 12, 12, 12, 12, 13, 13, 13,
            13, 13, 14, 14, 14, 14, 15, 15, 15, 15, 16, 16, 16, 16, 16, 17, 17, 17, 17, 18, 18, 18, 18, 19,
            19, 19, 19, 19, 20, 20, 20, 20, 21, 21, 21, 21, 22, 22, 22, 22, 0,
        ];
        let c = classify(&v, Classification::Quantiles { k: 23 });
        assert_eq!(c.bins, bins);
        assert!(c.bins[22] < 99.0);
        for (c, y) in c.classes.iter().zip(yb).take(99) {
            assert_eq!(*c, Some(y + 1));
        }
        assert_eq!(c.classes[99], Some(23));
    }
}
