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
}
