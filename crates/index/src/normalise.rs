//! Normalisation of one indicator column onto a common scale, with COINr's conventions
//! (`n_minx`, `n_zscore`, `n_goalposts`) and a percentile rank.
//!
//! The direction is applied first (`x ← sign·x`, see [`Direction::sign`]), so that after
//! normalisation a larger score always means more need. Statistics (minimum, maximum, mean,
//! standard deviation, ranks) are computed over the present values only.
//!
//! A value is *present* when it is `Some(x)` with `x` finite; `None`, `Some(NaN)` and
//! `Some(±∞)` are treated as missing and come out as `None`. A result that is not finite (only
//! possible with non-finite method parameters) also comes out as `None`.

use super::Direction;
use careblock_method::NormalisationName;

/// A normalisation method. The default is [`Normalisation::MinMax`] on `[0, 100]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Normalisation {
    /// Min-max onto `[low, high]`: `(x − min)/(max − min)·(high − low) + low`
    /// (COINr `n_minx`; default `[0, 100]`).
    MinMax {
        /// Score of the minimum.
        low: f64,
        /// Score of the maximum.
        high: f64,
    },
    /// Z-score: `(x − μ)/σ·sd + mean` with `μ` the mean and `σ` the sample standard deviation
    /// (`n − 1` denominator, R's `sd()`, as in COINr `n_zscore`; default `mean = 0`, `sd = 1`,
    /// see [`Normalisation::z_score`]).
    ZScore {
        /// Score of the column mean.
        mean: f64,
        /// Score distance of one standard deviation.
        sd: f64,
    },
    /// Percentile rank on `[0, 100]`: `(r − 1)/(n − 1)·100`, where `r` is the ascending rank
    /// (1 = smallest) with ties given their average rank, and `n` the number of present values.
    Rank,
    /// Goalposts in raw units: `clamp((x − L)/(U − L), 0, 1)·scale` for a positive direction,
    /// `clamp((U − x)/(U − L), 0, 1)·scale` for a negative one (COINr `n_goalposts`; default
    /// `scale = 100`, see [`Normalisation::goalposts`]). `L < U` is expected.
    Goalposts {
        /// Lower goalpost `L`, in the indicator's raw units.
        low: f64,
        /// Upper goalpost `U`, in the indicator's raw units.
        high: f64,
        /// Score of a value at or beyond the goalpost of most need.
        scale: f64,
    },
}

impl Default for Normalisation {
    /// `MinMax { low: 0.0, high: 100.0 }`.
    fn default() -> Self {
        Normalisation::MinMax {
            low: 0.0,
            high: 100.0,
        }
    }
}

impl Normalisation {
    /// `ZScore { mean: 0.0, sd: 1.0 }`.
    pub fn z_score() -> Self {
        Normalisation::ZScore { mean: 0.0, sd: 1.0 }
    }

    /// `Goalposts { low, high, scale: 100.0 }`.
    pub fn goalposts(low: f64, high: f64) -> Self {
        Normalisation::Goalposts {
            low,
            high,
            scale: 100.0,
        }
    }
}

/// Normalise one indicator column; returns one entry per input, `None` where missing.
///
/// The values are first multiplied by `direction.sign()`, then:
///
/// - [`Normalisation::MinMax`]: `(x − min)/(max − min)·(high − low) + low`. A constant column
///   (`max == min`, which includes a single present value) gives every present value the
///   midpoint `(low + high)/2`: no unit is more in need than another.
/// - [`Normalisation::ZScore`]: `(x − μ)/σ·sd + mean`, `σ` the sample standard deviation. A
///   constant column or a single present value (`σ` zero or undefined) gives every present
///   value `mean`.
/// - [`Normalisation::Rank`]: `(r − 1)/(n − 1)·100` with average ranks for ties; a single present
///   value gets `50`, and a constant column gives every value `50` (all tied at the average
///   rank `(n + 1)/2`).
/// - [`Normalisation::Goalposts`]: the goalposts stay in raw units, so the direction swaps their
///   roles instead: `clamp((x − L)/(U − L), 0, 1)·scale` (positive) or
///   `clamp((U − x)/(U − L), 0, 1)·scale` (negative). Values outside the goalposts are clipped.
///   Degenerate goalposts `U == L` are treated as the limit of a vanishing range: a value
///   strictly beyond the goalpost in the direction of need (`x > L` positive, `x < U` negative)
///   scores `scale`, any other value `0`. Goalposts do not depend on the other values, so a
///   constant column is not special.
///
/// Empty or all-missing input gives all `None`.
pub fn normalise(values: &[Option<f64>], direction: Direction, method: Normalisation) -> Vec<Option<f64>> {
    let sign = direction.sign();
    let signed: Vec<Option<f64>> = values.iter().map(|&v| present(v).map(|x| sign * x)).collect();
    let out = match method {
        Normalisation::MinMax { low, high } => rescale(&signed, low, high),
        Normalisation::ZScore { mean, sd } => z_score(&signed, mean, sd),
        Normalisation::Rank => percentile_rank(&signed),
        Normalisation::Goalposts { low, high, scale } => values
            .iter()
            .map(|&v| {
                let x = present(v)?;
                let share = if high == low {
                    let beyond = match direction {
                        Direction::Positive => x > low,
                        Direction::Negative => x < high,
                    };
                    if beyond { 1.0 } else { 0.0 }
                } else {
                    let share = match direction {
                        Direction::Positive => (x - low) / (high - low),
                        Direction::Negative => (high - x) / (high - low),
                    };
                    share.clamp(0.0, 1.0)
                };
                Some(share * scale)
            })
            .collect(),
    };
    out.into_iter().map(present).collect()
}

/// Plain min-max rescaling of the present values onto `[low, high]`:
/// `(x − min)/(max − min)·(high − low) + low`, with no direction and no other treatment. Used to
/// put normalised scores on `[1, 100]` before a geometric mean, which needs positive inputs.
///
/// A constant column (`max == min`, which includes a single present value) gives every present
/// value the midpoint `(low + high)/2`. Missing values stay missing; empty or all-missing input
/// gives all `None`.
pub fn rescale(values: &[Option<f64>], low: f64, high: f64) -> Vec<Option<f64>> {
    let Some((min, max)) = min_max(values) else {
        return vec![None; values.len()];
    };
    values
        .iter()
        .map(|&v| {
            let x = present(v)?;
            let y = if max == min {
                (low + high) / 2.0
            } else {
                (x - min) / (max - min) * (high - low) + low
            };
            present(Some(y))
        })
        .collect()
}

fn present(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

fn min_max(values: &[Option<f64>]) -> Option<(f64, f64)> {
    values
        .iter()
        .filter_map(|&v| present(v))
        .fold(None, |acc, x| match acc {
            None => Some((x, x)),
            Some((lo, hi)) => Some((lo.min(x), hi.max(x))),
        })
}

fn z_score(values: &[Option<f64>], mean: f64, sd: f64) -> Vec<Option<f64>> {
    let Some((min, max)) = min_max(values) else {
        return vec![None; values.len()];
    };
    let xs: Vec<f64> = values.iter().filter_map(|&v| present(v)).collect();
    let n = xs.len() as f64;
    let mu = xs.iter().sum::<f64>() / n;
    // Two-pass sample variance; the constant case is decided on min == max, not on a
    // variance that rounding may leave slightly above zero.
    let sigma = (xs.iter().map(|x| (x - mu) * (x - mu)).sum::<f64>() / (n - 1.0)).sqrt();
    let constant = max == min || xs.len() < 2;
    values
        .iter()
        .map(|&v| {
            present(v).map(|x| {
                if constant {
                    mean
                } else {
                    (x - mu) / sigma * sd + mean
                }
            })
        })
        .collect()
}

fn percentile_rank(values: &[Option<f64>]) -> Vec<Option<f64>> {
    let mut idx: Vec<(usize, f64)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, &v)| present(v).map(|x| (i, x)))
        .collect();
    idx.sort_by(|a, b| a.1.total_cmp(&b.1));
    let n = idx.len();
    let mut out = vec![None; values.len()];
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        while end < n && idx[end].1 == idx[start].1 {
            end += 1;
        }
        // Positions start..end (0-based) share the average 1-based rank (start + 1 + end) / 2.
        let r = (start + 1 + end) as f64 / 2.0;
        let score = if n == 1 {
            50.0
        } else {
            (r - 1.0) / (n - 1) as f64 * 100.0
        };
        for &(i, _) in &idx[start..end] {
            out[i] = Some(score);
        }
        start = end;
    }
    out
}

/// The normalisation a method's `[normalisation]` names, for one indicator (goalposts from the
/// indicator).
pub fn normalisation(name: NormalisationName, goalposts: Option<[f64; 2]>) -> Normalisation {
    match name {
        NormalisationName::MinMax => Normalisation::MinMax {
            low: 0.0,
            high: 100.0,
        },
        NormalisationName::ZScore => Normalisation::ZScore { mean: 0.0, sd: 1.0 },
        NormalisationName::Rank => Normalisation::Rank,
        NormalisationName::Goalposts => {
            let [low, high] = goalposts.unwrap_or([0.0, 1.0]);
            Normalisation::Goalposts {
                low,
                high,
                scale: 100.0,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(xs: &[f64]) -> Vec<Option<f64>> {
        xs.iter().copied().map(Some).collect()
    }

    fn close(a: &[Option<f64>], b: &[Option<f64>]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| match (x, y) {
                (Some(x), Some(y)) => (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1.0),
                (None, None) => true,
                _ => false,
            })
    }

    #[test]
    fn min_max_both_directions() {
        // min 2, max 10: (x − 2)/8·100
        let v = vec![Some(2.0), Some(4.0), None, Some(10.0), Some(f64::NAN)];
        let p = normalise(&v, Direction::Positive, Normalisation::default());
        assert!(close(&p, &[Some(0.0), Some(25.0), None, Some(100.0), None]));
        // Negative: −x has min −10, max −2: (−x + 10)/8·100
        let n = normalise(&v, Direction::Negative, Normalisation::default());
        assert!(close(&n, &[Some(100.0), Some(75.0), None, Some(0.0), None]));
        // On [1, 100]: 1 + (x − 2)/8·99
        let r = normalise(
            &v,
            Direction::Positive,
            Normalisation::MinMax {
                low: 1.0,
                high: 100.0,
            },
        );
        assert!(close(&r, &[Some(1.0), Some(25.75), None, Some(100.0), None]));
        assert_eq!(rescale(&v, 1.0, 100.0), r);
    }

    #[test]
    fn min_max_degenerate() {
        let d = Normalisation::default();
        assert_eq!(normalise(&[], Direction::Positive, d), vec![]);
        assert_eq!(normalise(&[None, None], Direction::Positive, d), vec![None, None]);
        assert_eq!(
            normalise(&[None, Some(7.0)], Direction::Negative, d),
            vec![None, Some(50.0)]
        );
        assert_eq!(
            normalise(&some(&[3.0; 3]), Direction::Positive, d),
            some(&[50.0; 3])
        );
        assert_eq!(rescale(&some(&[3.0; 2]), 1.0, 100.0), some(&[50.5; 2]));
        assert_eq!(rescale(&[], 1.0, 100.0), vec![]);
    }

    #[test]
    fn z_score_uses_the_sample_sd() {
        // x = 2, 4, 6: μ = 4, σ = √((4 + 0 + 4)/2) = 2 → −1, 0, 1
        let v = vec![Some(2.0), None, Some(4.0), Some(6.0)];
        let z = normalise(&v, Direction::Positive, Normalisation::z_score());
        assert!(close(&z, &[Some(-1.0), None, Some(0.0), Some(1.0)]));
        let zn = normalise(&v, Direction::Negative, Normalisation::z_score());
        assert!(close(&zn, &[Some(1.0), None, Some(0.0), Some(-1.0)]));
        // MPI-style scale: 100 + 10·z
        let m = normalise(
            &v,
            Direction::Positive,
            Normalisation::ZScore {
                mean: 100.0,
                sd: 10.0,
            },
        );
        assert!(close(&m, &[Some(90.0), None, Some(100.0), Some(110.0)]));
    }

    #[test]
    fn z_score_degenerate() {
        let z = Normalisation::ZScore {
            mean: 100.0,
            sd: 10.0,
        };
        assert_eq!(normalise(&[], Direction::Positive, z), vec![]);
        assert_eq!(normalise(&[None], Direction::Positive, z), vec![None]);
        assert_eq!(
            normalise(&[Some(5.0), None], Direction::Positive, z),
            vec![Some(100.0), None]
        );
        // 0.1 three times: the mean rounds to 0.10000000000000002, yet the column is constant.
        assert_eq!(
            normalise(&some(&[0.1; 3]), Direction::Negative, z),
            some(&[100.0; 3])
        );
    }

    #[test]
    fn rank_averages_ties() {
        // values 5, 1, 5, 3, 9 → ascending ranks 3.5, 1, 3.5, 2, 5; n = 5:
        // (r − 1)/4·100 = 62.5, 0, 62.5, 25, 100
        let v = vec![Some(5.0), Some(1.0), None, Some(5.0), Some(3.0), Some(9.0)];
        let r = normalise(&v, Direction::Positive, Normalisation::Rank);
        assert_eq!(
            r,
            vec![Some(62.5), Some(0.0), None, Some(62.5), Some(25.0), Some(100.0)]
        );
        // Negative: ranks of −x are 5 + 1 − r → 2.5, 5, 2.5, 4, 1 → 37.5, 100, 37.5, 75, 0
        let n = normalise(&v, Direction::Negative, Normalisation::Rank);
        assert_eq!(
            n,
            vec![Some(37.5), Some(100.0), None, Some(37.5), Some(75.0), Some(0.0)]
        );
    }

    #[test]
    fn rank_degenerate() {
        assert_eq!(normalise(&[], Direction::Positive, Normalisation::Rank), vec![]);
        assert_eq!(
            normalise(&[None], Direction::Positive, Normalisation::Rank),
            vec![None]
        );
        assert_eq!(
            normalise(&[Some(3.0)], Direction::Positive, Normalisation::Rank),
            vec![Some(50.0)]
        );
        assert_eq!(
            normalise(&some(&[2.0; 4]), Direction::Negative, Normalisation::Rank),
            some(&[50.0; 4])
        );
    }

    #[test]
    fn goalposts_in_raw_units() {
        // L = 10, U = 30, scale 100
        let g = Normalisation::goalposts(10.0, 30.0);
        let v = vec![Some(5.0), Some(10.0), Some(15.0), None, Some(30.0), Some(40.0)];
        let p = normalise(&v, Direction::Positive, g);
        assert_eq!(
            p,
            vec![Some(0.0), Some(0.0), Some(25.0), None, Some(100.0), Some(100.0)]
        );
        // Negative: (30 − x)/20·100
        let n = normalise(&v, Direction::Negative, g);
        assert_eq!(
            n,
            vec![Some(100.0), Some(100.0), Some(75.0), None, Some(0.0), Some(0.0)]
        );
        let one = Normalisation::Goalposts {
            low: 10.0,
            high: 30.0,
            scale: 1.0,
        };
        assert_eq!(
            normalise(&[Some(20.0)], Direction::Positive, one),
            vec![Some(0.5)]
        );
    }

    #[test]
    fn goalposts_degenerate() {
        let g = Normalisation::goalposts(10.0, 10.0);
        let v = vec![Some(5.0), Some(10.0), Some(15.0)];
        assert_eq!(normalise(&v, Direction::Positive, g), some(&[0.0, 0.0, 100.0]));
        assert_eq!(normalise(&v, Direction::Negative, g), some(&[100.0, 0.0, 0.0]));
        assert_eq!(
            normalise(
                &some(&[12.0; 2]),
                Direction::Positive,
                Normalisation::goalposts(10.0, 30.0)
            ),
            some(&[10.0; 2])
        );
        assert_eq!(normalise(&[], Direction::Positive, g), vec![]);
        assert_eq!(normalise(&[None], Direction::Positive, g), vec![None]);
        // Non-finite parameters give None rather than NaN.
        let bad = Normalisation::Goalposts {
            low: f64::NAN,
            high: 1.0,
            scale: 100.0,
        };
        assert_eq!(normalise(&[Some(0.5)], Direction::Positive, bad), vec![None]);
    }
}
