//! Data treatment before normalisation: percentiles with numpy's default (`linear`) method and
//! winsorisation at two percentiles (OECD/JRC handbook, step 3, outlier treatment).
//!
//! A value is *present* when it is `Some(x)` with `x` finite; `None`, `Some(NaN)` and
//! `Some(±∞)` are all treated as missing and come out as `None`.

/// The `q`-th percentile of an ascending-sorted slice, with numpy's default `linear` method
/// (`np.percentile(a, q)`, Hyndman & Fan type 7).
///
/// With `n = sorted.len()`, the virtual index is `h = (n − 1)·(q/100)`; with `i = ⌊h⌋` and
/// `g = h − i` the result is the linear interpolation between `sorted[i]` and `sorted[i + 1]`:
/// `a + (b − a)·g` when `g < 0.5` and `b − (b − a)·(1 − g)` otherwise, numpy's own
/// rounding-friendly form, so the result is bit-for-bit numpy's. `h ≥ n − 1` gives the maximum.
///
/// `sorted` must be sorted ascending and hold no NaN (not checked). `q` is clamped to
/// `[0, 100]` (numpy raises instead). Returns `None` if `sorted` is empty or `q` is NaN; a
/// single value is returned for every `q`.
pub fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() || q.is_nan() {
        return None;
    }
    let n = sorted.len();
    let h = (n - 1) as f64 * (q.clamp(0.0, 100.0) / 100.0);
    if h >= (n - 1) as f64 {
        return Some(sorted[n - 1]);
    }
    let i = h.floor();
    let g = h - i;
    let i = i as usize;
    let (a, b) = (sorted[i], sorted[i + 1]);
    let diff = b - a;
    Some(if g >= 0.5 {
        b - diff * (1.0 - g)
    } else {
        a + diff * g
    })
}

/// The result of [`winsorise`].
#[derive(Debug, Clone, PartialEq)]
pub struct Winsorised {
    /// The treated values, one per input (`None` where the input was missing).
    pub values: Vec<Option<f64>>,
    /// The lower bound (the `lower` percentile of the present values); `None` if none present.
    pub low: Option<f64>,
    /// The upper bound (the `upper` percentile of the present values); `None` if none present.
    pub high: Option<f64>,
    /// How many values were raised to `low`.
    pub clipped_low: usize,
    /// How many values were lowered to `high`.
    pub clipped_high: usize,
}

/// Winsorise at two percentiles: `low = P_lower`, `high = P_upper` of the present values
/// ([`percentile`], numpy `linear`), then `x ← low` where `x < low` and `x ← high` where
/// `x > high`. Values equal to a bound are not counted as clipped.
///
/// `lower` and `upper` are percentiles in `[0, 100]` (e.g. `1.0` and `99.0`); they are clamped
/// to that range and swapped if `lower > upper`. A NaN percentile leaves that side untouched
/// (its bound is `None`).
///
/// Missing values stay missing. Empty or all-missing input: every value `None`, both bounds
/// `None`, nothing clipped. A single present value or a constant column: `low = high =` that
/// value and nothing clipped.
pub fn winsorise(values: &[Option<f64>], lower: f64, upper: f64) -> Winsorised {
    let (lower, upper) = if lower > upper {
        (upper, lower)
    } else {
        (lower, upper)
    };
    let mut sorted: Vec<f64> = values.iter().filter_map(|&v| present(v)).collect();
    sorted.sort_by(f64::total_cmp);
    let low = percentile(&sorted, lower);
    let high = percentile(&sorted, upper);
    let (mut clipped_low, mut clipped_high) = (0, 0);
    let values = values
        .iter()
        .map(|&v| {
            let x = present(v)?;
            Some(match (low, high) {
                (Some(l), _) if x < l => {
                    clipped_low += 1;
                    l
                }
                (_, Some(h)) if x > h => {
                    clipped_high += 1;
                    h
                }
                _ => x,
            })
        })
        .collect();
    Winsorised {
        values,
        low,
        high,
        clipped_low,
        clipped_high,
    }
}

fn present(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_matches_numpy_linear() {
        // import numpy as np
        // a = [1.0, 2.0, 4.0, 7.0, 11.0]
        // [np.percentile(a, q) for q in (0, 10, 25, 37.5, 50, 90, 99, 100)]
        // -> [1.0, 1.4, 2.0, 3.0, 4.0, 9.4, 10.84, 11.0]
        let a = [1.0, 2.0, 4.0, 7.0, 11.0];
        let expected = [1.0, 1.4, 2.0, 3.0, 4.0, 9.4, 10.84, 11.0];
        for (q, e) in [0.0, 10.0, 25.0, 37.5, 50.0, 90.0, 99.0, 100.0]
            .iter()
            .zip(expected)
        {
            assert_eq!(percentile(&a, *q), Some(e), "q = {q}");
        }
        // np.percentile(np.arange(100.0), [1, 99, 33.3]) -> [0.99, 98.01, 32.967]
        let r: Vec<f64> = (0..100).map(f64::from).collect();
        assert_eq!(percentile(&r, 1.0), Some(0.99));
        assert_eq!(percentile(&r, 99.0), Some(98.01));
        assert_eq!(percentile(&r, 33.3), Some(32.967));
    }

    #[test]
    fn percentile_edge_cases() {
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(percentile(&[3.0], 0.0), Some(3.0));
        assert_eq!(percentile(&[3.0], 73.0), Some(3.0));
        assert_eq!(percentile(&[3.0, 3.0, 3.0], 40.0), Some(3.0));
        assert_eq!(percentile(&[1.0, 2.0], f64::NAN), None);
        // Out-of-range q is clamped.
        assert_eq!(percentile(&[1.0, 2.0], -5.0), Some(1.0));
        assert_eq!(percentile(&[1.0, 2.0], 250.0), Some(2.0));
    }

    #[test]
    fn winsorise_clips_both_tails_and_keeps_missing() {
        // Present values 1..=10 plus one outlier 100 (11 values):
        // np.percentile(v, 10) = 2.0, np.percentile(v, 90) = 10.0
        let mut v: Vec<Option<f64>> = (1..=10).map(|i| Some(f64::from(i))).collect();
        v.push(Some(100.0));
        v.insert(3, None);
        v.push(Some(f64::NAN));
        let w = winsorise(&v, 10.0, 90.0);
        assert_eq!(w.low, Some(2.0));
        assert_eq!(w.high, Some(10.0));
        assert_eq!(w.clipped_low, 1); // 1 -> 2
        assert_eq!(w.clipped_high, 1); // 100 -> 10 (10 itself is not clipped)
        assert_eq!(w.values.len(), v.len());
        assert_eq!(w.values[0], Some(2.0));
        assert_eq!(w.values[1], Some(2.0));
        assert_eq!(w.values[3], None);
        assert_eq!(w.values[11], Some(10.0));
        assert_eq!(w.values[12], None);
        // Swapped percentiles give the same result.
        assert_eq!(winsorise(&v, 90.0, 10.0), w);
    }

    #[test]
    fn winsorise_one_percent_matches_numpy() {
        // v = np.arange(1.0, 101.0); v[-1] = 1e6
        // np.percentile(v, 1), np.percentile(v, 99) -> 1.99, 10098.010000005115
        // (h = 99·0.99 = 98.01: 99 + (1e6 − 99)·0.01, bit-for-bit with numpy's rounding)
        let mut v: Vec<Option<f64>> = (1..=100).map(|i| Some(f64::from(i))).collect();
        v[99] = Some(1e6);
        let w = winsorise(&v, 1.0, 99.0);
        assert_eq!(w.low, Some(1.99));
        assert_eq!(w.high, Some(10098.010000005115));
        assert_eq!((w.clipped_low, w.clipped_high), (1, 1));
        assert_eq!(w.values[0], w.low);
        assert_eq!(w.values[1], Some(2.0));
        assert_eq!(w.values[99], w.high);
    }

    #[test]
    fn winsorise_degenerate_inputs() {
        let e = winsorise(&[], 1.0, 99.0);
        assert_eq!(
            e,
            Winsorised {
                values: vec![],
                low: None,
                high: None,
                clipped_low: 0,
                clipped_high: 0
            }
        );
        let m = winsorise(&[None, Some(f64::INFINITY)], 1.0, 99.0);
        assert_eq!(m.values, vec![None, None]);
        assert_eq!((m.low, m.high, m.clipped_low, m.clipped_high), (None, None, 0, 0));
        let s = winsorise(&[None, Some(4.0)], 1.0, 99.0);
        assert_eq!(s.values, vec![None, Some(4.0)]);
        assert_eq!(
            (s.low, s.high, s.clipped_low, s.clipped_high),
            (Some(4.0), Some(4.0), 0, 0)
        );
        let c = winsorise(&[Some(2.5); 4], 5.0, 95.0);
        assert_eq!(c.values, vec![Some(2.5); 4]);
        assert_eq!(
            (c.low, c.high, c.clipped_low, c.clipped_high),
            (Some(2.5), Some(2.5), 0, 0)
        );
        // A NaN percentile leaves that side untouched.
        let n = winsorise(&[Some(1.0), Some(2.0), Some(30.0)], f64::NAN, 50.0);
        assert_eq!(n.values, vec![Some(1.0), Some(2.0), Some(2.0)]);
        assert_eq!(
            (n.low, n.high, n.clipped_low, n.clipped_high),
            (None, Some(2.0), 0, 1)
        );
    }
}
