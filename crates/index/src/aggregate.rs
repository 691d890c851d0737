//! Aggregation of one row (a unit's indicator scores, or its dimension scores) into a single
//! value, with each input's contribution to it: weighted arithmetic mean, weighted geometric
//! mean, and the Mazziotta–Pareto index (MPI).
//!
//! Missing scores are dropped and the weights of the present ones renormalised to sum to 1:
//! `a_i = w_i / Σ_{j present} w_j`. A score is *present* when it is `Some(x)` with `x` finite.

use super::Direction;
use super::normalise::{Normalisation, normalise};
use careblock_method::AggregationName;

/// The sign of the MPI penalty for unbalanced profiles.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Penalty {
    /// `M − S·cv`: for indices where higher is better (e.g. well-being), so an unbalanced
    /// profile lowers the score (Compind `penalty = "POS"`).
    Positive,
    /// `M + S·cv`: for need or poverty indices, so an unbalanced profile raises the score
    /// (Compind `penalty = "NEG"`). The default: careblock's index measures need.
    #[default]
    Negative,
}

/// An aggregation method. The default is [`Aggregation::Arithmetic`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Aggregation {
    /// Weighted arithmetic mean `Σ a_i x_i` (fully compensatory).
    #[default]
    Arithmetic,
    /// Weighted geometric mean `∏ x_i^{a_i}` (partially compensatory); needs every present
    /// score `> 0`, so scores are rescaled to `[1, 100]` first
    /// (see [`rescale`](super::normalise::rescale)).
    Geometric,
    /// Mazziotta–Pareto index `M ∓ S·cv` on scores standardised with [`mpi_standardise`]
    /// (non-compensatory: penalises or rewards unbalanced profiles).
    MazziottaPareto {
        /// Sign of the penalty.
        penalty: Penalty,
    },
}

/// The aggregate of one row.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// The aggregated value.
    pub value: f64,
    /// The contribution of each input score, one per input (`0` for a missing score).
    /// `Σ contributions + penalty == value` up to rounding.
    pub contributions: Vec<f64>,
    /// The part of `value` not attributed to any input: the MPI penalty `value − M`
    /// (`0` for the arithmetic and geometric means).
    pub penalty: f64,
}

/// Aggregate one row of scores with the given weights.
///
/// `weights` has one entry per score and is validated upstream (finite, `> 0`). Missing scores
/// are dropped and the present weights renormalised, `a_i = w_i / Σ_{present} w_j`.
///
/// Returns `None` when no score is present, when the share of present scores
/// (`present / scores.len()`, by count) is below `min_available` (e.g. `0.5`), when
/// `weights.len() != scores.len()`, or when a present score has a negative or non-finite weight
/// or the present weights sum to zero. Otherwise, with `m` present scores:
///
/// - [`Aggregation::Arithmetic`]: `value = Σ a_i x_i`; contribution `c_i = a_i x_i`;
///   penalty `0`.
/// - [`Aggregation::Geometric`]: `value = ∏ x_i^{a_i} = exp(Σ a_i ln x_i)`. Every present
///   `x_i` must be `> 0`, otherwise `None` (callers rescale to `[1, 100]` first). Contributions
///   share the value in proportion to the log terms, `c_i = value · a_i ln x_i / Σ_j a_j ln x_j`,
///   so they sum to `value`; with scores `≥ 1` every log term is `≥ 0` and each contribution
///   lies in `[0, value]`. When `Σ_j a_j ln x_j == 0` (e.g. all `x = 1`) the value is split in
///   proportion to the weights, `c_i = value · a_i`. Penalty `0`.
/// - [`Aggregation::MazziottaPareto`] (Mazziotta & Pareto 2016; Compind `ci_mpi`), on scores
///   standardised by [`mpi_standardise`]: `M = Σ a_i x_i`,
///   `S = (Σ a_i (x_i − M)² / (1 − Σ a_i²))^½`, `cv = S/M`, and
///   `value = M − S·cv = M(1 − cv²)` ([`Penalty::Positive`]) or
///   `value = M + S·cv = M(1 + cv²)` ([`Penalty::Negative`]). `S` is the unbiased
///   (reliability-weights) weighted standard deviation: with equal weights it is the sample
///   standard deviation `(Σ (x_i − M)² / (m − 1))^½` that Compind computes with R's `var()`
///   (Mazziotta & Pareto's paper uses the population form `/m`; the difference is a factor
///   `m/(m − 1)` on the penalty). With a single present score `S = 0` (Compind would give
///   `NA`), so `value = M`. Contributions are the arithmetic ones of `M`, `c_i = a_i x_i`, and
///   `penalty = value − M = ∓S·cv`. `None` if `M ≤ 0`, where the coefficient of variation is
///   meaningless (standardised scores are centred on 100, so this needs extreme outliers).
pub fn aggregate_row(
    scores: &[Option<f64>],
    weights: &[f64],
    method: Aggregation,
    min_available: f64,
) -> Option<Aggregate> {
    let mut contributions = Vec::new();
    let (value, penalty) = aggregate_into(scores, weights, method, min_available, &mut contributions)?;
    Some(Aggregate {
        value,
        contributions,
        penalty,
    })
}

/// [`aggregate_row`] into a caller's buffer: returns `(value, penalty)` and leaves the
/// contributions in `contributions` (resized to `scores.len()`), so a caller that aggregates
/// every row of every Monte Carlo draw allocates nothing per row. The arithmetic is
/// [`aggregate_row`]'s, operation for operation.
pub fn aggregate_into(
    scores: &[Option<f64>],
    weights: &[f64],
    method: Aggregation,
    min_available: f64,
    contributions: &mut Vec<f64>,
) -> Option<(f64, f64)> {
    contributions.clear();
    if scores.len() != weights.len() {
        return None;
    }
    // The present scores as (index, score, weight), and then with normalised weights a_i, as
    // iterators rather than vectors: the Monte Carlo aggregates every row of every draw.
    let present = || {
        scores
            .iter()
            .zip(weights)
            .enumerate()
            .filter_map(|(i, (&s, &w))| s.filter(|x| x.is_finite()).map(|x| (i, x, w)))
    };
    let m = present().count();
    if m == 0 || (m as f64) / (scores.len() as f64) < min_available {
        return None;
    }
    if present().any(|(_, _, w)| !(w.is_finite() && w >= 0.0)) {
        return None;
    }
    let total: f64 = present().map(|(_, _, w)| w).sum();
    if !total.is_finite() || total <= 0.0 {
        return None;
    }
    let rows = || present().map(|(i, x, w)| (i, x, w / total));
    contributions.resize(scores.len(), 0.0);
    match method {
        Aggregation::Arithmetic => {
            for (i, x, a) in rows() {
                contributions[i] = a * x;
            }
            let value = rows().map(|(i, _, _)| contributions[i]).sum();
            Some((value, 0.0))
        }
        Aggregation::Geometric => {
            if rows().any(|(_, x, _)| x <= 0.0) {
                return None;
            }
            let log_sum: f64 = rows().map(|(_, x, a)| a * x.ln()).sum();
            let value = log_sum.exp();
            for (i, x, a) in rows() {
                contributions[i] = if log_sum == 0.0 {
                    value * a
                } else {
                    value * (a * x.ln()) / log_sum
                };
            }
            Some((value, 0.0))
        }
        Aggregation::MazziottaPareto { penalty } => {
            for (i, x, a) in rows() {
                contributions[i] = a * x;
            }
            let mean: f64 = rows().map(|(i, _, _)| contributions[i]).sum();
            if mean.is_nan() || mean <= 0.0 {
                return None;
            }
            let variance = if m < 2 {
                0.0
            } else {
                let spread: f64 = rows().map(|(_, x, a)| a * (x - mean) * (x - mean)).sum();
                let sum_a2: f64 = rows().map(|(_, _, a)| a * a).sum();
                spread / (1.0 - sum_a2)
            };
            // S·cv = S²/M
            let s_cv = variance / mean;
            let penalty = match penalty {
                Penalty::Positive => -s_cv,
                Penalty::Negative => s_cv,
            };
            Some((mean + penalty, penalty))
        }
    }
}

/// Standardise one indicator column for the Mazziotta–Pareto index:
/// `z = 100 + 10·(sign·x − μ)/σ`, with `μ` and `σ` the mean and sample standard deviation
/// (`n − 1`, R's `sd()`) of the signed present values, as Compind's
/// `normalise_ci(method = 1, z.mean = 100, z.std = 10)` does before `ci_mpi`.
///
/// This is [`normalise`] with `ZScore { mean: 100.0, sd: 10.0 }`: missing values stay missing,
/// empty or all-missing input gives all `None`, and a constant column or a single present value
/// gives every present value `100`.
pub fn mpi_standardise(values: &[Option<f64>], direction: Direction) -> Vec<Option<f64>> {
    normalise(
        values,
        direction,
        Normalisation::ZScore {
            mean: 100.0,
            sd: 10.0,
        },
    )
}

impl From<AggregationName> for Aggregation {
    /// The aggregation a method's `[aggregation]` names.
    fn from(name: AggregationName) -> Aggregation {
        match name {
            AggregationName::Arithmetic => Aggregation::Arithmetic,
            AggregationName::Geometric => Aggregation::Geometric,
            AggregationName::MazziottaPareto => Aggregation::MazziottaPareto {
                penalty: Penalty::Negative,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn near(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
    }

    fn assert_parts(r: &Aggregate, value: f64, contributions: &[f64], penalty: f64) {
        assert!(near(r.value, value), "value {} vs {}", r.value, value);
        assert_eq!(r.contributions.len(), contributions.len());
        for (c, e) in r.contributions.iter().zip(contributions) {
            assert!(near(*c, *e), "contribution {c} vs {e}");
        }
        assert!(near(r.penalty, penalty), "penalty {} vs {}", r.penalty, penalty);
        let total: f64 = r.contributions.iter().sum::<f64>() + r.penalty;
        assert!(
            near(total, r.value),
            "Σ contributions + penalty = {total} vs value {}",
            r.value
        );
    }

    #[test]
    fn defaults() {
        assert_eq!(Aggregation::default(), Aggregation::Arithmetic);
        assert_eq!(Penalty::default(), Penalty::Negative);
    }

    #[test]
    fn arithmetic_renormalises_weights_over_present_scores() {
        // Present: 60 (w 1), 30 (w 1), 90 (w 2); Σw = 4 → a = 1/4, 1/4, 1/2
        // value = 15 + 7.5 + 45 = 67.5
        let s = [Some(60.0), None, Some(30.0), Some(90.0)];
        let w = [1.0, 2.0, 1.0, 2.0];
        let r = aggregate_row(&s, &w, Aggregation::Arithmetic, 0.5).unwrap();
        assert_parts(&r, 67.5, &[15.0, 0.0, 7.5, 45.0], 0.0);
        // 3 of 4 present = 0.75: accepted at 0.75, refused at 0.8.
        assert!(aggregate_row(&s, &w, Aggregation::Arithmetic, 0.75).is_some());
        assert_eq!(aggregate_row(&s, &w, Aggregation::Arithmetic, 0.8), None);
    }

    #[test]
    fn degenerate_rows() {
        for method in [
            Aggregation::Arithmetic,
            Aggregation::Geometric,
            Aggregation::MazziottaPareto {
                penalty: Penalty::Negative,
            },
        ] {
            assert_eq!(aggregate_row(&[], &[], method, 0.0), None);
            assert_eq!(aggregate_row(&[None, None], &[1.0, 1.0], method, 0.0), None);
            assert_eq!(aggregate_row(&[Some(f64::NAN)], &[1.0], method, 0.0), None);
            assert_eq!(aggregate_row(&[Some(5.0)], &[1.0, 1.0], method, 0.0), None);
            // A single score is its own aggregate, whatever the method.
            let r = aggregate_row(&[Some(5.0)], &[3.0], method, 1.0).unwrap();
            assert_parts(&r, 5.0, &[5.0], 0.0);
            // A constant row aggregates to the constant, with no MPI penalty (S = 0).
            let r = aggregate_row(&[Some(7.0); 3], &[1.0, 2.0, 3.0], method, 1.0).unwrap();
            assert_parts(&r, 7.0, &[7.0 / 6.0, 14.0 / 6.0, 21.0 / 6.0], 0.0);
        }
    }

    #[test]
    fn geometric_log_share_contributions() {
        // Present 4 and 16 (weights 1, 1 → a = 1/2 each; 2 of 3 present ≥ 0.5):
        // value = √(4·16) = 8; a·ln x = ln 2 and 2 ln 2, Σ = 3 ln 2
        // → c = 8·1/3 = 8/3 and 8·2/3 = 16/3.
        let r = aggregate_row(
            &[Some(4.0), Some(16.0), None],
            &[1.0, 1.0, 2.0],
            Aggregation::Geometric,
            0.5,
        )
        .unwrap();
        assert_parts(&r, 8.0, &[8.0 / 3.0, 16.0 / 3.0, 0.0], 0.0);
        // Weights 1, 2 → a = 1/3, 2/3: 1^(1/3)·8^(2/3) = 4; ln 1 = 0 → c = 0, 4.
        let r = aggregate_row(&[Some(1.0), Some(8.0)], &[1.0, 2.0], Aggregation::Geometric, 0.5).unwrap();
        assert_parts(&r, 4.0, &[0.0, 4.0], 0.0);
        // All ones: Σ a ln x = 0, the value 1 is split by weight: 1/4, 3/4.
        let r = aggregate_row(&[Some(1.0), Some(1.0)], &[1.0, 3.0], Aggregation::Geometric, 0.5).unwrap();
        assert_parts(&r, 1.0, &[0.25, 0.75], 0.0);
        // A non-positive present score is refused; a missing one is not.
        assert_eq!(
            aggregate_row(&[Some(0.0), Some(8.0)], &[1.0, 1.0], Aggregation::Geometric, 0.5),
            None
        );
        assert_eq!(
            aggregate_row(&[Some(-2.0), Some(8.0)], &[1.0, 1.0], Aggregation::Geometric, 0.5),
            None
        );
        assert!(aggregate_row(&[None, Some(8.0)], &[1.0, 1.0], Aggregation::Geometric, 0.5).is_some());
        // 1 of 3 present < 0.5
        assert_eq!(
            aggregate_row(&[None, Some(8.0), None], &[1.0; 3], Aggregation::Geometric, 0.5),
            None
        );
    }

    #[test]
    fn mpi_equal_weights_by_hand() {
        // 110, 90, 100: M = 100, Σ(x − M)² = 200, sample var = 200/2 = 100, S = 10, cv = 0.1,
        // S·cv = 1 → 101 (negative penalty), 99 (positive).
        let s = [Some(110.0), Some(90.0), Some(100.0)];
        let c = [110.0 / 3.0, 30.0, 100.0 / 3.0];
        let neg = Aggregation::MazziottaPareto {
            penalty: Penalty::Negative,
        };
        let pos = Aggregation::MazziottaPareto {
            penalty: Penalty::Positive,
        };
        assert_parts(&aggregate_row(&s, &[1.0; 3], neg, 0.5).unwrap(), 101.0, &c, 1.0);
        assert_parts(&aggregate_row(&s, &[2.0; 3], pos, 0.5).unwrap(), 99.0, &c, -1.0);
    }

    #[test]
    fn mpi_weighted_with_missing_by_hand() {
        // Present 120 (w 1) and 90 (w 2) → a = 1/3, 2/3; M = 40 + 60 = 100.
        // Σ a (x − M)² = 400/3 + 200/3 = 200; 1 − Σ a² = 1 − 5/9 = 4/9; S² = 450;
        // S·cv = S²/M = 4.5 → 104.5 (negative), 95.5 (positive).
        let s = [Some(120.0), None, Some(90.0)];
        let w = [1.0, 5.0, 2.0];
        let neg = Aggregation::MazziottaPareto {
            penalty: Penalty::Negative,
        };
        let pos = Aggregation::MazziottaPareto {
            penalty: Penalty::Positive,
        };
        assert_parts(
            &aggregate_row(&s, &w, neg, 0.5).unwrap(),
            104.5,
            &[40.0, 0.0, 60.0],
            4.5,
        );
        assert_parts(
            &aggregate_row(&s, &w, pos, 0.5).unwrap(),
            95.5,
            &[40.0, 0.0, 60.0],
            -4.5,
        );
        assert_eq!(aggregate_row(&s, &w, neg, 0.7), None);
        // M ≤ 0: no coefficient of variation.
        assert_eq!(
            aggregate_row(&[Some(-5.0), Some(5.0)], &[1.0, 1.0], neg, 0.5),
            None
        );
    }

    #[test]
    fn mpi_matches_compind() {
        // Compind: normalise_ci(x, 1:3, c("POS", "NEG", "POS"), method = 1, z.mean = 100,
        // z.std = 10), then ci_mpi(..., penalty = "NEG" / "POS"); reproduced with numpy:
        //   z[:, j] = 100 + pol[j]·(c − c.mean())/c.std(ddof=1)·10
        //   M = z.mean(1); S = z.std(1, ddof=1); cv = S/M; M·(1 ± cv²)
        let x = [
            [12.0, 3.1, 0.40],
            [15.5, 2.2, 0.10],
            [9.0, 4.8, 0.35],
            [20.0, 1.5, 0.22],
            [11.2, 3.9, 0.05],
        ];
        let dirs = [Direction::Positive, Direction::Negative, Direction::Positive];
        let z: Vec<Vec<Option<f64>>> = (0..3)
            .map(|j| mpi_standardise(&x.iter().map(|r| Some(r[j])).collect::<Vec<_>>(), dirs[j]))
            .collect();
        let z_expected = [
            [96.42034662214375, 100.0, 111.57243769956958],
            [104.55592248090794, 106.85248288864193, 91.8466916207578],
            [89.44699588606018, 87.05642121034303, 108.28481335310094],
            [115.01594858503331, 112.1821918020301, 99.73699005228251],
            [94.5607864258548, 93.90890409898495, 88.55906727428916],
        ];
        let neg = [
            103.27518662419739,
            101.73130755223146,
            96.35366642244826,
            109.5845518017285,
            92.46035533675065,
        ];
        let pos = [
            102.05333625694483,
            100.43875710797363,
            93.50515387722119,
            108.3722018245021,
            92.22548319600197,
        ];
        for i in 0..5 {
            let row: Vec<Option<f64>> = (0..3).map(|j| z[j][i]).collect();
            for j in 0..3 {
                assert!(near(row[j].unwrap(), z_expected[i][j]));
            }
            let n = aggregate_row(
                &row,
                &[1.0; 3],
                Aggregation::MazziottaPareto {
                    penalty: Penalty::Negative,
                },
                1.0,
            )
            .unwrap();
            let p = aggregate_row(
                &row,
                &[1.0; 3],
                Aggregation::MazziottaPareto {
                    penalty: Penalty::Positive,
                },
                1.0,
            )
            .unwrap();
            assert!(near(n.value, neg[i]), "{} vs {}", n.value, neg[i]);
            assert!(near(p.value, pos[i]), "{} vs {}", p.value, pos[i]);
            let total: f64 = n.contributions.iter().sum::<f64>() + n.penalty;
            assert!(near(total, n.value));
        }
    }

    #[test]
    fn mpi_standardise_degenerate() {
        assert_eq!(mpi_standardise(&[], Direction::Positive), vec![]);
        assert_eq!(
            mpi_standardise(&[None, None], Direction::Positive),
            vec![None, None]
        );
        assert_eq!(
            mpi_standardise(&[Some(3.0), None], Direction::Negative),
            vec![Some(100.0), None]
        );
        assert_eq!(
            mpi_standardise(&[Some(3.0); 3], Direction::Positive),
            vec![Some(100.0); 3]
        );
        // 2, 4, 6: μ = 4, σ = 2 → 90, 100, 110 (reversed for a negative direction)
        let v = [Some(2.0), Some(4.0), Some(6.0)];
        assert_eq!(
            mpi_standardise(&v, Direction::Positive),
            vec![Some(90.0), Some(100.0), Some(110.0)]
        );
        assert_eq!(
            mpi_standardise(&v, Direction::Negative),
            vec![Some(110.0), Some(100.0), Some(90.0)]
        );
    }
}
