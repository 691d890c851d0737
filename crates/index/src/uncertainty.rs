//! Monte Carlo uncertainty and sensitivity analysis of the index (OECD/JRC handbook, COINr's
//! `get_sensitivity`): each draw perturbs every weight by a uniform noise factor, and picks a
//! normalisation and an aggregation from the configured alternatives; the index is recomputed
//! and re-ranked. Reported per row: median rank, 5th–95th percentile rank, probability of
//! being in the top class, and mean absolute rank shift against the reference.
//!
//! Draws run in parallel; draw `d` uses its own random stream derived from `(seed, d)`, so the
//! result for a seed is identical whatever the thread count.

use ndarray::{Array2, Axis};
use rayon::prelude::*;

use super::compute::{Composite, score};
use super::treat::percentile;
use careblock_core::rng::SplitMix64;
use careblock_method::{AggregationName, NormalisationName};

/// What the Monte Carlo varies.
#[derive(Debug, Clone, PartialEq)]
pub struct MonteCarlo {
    /// Number of draws.
    pub draws: usize,
    /// Seed.
    pub seed: u64,
    /// Each weight is multiplied by `1 + noise·U(−1, 1)`.
    pub weight_noise: f64,
    /// Normalisations drawn uniformly.
    pub normalisations: Vec<NormalisationName>,
    /// Aggregations drawn uniformly.
    pub aggregations: Vec<AggregationName>,
}

/// The outcome per row (`None` for rows that are never ranked).
#[derive(Debug, Clone, PartialEq)]
pub struct Uncertainty {
    /// Number of draws.
    pub draws: usize,
    /// Median rank over the draws.
    pub median_rank: Vec<Option<f64>>,
    /// 5th percentile rank (numpy's linear interpolation).
    pub p05_rank: Vec<Option<f64>>,
    /// 95th percentile rank.
    pub p95_rank: Vec<Option<f64>>,
    /// Share of draws in which the row is in the top class.
    pub p_top_class: Vec<Option<f64>>,
    /// Mean |rank − reference rank| over the draws.
    pub mean_abs_shift: Vec<Option<f64>>,
    /// The handbook's R̄S: mean over rows of `mean_abs_shift`.
    pub mean_rank_shift: f64,
}

/// The composite of draw `d`: the reference with its weights, normalisation and aggregation
/// drawn from the stream `(seed, d)`.
pub fn draw_composite(reference: &Composite, mc: &MonteCarlo, d: usize) -> Composite {
    let mut g = SplitMix64::stream(mc.seed, d);
    let mut c = reference.clone();
    for ind in &mut c.indicators {
        ind.weight *= 1.0 + mc.weight_noise * (2.0 * g.uniform() - 1.0);
    }
    for dim in &mut c.dimensions {
        dim.weight *= 1.0 + mc.weight_noise * (2.0 * g.uniform() - 1.0);
    }
    c.normalisation = mc.normalisations[g.below(mc.normalisations.len())];
    c.aggregation = mc.aggregations[g.below(mc.aggregations.len())];
    c
}

/// Runs the Monte Carlo on one level. `reference_rank` is the rank of the reference method.
pub fn monte_carlo(
    treated: &[Vec<Option<f64>>],
    eligible: &[bool],
    ids: &[String],
    reference: &Composite,
    reference_rank: &[Option<u32>],
    mc: &MonteCarlo,
) -> Uncertainty {
    let n = eligible.len();
    // One rank per draw (row) and unit or district (column), 0 = not ranked, 4 bytes each,
    // kept for the percentiles; the top-class memberships are only counted.
    let mut ranks = Array2::<u32>::zeros((mc.draws, n));
    let top_counts: Vec<u32> = ranks
        .axis_iter_mut(Axis(0))
        .into_par_iter()
        .enumerate()
        .map(|(d, mut row)| {
            let c = draw_composite(reference, mc, d);
            let s = score(treated, eligible, ids, &c);
            for (r, x) in row.iter_mut().zip(&s.rank) {
                *r = x.unwrap_or(0);
            }
            let top_class = s.class.iter().flatten().copied().max();
            s.class
                .iter()
                .map(|k| u32::from(k.is_some() && *k == top_class))
                .collect::<Vec<u32>>()
        })
        .reduce(
            || vec![0u32; n],
            |mut counts, more| {
                for (c, m) in counts.iter_mut().zip(more) {
                    *c += m;
                }
                counts
            },
        );

    type RowStats = (Option<f64>, Option<f64>, Option<f64>, Option<f64>, Option<f64>);
    // Columns in blocks: each block is copied out of the matrix once (contiguous reads), and
    // the per-column gathers then stay in a buffer that fits the cache.
    const BLOCK: usize = 256;
    let (top_counts, ranks) = (&top_counts, &ranks);
    let per_row: Vec<RowStats> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .flat_map_iter(|b| {
            let cols = b * BLOCK..((b + 1) * BLOCK).min(n);
            // Row by row (each a contiguous copy), not element by element.
            let mut block = Array2::<u32>::zeros((mc.draws, cols.len()));
            for (mut dst, src) in block.rows_mut().into_iter().zip(ranks.rows()) {
                let (dst, src) = (dst.as_slice_mut(), src.as_slice());
                dst.expect("a fresh array is contiguous")
                    .copy_from_slice(&src.expect("rows of a standard array are contiguous")[cols.clone()]);
            }
            let mut draws = Vec::with_capacity(mc.draws);
            cols.map(move |i| {
                draws.clear();
                draws.extend(
                    block
                        .column(i - b * BLOCK)
                        .iter()
                        .filter(|&&r| r > 0)
                        .map(|&r| f64::from(r)),
                );
                if draws.is_empty() {
                    return (None, None, None, None, None);
                }
                draws.sort_by(f64::total_cmp);
                let top = f64::from(top_counts[i]) / mc.draws as f64;
                let shift = reference_rank[i].map(|r0| {
                    let r0 = f64::from(r0);
                    draws.iter().map(|r| (r - r0).abs()).sum::<f64>() / draws.len() as f64
                });
                (
                    percentile(&draws, 50.0),
                    percentile(&draws, 5.0),
                    percentile(&draws, 95.0),
                    Some(top),
                    shift,
                )
            })
            .collect::<Vec<RowStats>>()
        })
        .collect();
    let shifts: Vec<f64> = per_row.iter().filter_map(|r| r.4).collect();
    Uncertainty {
        draws: mc.draws,
        median_rank: per_row.iter().map(|r| r.0).collect(),
        p05_rank: per_row.iter().map(|r| r.1).collect(),
        p95_rank: per_row.iter().map(|r| r.2).collect(),
        p_top_class: per_row.iter().map(|r| r.3).collect(),
        mean_abs_shift: per_row.iter().map(|r| r.4).collect(),
        mean_rank_shift: if shifts.is_empty() {
            0.0
        } else {
            shifts.iter().sum::<f64>() / shifts.len() as f64
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Direction;
    use crate::classify::Classification;
    use crate::compute::{DimensionDef, IndicatorDef};

    fn setup() -> (Vec<Vec<Option<f64>>>, Vec<String>, Composite) {
        let n = 40;
        let a: Vec<Option<f64>> = (0..n).map(|i| Some(((i * 37) % 41) as f64)).collect();
        let b: Vec<Option<f64>> = (0..n)
            .map(|i| Some(((i * 11) % 13) as f64 + 0.5 * i as f64))
            .collect();
        let ids = (0..n).map(|i| format!("d{i:02}")).collect();
        let c = Composite {
            indicators: vec![
                IndicatorDef {
                    name: "a".into(),
                    dimension: 0,
                    direction: Direction::Positive,
                    weight: 1.0,
                    goalposts: None,
                },
                IndicatorDef {
                    name: "b".into(),
                    dimension: 1,
                    direction: Direction::Positive,
                    weight: 1.0,
                    goalposts: None,
                },
            ],
            dimensions: vec![
                DimensionDef {
                    name: "x".into(),
                    weight: 1.0,
                },
                DimensionDef {
                    name: "y".into(),
                    weight: 1.0,
                },
            ],
            normalisation: NormalisationName::MinMax,
            aggregation: AggregationName::Arithmetic,
            min_available: 0.5,
            classification: Classification::Quantiles { k: 5 },
        };
        (vec![a, b], ids, c)
    }

    fn mc(draws: usize, noise: f64) -> MonteCarlo {
        MonteCarlo {
            draws,
            seed: 7,
            weight_noise: noise,
            normalisations: vec![
                NormalisationName::MinMax,
                NormalisationName::ZScore,
                NormalisationName::Rank,
            ],
            aggregations: vec![AggregationName::Arithmetic, AggregationName::Geometric],
        }
    }

    #[test]
    fn no_variation_reproduces_the_reference() {
        let (t, ids, c) = setup();
        let eligible = vec![true; ids.len()];
        let reference = score(&t, &eligible, &ids, &c);
        let m = MonteCarlo {
            normalisations: vec![NormalisationName::MinMax],
            aggregations: vec![AggregationName::Arithmetic],
            ..mc(20, 0.0)
        };
        let u = monte_carlo(&t, &eligible, &ids, &c, &reference.rank, &m);
        for i in 0..ids.len() {
            assert_eq!(u.median_rank[i], reference.rank[i].map(f64::from));
            assert_eq!(u.mean_abs_shift[i], Some(0.0));
        }
        assert_eq!(u.mean_rank_shift, 0.0);
    }

    #[test]
    fn same_seed_same_result_whatever_the_thread_count() {
        let (t, ids, c) = setup();
        let eligible = vec![true; ids.len()];
        let reference = score(&t, &eligible, &ids, &c);
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| monte_carlo(&t, &eligible, &ids, &c, &reference.rank, &mc(200, 0.25)))
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert!(one.mean_rank_shift > 0.0);
        for i in 0..ids.len() {
            let (lo, med, hi) = (
                one.p05_rank[i].unwrap(),
                one.median_rank[i].unwrap(),
                one.p95_rank[i].unwrap(),
            );
            assert!(lo <= med && med <= hi);
            let p = one.p_top_class[i].unwrap();
            assert!((0.0..=1.0).contains(&p));
        }
    }

    #[test]
    fn generator_is_uniform_enough() {
        let mut g = SplitMix64::stream(1, 0);
        let xs: Vec<f64> = (0..10_000).map(|_| g.uniform()).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!((mean - 0.5).abs() < 0.01);
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
    }
}
