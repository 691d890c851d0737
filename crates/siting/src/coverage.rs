//! The sparse coverage table the solver works on: which units each candidate site covers, and to
//! what extent. The solver never sees geometry, so the table can come from a Euclidean radius
//! (centroid rule, fraction 1), from area shares, or from a travel-cost matrix alike.

use rayon::prelude::*;

use super::SitingError;
use careblock_core::csr::pack_rows;
use careblock_core::join::Neighbours;

/// A sparse candidate × unit matrix of coverage fractions, stored row by row (CSR): row `j`
/// lists the `(unit, fraction)` pairs candidate `j` covers, sorted by unit, each unit at most
/// once, every fraction in `(0, 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Coverage {
    n_units: usize,
    offsets: Vec<usize>,
    entries: Vec<(u32, f64)>,
}

impl Coverage {
    /// Builds the table from one row per candidate. Rows need not be sorted; a unit listed twice
    /// in a row keeps its largest fraction.
    ///
    /// # Errors
    /// [`SitingError::UnitIndex`] for a unit index `>= n_units`, [`SitingError::Fraction`] for a
    /// fraction that is not a number in `(0, 1]`.
    pub fn from_rows(n_units: usize, rows: Vec<Vec<(u32, f64)>>) -> Result<Coverage, SitingError> {
        for (candidate, row) in rows.iter().enumerate() {
            for &(unit, value) in row {
                if unit as usize >= n_units {
                    return Err(SitingError::UnitIndex {
                        candidate,
                        unit,
                        units: n_units,
                    });
                }
                if !(value > 0.0 && value <= 1.0) {
                    return Err(SitingError::Fraction {
                        candidate,
                        unit,
                        value,
                    });
                }
            }
        }
        Ok(Coverage::from_valid_rows(n_units, rows))
    }

    /// The centroid rule: candidate `j` covers each unit of row `j` of `candidate_to_units`
    /// fully (fraction 1), whatever the distance. Build it with
    /// [`points_within_distance`](careblock_core::join::points_within_distance)`(candidates, unit
    /// centroids, radius)`, whose rows are the candidates.
    ///
    /// # Panics
    /// If a row refers to a unit `>= n_units`.
    pub fn from_neighbours(n_units: usize, candidate_to_units: &Neighbours) -> Coverage {
        let rows = (0..candidate_to_units.len())
            .into_par_iter()
            .with_min_len(16)
            .map(|j| {
                candidate_to_units
                    .row(j)
                    .iter()
                    .map(|&(u, _)| {
                        assert!(
                            (u as usize) < n_units,
                            "row {j} of the neighbour table refers to {u}, but there are only {n_units}"
                        );
                        (u, 1.0)
                    })
                    .collect()
            })
            .collect();
        Coverage::from_valid_rows(n_units, rows)
    }

    /// The centroid rule from a unit → candidates table (e.g. what
    /// [`within_distance`](careblock_core::join::within_distance)`(units, candidates, radius, reach)`
    /// returns, one row per unit): every listed pair gets fraction 1.
    ///
    /// # Panics
    /// If a row refers to a candidate `>= n_candidates`.
    pub fn from_unit_neighbours(n_candidates: usize, unit_to_candidates: &Neighbours) -> Coverage {
        Coverage::from_neighbours(n_candidates, unit_to_candidates).transpose()
    }

    /// Sorts each row by unit, keeps the largest fraction of a repeated unit, and packs the rows.
    fn from_valid_rows(n_units: usize, mut rows: Vec<Vec<(u32, f64)>>) -> Coverage {
        // Each row on its own: the same table whatever the thread count.
        rows.par_iter_mut().with_min_len(16).for_each(|row| {
            row.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
            row.dedup_by_key(|e| e.0);
        });
        let (offsets, entries) = pack_rows(rows);
        Coverage {
            n_units,
            offsets,
            entries,
        }
    }

    /// A table from already packed rows (each sorted by unit, without repeats).
    pub(super) fn from_parts(n_units: usize, offsets: Vec<usize>, entries: Vec<(u32, f64)>) -> Coverage {
        debug_assert_eq!(offsets.last().copied(), Some(entries.len()));
        Coverage {
            n_units,
            offsets,
            entries,
        }
    }

    /// Number of units (columns).
    pub fn n_units(&self) -> usize {
        self.n_units
    }

    /// Number of candidates (rows).
    pub fn n_candidates(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The `(unit, fraction)` pairs of candidate `j`, sorted by unit.
    pub fn row(&self, j: usize) -> &[(u32, f64)] {
        &self.entries[self.offsets[j]..self.offsets[j + 1]]
    }

    /// Total number of (candidate, unit) pairs.
    pub fn n_pairs(&self) -> usize {
        self.entries.len()
    }

    /// The unit × candidate view: a table whose row `i` lists the `(candidate, fraction)` pairs
    /// covering unit `i`, sorted by candidate (so its `n_candidates()` is the number of units and
    /// its `n_units()` the number of candidates). Transposing twice gives the table back.
    pub fn transpose(&self) -> Coverage {
        let mut offsets = vec![0usize; self.n_units + 1];
        for &(u, _) in &self.entries {
            offsets[u as usize + 1] += 1;
        }
        for i in 0..self.n_units {
            offsets[i + 1] += offsets[i];
        }
        let mut next = offsets[..self.n_units].to_vec();
        let mut entries = vec![(0u32, 0.0); self.entries.len()];
        for j in 0..self.n_candidates() {
            for &(u, f) in self.row(j) {
                let k = &mut next[u as usize];
                entries[*k] = (j as u32, f);
                *k += 1;
            }
        }
        Coverage {
            n_units: self.n_candidates(),
            offsets,
            entries,
        }
    }
}

/// The units grouped by the candidates that cover them: units whose columns (the covering
/// candidates and their fractions) are identical are one class, and a table over the classes
/// solves the same problem as the table over the units when each class's demand is the sum of
/// its units' demands, since such units are covered, or not, together. Units no candidate
/// covers belong to no class. Robust siting solves one problem per index draw on the same table
/// with a new demand: grouping once makes every draw's problem as small as the number of
/// distinct columns.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageClasses {
    /// Candidate × class table.
    pub coverage: Coverage,
    /// The class of each unit; classes are numbered in the order of their first unit.
    pub class_of: Vec<Option<u32>>,
}

impl CoverageClasses {
    /// Groups the units of `coverage`.
    pub fn of(coverage: &Coverage) -> CoverageClasses {
        let cols = coverage.transpose();
        let mut class_of = vec![None; coverage.n_units()];
        let mut seen: std::collections::HashMap<Vec<(u32, u64)>, u32> = std::collections::HashMap::new();
        let mut rows: Vec<Vec<(u32, f64)>> = vec![Vec::new(); coverage.n_candidates()];
        for (i, class) in class_of.iter_mut().enumerate() {
            let col = cols.row(i);
            if col.is_empty() {
                continue;
            }
            let key: Vec<(u32, u64)> = col.iter().map(|&(j, f)| (j, f.to_bits())).collect();
            let next = seen.len() as u32;
            let k = *seen.entry(key).or_insert_with(|| {
                for &(j, f) in col {
                    rows[j as usize].push((next, f));
                }
                next
            });
            *class = Some(k);
        }
        let n = seen.len();
        // Rows are built in ascending class order, so they are sorted and without repeats.
        let (offsets, entries) = pack_rows(rows);
        CoverageClasses {
            coverage: Coverage::from_parts(n, offsets, entries),
            class_of,
        }
    }

    /// Number of classes.
    pub fn len(&self) -> usize {
        self.coverage.n_units()
    }

    /// Whether no unit is covered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Each class's demand: the sum of its units' demands, in unit order.
    ///
    /// # Panics
    /// If `unit_demand` does not have one value per unit.
    pub fn demand(&self, unit_demand: &[f64]) -> Vec<f64> {
        assert_eq!(unit_demand.len(), self.class_of.len(), "one demand per unit");
        let mut out = vec![0.0; self.len()];
        for (k, &d) in self.class_of.iter().zip(unit_demand) {
            if let Some(k) = k {
                out[*k as usize] += d;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use careblock_core::join::points_within_distance;
    use geo::Point;

    #[test]
    fn rows_are_sorted_deduplicated_to_the_max_and_validated() {
        let c = Coverage::from_rows(4, vec![vec![(3, 0.5), (1, 0.2), (3, 0.7), (1, 0.1)], vec![]]).unwrap();
        assert_eq!(c.n_units(), 4);
        assert_eq!(c.n_candidates(), 2);
        assert_eq!(c.row(0), &[(1, 0.2), (3, 0.7)]);
        assert!(c.row(1).is_empty());
        assert_eq!(c.n_pairs(), 2);
        assert_eq!(
            Coverage::from_rows(4, vec![vec![(4, 1.0)]]),
            Err(SitingError::UnitIndex {
                candidate: 0,
                unit: 4,
                units: 4
            })
        );
        for bad in [0.0, -0.1, 1.5, f64::NAN, f64::INFINITY] {
            let e = Coverage::from_rows(4, vec![vec![], vec![(2, bad)]]).unwrap_err();
            assert!(
                matches!(e, SitingError::Fraction { candidate: 1, unit: 2, value } if value.to_bits() == bad.to_bits())
            );
        }
    }

    #[test]
    fn transpose_round_trips() {
        let c =
            Coverage::from_rows(3, vec![vec![(2, 0.5), (0, 1.0)], vec![(2, 0.25)], vec![(1, 1.0)]]).unwrap();
        let t = c.transpose();
        assert_eq!(t.n_candidates(), 3);
        assert_eq!(t.n_units(), 3);
        assert_eq!(t.row(0), &[(0, 1.0)]);
        assert_eq!(t.row(1), &[(2, 1.0)]);
        assert_eq!(t.row(2), &[(0, 0.5), (1, 0.25)]);
        assert_eq!(t.transpose(), c);
    }

    #[test]
    fn neighbours_give_full_coverage_in_unit_order() {
        let candidates = vec![Some(Point::new(0.0, 0.0)), Some(Point::new(100.0, 0.0))];
        let units = vec![
            Some(Point::new(90.0, 0.0)),
            Some(Point::new(10.0, 0.0)),
            Some(Point::new(500.0, 0.0)),
        ];
        let nb = points_within_distance(&candidates, &units, 95.0).unwrap();
        let c = Coverage::from_neighbours(units.len(), &nb);
        assert_eq!(c.row(0), &[(0, 1.0), (1, 1.0)]);
        assert_eq!(c.row(1), &[(0, 1.0), (1, 1.0)]);
        let by_unit = points_within_distance(&units, &candidates, 95.0).unwrap();
        assert_eq!(Coverage::from_unit_neighbours(candidates.len(), &by_unit), c);
    }

    #[test]
    fn classes_group_identical_columns_and_sum_demand() {
        // Units 0 and 3 are covered by candidates 0 and 1; unit 1 by 0 alone; unit 2 by none;
        // unit 4 by 0 and 1 but with another fraction from 1.
        let c = Coverage::from_rows(
            5,
            vec![
                vec![(0, 1.0), (1, 1.0), (3, 1.0), (4, 1.0)],
                vec![(0, 0.5), (3, 0.5), (4, 0.25)],
            ],
        )
        .unwrap();
        let g = CoverageClasses::of(&c);
        assert_eq!(g.class_of, vec![Some(0), Some(1), None, Some(0), Some(2)]);
        assert_eq!(g.len(), 3);
        assert_eq!(g.coverage.row(0), &[(0, 1.0), (1, 1.0), (2, 1.0)]);
        assert_eq!(g.coverage.row(1), &[(0, 0.5), (2, 0.25)]);
        assert_eq!(g.demand(&[1.0, 2.0, 4.0, 8.0, 16.0]), vec![9.0, 2.0, 16.0]);
    }

    #[test]
    fn classes_solve_the_same_problem() {
        // A line of units and candidates with overlapping reach: the optimum over the classes
        // equals the optimum over the units, and chooses the same sites.
        let units: Vec<_> = (0..60).map(|i| Some(Point::new(i as f64 * 10.0, 0.0))).collect();
        let candidates: Vec<_> = (0..12)
            .map(|j| Some(Point::new(j as f64 * 50.0 + 7.0, 0.0)))
            .collect();
        let nb = points_within_distance(&candidates, &units, 60.0).unwrap();
        let cov = Coverage::from_neighbours(units.len(), &nb);
        let demand: Vec<f64> = (0..60).map(|i| ((i * 37) % 11) as f64 + 0.5).collect();
        let g = CoverageClasses::of(&cov);
        assert!(g.len() < units.len());
        let solve = |cov: &Coverage, demand: &[f64]| {
            let p = crate::Problem {
                demand,
                coverage: cov,
                limit: crate::Limit::Count(3),
                cost: None,
                locked_in: &[],
                locked_out: &[],
            };
            crate::solve(&p, &crate::Options::default()).unwrap()
        };
        let whole = solve(&cov, &demand);
        let grouped = solve(&g.coverage, &g.demand(&demand));
        assert_eq!(grouped.selected, whole.selected);
        assert!((grouped.objective - whole.objective).abs() < 1e-9);
    }
}
