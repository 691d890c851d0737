//! From treated indicator columns to the index: normalise each indicator, aggregate
//! indicators into dimension scores and dimensions into the index, attribute the index to
//! the indicators (contributions), rank and classify.

use rayon::prelude::*;

use super::Direction;
use super::aggregate::{Aggregation, aggregate_into, mpi_standardise};
use super::classify::{Classification, classify};
use super::normalise::{normalisation, normalise, rescale};
use careblock_method::{AggregationName, NormalisationName};

/// One indicator of a composite: its dimension (index into [`Composite::dimensions`]),
/// direction, weight within the dimension, and goalposts if any.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorDef {
    /// Name.
    pub name: String,
    /// Index of its dimension.
    pub dimension: usize,
    /// Direction of need.
    pub direction: Direction,
    /// Weight within its dimension (> 0).
    pub weight: f64,
    /// Goalposts in raw units, for goalpost normalisation.
    pub goalposts: Option<[f64; 2]>,
}

/// A dimension and its weight in the index.
#[derive(Debug, Clone, PartialEq)]
pub struct DimensionDef {
    /// Name.
    pub name: String,
    /// Weight (> 0).
    pub weight: f64,
}

/// Every choice that turns indicator values into an index.
#[derive(Debug, Clone, PartialEq)]
pub struct Composite {
    /// The indicators, in column order.
    pub indicators: Vec<IndicatorDef>,
    /// The dimensions.
    pub dimensions: Vec<DimensionDef>,
    /// Normalisation (ignored by Mazziotta–Pareto, which standardises to 100 ± 10).
    pub normalisation: NormalisationName,
    /// Aggregation, used within dimensions and across them (Mazziotta–Pareto: arithmetic
    /// within dimensions, the penalised mean across them).
    pub aggregation: AggregationName,
    /// Minimum share of present indicators (of a dimension) or dimensions (of the index).
    pub min_available: f64,
    /// Classification of the index.
    pub classification: Classification,
}

/// The index of one level (units or districts).
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// Normalised score per indicator (outer) and row (inner).
    pub normalised: Vec<Vec<Option<f64>>>,
    /// Score per dimension (outer) and row.
    pub dimensions: Vec<Vec<Option<f64>>>,
    /// The index per row; `None` for rows not eligible or without enough data.
    pub index: Vec<Option<f64>>,
    /// Contribution of each indicator (outer) to each row's index; with [`Scores::penalty`]
    /// they sum to the index.
    pub contributions: Vec<Vec<Option<f64>>>,
    /// The Mazziotta–Pareto imbalance term per row (0 for the other aggregations).
    pub penalty: Vec<Option<f64>>,
    /// Rank, 1 = highest index (ties broken by id); `None` where the index is.
    pub rank: Vec<Option<u32>>,
    /// Class 1..=k, k = highest index.
    pub class: Vec<Option<u32>>,
    /// The class upper bounds.
    pub bins: Vec<f64>,
}

/// Computes the index of one level. `treated[k][i]` is indicator `k` of row `i`; rows with
/// `eligible[i] == false` get no scores and do not influence the normalisation of the others.
pub fn score(treated: &[Vec<Option<f64>>], eligible: &[bool], ids: &[String], c: &Composite) -> Scores {
    let n = eligible.len();
    let normalised = normalised_columns(treated, eligible, c);
    let Shape {
        within,
        across,
        members,
        dim_weights,
    } = Shape::of(c);

    // The rows are scored in blocks, each block writing its part of every output column
    // through per-block buffers: nothing is allocated per row (a national level has millions).
    const BLOCK: usize = 2048;
    let k_count = c.indicators.len();
    let mut index = vec![None; n];
    let mut penalty = vec![None; n];
    let mut dimensions = vec![vec![None; n]; members.len()];
    let mut contributions = vec![vec![None; n]; k_count];
    struct Block<'a> {
        first: usize,
        index: &'a mut [Option<f64>],
        penalty: &'a mut [Option<f64>],
        dims: Vec<&'a mut [Option<f64>]>,
        contrib: Vec<&'a mut [Option<f64>]>,
    }
    let mut dim_chunks: Vec<_> = dimensions.iter_mut().map(|c| c.chunks_mut(BLOCK)).collect();
    let mut contrib_chunks: Vec<_> = contributions.iter_mut().map(|c| c.chunks_mut(BLOCK)).collect();
    let blocks: Vec<Block<'_>> = index
        .chunks_mut(BLOCK)
        .zip(penalty.chunks_mut(BLOCK))
        .enumerate()
        .map(|(b, (index, penalty))| Block {
            first: b * BLOCK,
            index,
            penalty,
            dims: dim_chunks.iter_mut().flat_map(|it| it.next()).collect(),
            contrib: contrib_chunks.iter_mut().flat_map(|it| it.next()).collect(),
        })
        .collect();
    blocks.into_par_iter().for_each(|mut o| {
        let (mut s, mut w) = (Vec::new(), Vec::new());
        let mut dims: Vec<Option<f64>> = vec![None; members.len()];
        let mut within_contrib: Vec<Vec<f64>> = vec![Vec::new(); members.len()];
        let mut top_contrib = Vec::new();
        for r in 0..o.index.len() {
            let i = o.first + r;
            for (d, m) in members.iter().enumerate() {
                s.clear();
                s.extend(m.iter().map(|&k| normalised[k][i]));
                w.clear();
                w.extend(m.iter().map(|&k| c.indicators[k].weight));
                let parts = &mut within_contrib[d];
                dims[d] = aggregate_into(&s, &w, within, c.min_available, parts).map(|(v, _)| v);
                if dims[d].is_none() {
                    parts.clear();
                    parts.resize(m.len(), 0.0);
                }
            }
            let top = if eligible[i] {
                aggregate_into(&dims, &dim_weights, across, c.min_available, &mut top_contrib)
            } else {
                None
            };
            for (d, v) in dims.iter().enumerate() {
                o.dims[d][r] = *v;
            }
            let Some((value, pen)) = top else {
                continue;
            };
            for (d, m) in members.iter().enumerate() {
                let (Some(sd), cd) = (dims[d], top_contrib[d]) else {
                    for &k in m {
                        o.contrib[k][r] = Some(0.0);
                    }
                    continue;
                };
                let parts = &within_contrib[d];
                let total: f64 = parts.iter().sum();
                for (j, &k) in m.iter().enumerate() {
                    let share = if total != 0.0 && sd != 0.0 {
                        parts[j] / total
                    } else {
                        let present: f64 = m
                            .iter()
                            .filter(|&&q| normalised[q][i].is_some())
                            .map(|&q| c.indicators[q].weight)
                            .sum();
                        if normalised[k][i].is_some() && present > 0.0 {
                            c.indicators[k].weight / present
                        } else {
                            0.0
                        }
                    };
                    o.contrib[k][r] = Some(cd * share);
                }
            }
            o.index[r] = Some(value);
            o.penalty[r] = Some(pen);
        }
    });
    let rank = rank_descending(&index, ids);
    let classes = classify(&index, c.classification);
    Scores {
        normalised: normalised
            .into_iter()
            .map(|col| {
                col.into_iter()
                    .zip(eligible)
                    .map(|(v, &e)| v.filter(|_| e))
                    .collect()
            })
            .collect(),
        dimensions,
        index,
        contributions,
        penalty,
        rank,
        class: classes.classes,
        bins: classes.bins,
    }
}

/// Each indicator column normalised as `c` says, over the eligible rows only.
fn normalised_columns(
    treated: &[Vec<Option<f64>>],
    eligible: &[bool],
    c: &Composite,
) -> Vec<Vec<Option<f64>>> {
    treated
        .iter()
        .zip(&c.indicators)
        .map(|(col, ind)| {
            let masked: Vec<Option<f64>> = col.iter().zip(eligible).map(|(v, &e)| v.filter(|_| e)).collect();
            let y = match c.aggregation {
                AggregationName::MazziottaPareto => mpi_standardise(&masked, ind.direction),
                _ => normalise(
                    &masked,
                    ind.direction,
                    normalisation(c.normalisation, ind.goalposts),
                ),
            };
            match c.aggregation {
                AggregationName::Geometric => rescale(&y, 1.0, 100.0),
                _ => y,
            }
        })
        .collect()
}

/// How a composite aggregates: within dimensions, across them, each dimension's indicators
/// and the dimensions' weights.
struct Shape {
    within: Aggregation,
    across: Aggregation,
    members: Vec<Vec<usize>>,
    dim_weights: Vec<f64>,
}

impl Shape {
    fn of(c: &Composite) -> Shape {
        Shape {
            within: match c.aggregation {
                AggregationName::MazziottaPareto => Aggregation::Arithmetic,
                a => Aggregation::from(a),
            },
            across: Aggregation::from(c.aggregation),
            members: (0..c.dimensions.len())
                .map(|d| {
                    (0..c.indicators.len())
                        .filter(|&k| c.indicators[k].dimension == d)
                        .collect()
                })
                .collect(),
            dim_weights: c.dimensions.iter().map(|d| d.weight).collect(),
        }
    }
}

/// A task's reusable buffers: a dimension's scores and weights, the row's dimension scores and
/// the contributions [`aggregate_into`] fills.
type RowBuffers = (Vec<Option<f64>>, Vec<f64>, Vec<Option<f64>>, Vec<f64>);

/// The index alone, equal bit for bit to [`score`]'s `index`: the same normalisation and the
/// same aggregation, without the contributions, ranks and classes, and with no allocation
/// per row. Robust siting computes it once per Monte Carlo draw for every unit. With `wanted`,
/// only the rows it marks are aggregated (the others get `None`); the normalisation still uses
/// every eligible row, so the wanted rows' values do not change.
pub fn index_only(
    treated: &[Vec<Option<f64>>],
    eligible: &[bool],
    c: &Composite,
    wanted: Option<&[bool]>,
) -> Vec<Option<f64>> {
    let normalised = normalised_columns(treated, eligible, c);
    let Shape {
        within,
        across,
        members,
        dim_weights,
    } = Shape::of(c);
    (0..eligible.len())
        .into_par_iter()
        .map_init(
            || (Vec::new(), Vec::new(), Vec::new(), Vec::new()),
            |(s, w, dims, buf): &mut RowBuffers, i| {
                if !eligible[i] || wanted.is_some_and(|w| !w[i]) {
                    return None;
                }
                dims.clear();
                for m in &members {
                    s.clear();
                    s.extend(m.iter().map(|&k| normalised[k][i]));
                    w.clear();
                    w.extend(m.iter().map(|&k| c.indicators[k].weight));
                    dims.push(aggregate_into(s, w, within, c.min_available, buf).map(|(v, _)| v));
                }
                aggregate_into(dims, &dim_weights, across, c.min_available, buf).map(|(v, _)| v)
            },
        )
        .collect()
}

/// Ranks by descending value, 1 = largest; ties by ascending id, so ranks are a permutation
/// of 1..=m over the m present values.
pub fn rank_descending(values: &[Option<f64>], ids: &[String]) -> Vec<Option<u32>> {
    // Each present value beside its row, so that comparisons read neighbouring memory; the
    // order is total (value, id, row), so an unstable sort gives the one answer, and a large
    // level (every unit of a country) is sorted on all the threads.
    let mut order: Vec<(f64, usize)> = values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| (v, i)))
        .collect();
    let cmp = |&(va, a): &(f64, usize), &(vb, b): &(f64, usize)| {
        vb.total_cmp(&va)
            .then_with(|| ids[a].cmp(&ids[b]))
            .then(a.cmp(&b))
    };
    if order.len() > 10_000 {
        order.par_sort_unstable_by(cmp);
    } else {
        order.sort_unstable_by(cmp);
    }
    let mut rank = vec![None; values.len()];
    for (r, &(_, i)) in order.iter().enumerate() {
        rank[i] = Some(r as u32 + 1);
    }
    rank
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_level_ranks_as_a_stable_sort_by_value_then_id_does() {
        // 30,000 rows (sorted on every thread), a few distinct values so that most rows tie,
        // ids not in row order, some values missing.
        let n = 30_000;
        let values: Vec<Option<f64>> = (0..n)
            .map(|i| (i % 11 != 3).then(|| f64::from((i * 7919 % 13) as u32) / 4.0))
            .collect();
        let ids: Vec<String> = (0..n).map(|i| format!("u{:05}", (i * 104_729) % n)).collect();
        let mut order: Vec<usize> = (0..n).filter(|&i| values[i].is_some()).collect();
        order.sort_by(|&a, &b| {
            let (va, vb) = (values[a].unwrap_or(0.0), values[b].unwrap_or(0.0));
            vb.total_cmp(&va).then_with(|| ids[a].cmp(&ids[b]))
        });
        let mut want = vec![None; n];
        for (r, &i) in order.iter().enumerate() {
            want[i] = Some(r as u32 + 1);
        }
        assert_eq!(rank_descending(&values, &ids), want);
    }

    fn composite(aggregation: AggregationName) -> Composite {
        Composite {
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
                    dimension: 0,
                    direction: Direction::Negative,
                    weight: 3.0,
                    goalposts: None,
                },
                IndicatorDef {
                    name: "c".into(),
                    dimension: 1,
                    direction: Direction::Positive,
                    weight: 1.0,
                    goalposts: None,
                },
            ],
            dimensions: vec![
                DimensionDef {
                    name: "d0".into(),
                    weight: 1.0,
                },
                DimensionDef {
                    name: "d1".into(),
                    weight: 2.0,
                },
            ],
            normalisation: NormalisationName::MinMax,
            aggregation,
            min_available: 0.5,
            classification: Classification::Quantiles { k: 2 },
        }
    }

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("u{i}")).collect()
    }

    #[test]
    fn arithmetic_by_hand() {
        // a: 0, 5, 10 → 0, 50, 100; b (negative): 2, 1, 0 → 0, 50, 100; c: 1, 3, 2 → 0, 100, 50.
        // d0 = (1·a + 3·b)/4: 0, 50, 100; d1 = c. index = (d0 + 2·d1)/3: 0, 83.33, 66.67.
        let t = vec![
            vec![Some(0.), Some(5.), Some(10.)],
            vec![Some(2.), Some(1.), Some(0.)],
            vec![Some(1.), Some(3.), Some(2.)],
        ];
        let s = score(&t, &[true; 3], &ids(3), &composite(AggregationName::Arithmetic));
        let idx: Vec<f64> = s.index.iter().map(|v| v.unwrap()).collect();
        assert!((idx[0] - 0.0).abs() < 1e-12);
        assert!((idx[1] - 250.0 / 3.0).abs() < 1e-12);
        assert!((idx[2] - 200.0 / 3.0).abs() < 1e-12);
        assert_eq!(s.rank, vec![Some(3), Some(1), Some(2)]);
        // Contribution of b to unit 1: (1/3)·(3/4)·50.
        assert!((s.contributions[1][1].unwrap() - 12.5).abs() < 1e-12);
        for i in 0..3 {
            let sum: f64 = s.contributions.iter().map(|c| c[i].unwrap()).sum::<f64>() + s.penalty[i].unwrap();
            assert!((sum - idx[i]).abs() < 1e-9);
        }
    }

    #[test]
    fn contributions_sum_to_the_index_for_every_aggregation() {
        let t = vec![
            vec![Some(0.3), Some(5.), Some(10.), None, Some(7.)],
            vec![Some(2.), Some(1.5), Some(0.), Some(4.), Some(1.)],
            vec![Some(1.), Some(3.), Some(2.), Some(9.), Some(0.5)],
        ];
        for agg in [
            AggregationName::Arithmetic,
            AggregationName::Geometric,
            AggregationName::MazziottaPareto,
        ] {
            let s = score(&t, &[true; 5], &ids(5), &composite(agg));
            for i in 0..5 {
                let Some(idx) = s.index[i] else { continue };
                let sum: f64 =
                    s.contributions.iter().map(|c| c[i].unwrap()).sum::<f64>() + s.penalty[i].unwrap();
                assert!(
                    (sum - idx).abs() < 1e-9 * idx.abs().max(1.0),
                    "{agg:?} row {i}: {sum} vs {idx}"
                );
            }
        }
    }

    #[test]
    fn index_only_is_the_score_index_bit_for_bit() {
        let t = vec![
            vec![Some(0.3), Some(5.), Some(10.), None, Some(7.), Some(7.)],
            vec![Some(2.), Some(1.5), Some(0.), Some(4.), Some(1.), None],
            vec![Some(1.), Some(3.), Some(2.), Some(9.), Some(0.5), None],
        ];
        let eligible = [true, true, false, true, true, true];
        for agg in [
            AggregationName::Arithmetic,
            AggregationName::Geometric,
            AggregationName::MazziottaPareto,
        ] {
            for norm in [
                NormalisationName::MinMax,
                NormalisationName::Rank,
                NormalisationName::ZScore,
            ] {
                let c = Composite {
                    normalisation: norm,
                    ..composite(agg)
                };
                let full: Vec<Option<u64>> = score(&t, &eligible, &ids(6), &c)
                    .index
                    .iter()
                    .map(|v| v.map(f64::to_bits))
                    .collect();
                let lean: Vec<Option<u64>> = index_only(&t, &eligible, &c, None)
                    .iter()
                    .map(|v| v.map(f64::to_bits))
                    .collect();
                assert_eq!(lean, full, "{agg:?} {norm:?}");
                let some = [true, false, true, false, true, true];
                let part = index_only(&t, &eligible, &c, Some(&some));
                for i in 0..6 {
                    let expect = if some[i] { full[i] } else { None };
                    assert_eq!(part[i].map(f64::to_bits), expect, "{agg:?} {norm:?} row {i}");
                }
                assert!(
                    full.iter().filter(|v| v.is_some()).count() >= 3,
                    "{agg:?} {norm:?}"
                );
            }
        }
    }

    #[test]
    fn ineligible_rows_get_nothing_and_do_not_move_the_others() {
        let t = vec![
            vec![Some(0.), Some(5.), Some(1000.)],
            vec![Some(1.), Some(1.), Some(1.)],
            vec![Some(1.), Some(3.), Some(2.)],
        ];
        let s = score(
            &t,
            &[true, true, false],
            &ids(3),
            &composite(AggregationName::Arithmetic),
        );
        assert_eq!(s.index[2], None);
        assert_eq!(s.rank[2], None);
        assert_eq!(s.normalised[0][1], Some(100.0));
    }

    #[test]
    fn ranks_break_ties_by_id() {
        let v = vec![Some(1.0), Some(2.0), Some(1.0), None];
        let ids = vec!["b".to_string(), "z".into(), "a".into(), "c".into()];
        assert_eq!(rank_descending(&v, &ids), vec![Some(3), Some(1), Some(2), None]);
    }
}
