//! Access to existing care facilities: the enhanced two-step floating catchment area (E2SFCA)
//! of Luo & Qi (2009), with the same semantics as pysal's `access` package
//! (`Access.enhanced_two_stage_fca` with a step weight function, `normalize=False`).
//!
//! Step 1, for each facility `j`: `R_j = S_j / Σ_k W(d_kj)·P_k` over the units `k` within the
//! last distance band. Step 2, for each unit `i`: `A_i = Σ_j W(d_ij)·R_j`. The same weights are
//! used in both steps, so the supply is conserved: `Σ_i P_i·A_i = Σ_j S_j` over the facilities
//! that reach some demand.
//!
//! [`supply_gap`] turns access into a need-oriented indicator in `[0, 1]`.

use rayon::prelude::*;
use thiserror::Error;

use careblock_core::join::Neighbours;
use careblock_method::bands::{BandError, DistanceBands};

/// Errors of the access computation. Each carries the offending value and where it is.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum AccessError {
    /// Invalid distance bands.
    #[error(transparent)]
    Bands(#[from] BandError),
    /// The unit-to-facility table does not have one row per unit.
    #[error("the unit-to-facility table has {rows} rows but there are {units} units (demand values)")]
    Rows {
        /// Number of units (length of the demand column).
        units: usize,
        /// Number of rows of the table.
        rows: usize,
    },
    /// The unit-to-facility table refers to a facility that does not exist.
    #[error("unit {unit} refers to facility {facility}, but there are only {facilities} facilities")]
    FacilityIndex {
        /// The unit (row) holding the reference.
        unit: usize,
        /// The facility index found.
        facility: u32,
        /// Number of facilities (length of the supply column).
        facilities: usize,
    },
    /// A facility capacity that is negative or not finite.
    #[error("facility {facility}: capacity {value:?} is not a finite non-negative number")]
    Supply {
        /// The facility index.
        facility: usize,
        /// The capacity as given.
        value: f64,
    },
    /// A unit demand that is negative or not finite (missing demand is `None`, not NaN).
    #[error("unit {unit}: demand {value:?} is not a finite non-negative number")]
    Demand {
        /// The unit index.
        unit: usize,
        /// The demand as given.
        value: f64,
    },
}

/// The result of [`e2sfca`].
#[derive(Debug, Clone, PartialEq)]
pub struct Access {
    /// `A_i` for each unit: supply per unit of demand within reach, distance-weighted. Always
    /// `Some` (a unit with missing demand still has an access value, and a unit with no
    /// facility in reach, including one whose row is empty because its centroid is missing,
    /// gets 0.0); it is an `Option` column so it feeds the indicator pipeline directly.
    pub unit_access: Vec<Option<f64>>,
    /// `R_j` for each facility: its capacity over the distance-weighted demand that reaches it,
    /// or `None` when that demand is 0 (no one reaches it, so it contributes nothing).
    pub supply_ratio: Vec<Option<f64>>,
}

/// The enhanced two-step floating catchment area access of each unit to the facilities.
///
/// `demand[k]` is unit `k`'s demand (`None` counts as 0 in step 1), `supply[j]` facility `j`'s
/// capacity, and `unit_to_supply` has one row per unit listing `(facility index, distance in
/// metres)` (e.g. [`points_within_distance`](careblock_core::join::points_within_distance) from unit
/// centroids to facilities with radius [`DistanceBands::max_distance`]; pairs beyond the last
/// band are allowed and weigh 0).
pub fn e2sfca(
    demand: &[Option<f64>],
    supply: &[f64],
    unit_to_supply: &Neighbours,
    bands: &DistanceBands,
) -> Result<Access, AccessError> {
    if unit_to_supply.len() != demand.len() {
        return Err(AccessError::Rows {
            units: demand.len(),
            rows: unit_to_supply.len(),
        });
    }
    for (facility, &value) in supply.iter().enumerate() {
        if !(value.is_finite() && value >= 0.0) {
            return Err(AccessError::Supply { facility, value });
        }
    }
    for (unit, value) in demand.iter().enumerate() {
        if let Some(value) = *value
            && !(value.is_finite() && value >= 0.0)
        {
            return Err(AccessError::Demand { unit, value });
        }
    }
    for unit in 0..demand.len() {
        if let Some(&(facility, _)) = unit_to_supply
            .row(unit)
            .iter()
            .find(|&&(j, _)| j as usize >= supply.len())
        {
            return Err(AccessError::FacilityIndex {
                unit,
                facility,
                facilities: supply.len(),
            });
        }
    }

    // Step 1: weighted demand reaching each facility (units in order: deterministic sums).
    let mut reached = vec![0.0; supply.len()];
    for (unit, p) in demand.iter().enumerate() {
        let p = p.unwrap_or(0.0);
        if p == 0.0 {
            continue;
        }
        for &(j, d) in unit_to_supply.row(unit) {
            reached[j as usize] += bands.weight(d) * p;
        }
    }
    let supply_ratio: Vec<Option<f64>> = supply
        .iter()
        .zip(&reached)
        .map(|(&s, &w)| (w > 0.0).then(|| s / w))
        .collect();

    // Step 2: weighted sum of the ratios within reach of each unit.
    let unit_access = (0..demand.len())
        .into_par_iter()
        .map(|unit| {
            let a = unit_to_supply
                .row(unit)
                .iter()
                .filter_map(|&(j, d)| supply_ratio[j as usize].map(|r| bands.weight(d) * r))
                .sum::<f64>();
            Some(a)
        })
        .collect();

    Ok(Access {
        unit_access,
        supply_ratio,
    })
}

/// The supply gap of each unit, `g_i = 1 − A_i / max(A)` over the present (finite) access
/// values: in `[0, 1]` for non-negative access such as [`e2sfca`] gives, and oriented so that
/// more gap means more need (1 = no access at all, 0 = the best-served unit).
///
/// Missing or non-finite access gives `None`. When the maximum is 0 (no access anywhere) every
/// present unit has gap 1.0.
pub fn supply_gap(access: &[Option<f64>]) -> Vec<Option<f64>> {
    let present = |a: &Option<f64>| a.filter(|v| v.is_finite());
    let max = access
        .iter()
        .filter_map(present)
        .fold(f64::NEG_INFINITY, f64::max);
    access
        .iter()
        .map(|a| present(a).map(|v| if max > 0.0 { 1.0 - v / max } else { 1.0 }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use careblock_core::join::points_within_distance;
    use geo::Point;
    use proptest::prelude::*;

    fn pts(xy: &[(f64, f64)]) -> Vec<Option<Point<f64>>> {
        xy.iter().map(|&(x, y)| Some(Point::new(x, y))).collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-300)
    }

    /// Hand computation. Facility 0 at the origin (capacity 10), facility 1 at (1000, 0)
    /// (capacity 4), facility 2 far away (capacity 7, reached by no one).
    /// Units: u0 at 300 m of f0 and 700 m of f1 (pop 100), u1 at 600 m of f0 and 400 m of f1
    /// (pop 50), u2 at 1000 m of f0 and 0 m of f1 (missing pop), u3 far from all (pop 30).
    /// Step 1: D0 = 1·100 + 0.68·50 + 0.22·0 = 134, R0 = 10/134;
    ///         D1 = 0.68·100 + 1·50 + 1·0 = 118, R1 = 4/118; D2 = 0, R2 = None.
    /// Step 2: A0 = R0 + 0.68·R1; A1 = 0.68·R0 + R1; A2 = 0.22·R0 + R1; A3 = 0.
    #[test]
    fn hand_computed_e2sfca() {
        let units = pts(&[(300.0, 0.0), (600.0, 0.0), (1000.0, 0.0), (-5000.0, 0.0)]);
        let facs = pts(&[(0.0, 0.0), (1000.0, 0.0), (9000.0, 9000.0)]);
        let n = points_within_distance(&units, &facs, 1200.0).unwrap();
        let demand = [Some(100.0), Some(50.0), None, Some(30.0)];
        let a = e2sfca(&demand, &[10.0, 4.0, 7.0], &n, &DistanceBands::default()).unwrap();
        let (r0, r1) = (10.0 / 134.0, 4.0 / 118.0);
        assert!(close(a.supply_ratio[0].unwrap(), r0));
        assert!(close(a.supply_ratio[1].unwrap(), r1));
        assert_eq!(a.supply_ratio[2], None);
        let want = [r0 + 0.68 * r1, 0.68 * r0 + r1, 0.22 * r0 + r1, 0.0];
        for (got, want) in a.unit_access.iter().zip(want) {
            assert!(close(got.unwrap(), want), "{got:?} vs {want}");
        }
        // Conservation over the facilities that reach someone: 10 + 4.
        let mass: f64 = a
            .unit_access
            .iter()
            .zip(&demand)
            .map(|(a, p)| a.unwrap() * p.unwrap_or(0.0))
            .sum();
        assert!(close(mass, 14.0));
        // The same table given as rows (as network distances are) gives the same access; a
        // longer walk on one pair moves it to a lower band.
        let mut rows: Vec<Vec<(u32, f64)>> = (0..n.len()).map(|i| n.row(i).to_vec()).collect();
        let from_rows = |rows: &[Vec<(u32, f64)>]| Neighbours::from_rows(rows.to_vec());
        let b = e2sfca(
            &demand,
            &[10.0, 4.0, 7.0],
            &from_rows(&rows),
            &DistanceBands::default(),
        )
        .unwrap();
        assert_eq!(a, b);
        rows[0][0].1 = 500.0;
        let c = e2sfca(
            &demand,
            &[10.0, 4.0, 7.0],
            &from_rows(&rows),
            &DistanceBands::default(),
        )
        .unwrap();
        assert!(c.unit_access[0].unwrap() < a.unit_access[0].unwrap());
        assert!(matches!(
            e2sfca(&demand, &[1.0], &from_rows(&rows[..2]), &DistanceBands::default()),
            Err(AccessError::Rows { units: 4, rows: 2 })
        ));
    }

    /// Reference values from pysal `access` 1.1.10 (raw values, `normalize=False`; pysal's
    /// `normalize=True` would divide by the demand-weighted mean access, which careblock leaves
    /// to the indicator normalisation step). pysal is given every unit-facility pair, so the
    /// unreachable unit u5 gets 0.0 there too; careblock is given only the pairs within 1200 m,
    /// which is the same since the step weight is 0 beyond:
    ///
    /// ```python
    /// import math
    /// import pandas as pd
    /// from access import Access, weights
    ///
    /// units = [(100, 0), (300, 400), (1000, 700), (1500, 0), (5000, 4700), (9000, 0)]
    /// pop = [120, 80, 200, 50, 60, 40]
    /// facs = [(0, 0), (1000, 0), (5000, 5000)]
    /// cap = [3, 2, 1]
    /// rows = [(f"u{i}", f"f{j}", math.hypot(u[0] - f[0], u[1] - f[1]))
    ///         for i, u in enumerate(units) for j, f in enumerate(facs)]
    /// cost = pd.DataFrame(rows, columns=["origin", "dest", "cost"])
    /// demand = pd.DataFrame({"geoid": [f"u{i}" for i in range(6)], "pop": pop}).set_index("geoid")
    /// supply = pd.DataFrame({"geoid": [f"f{j}" for j in range(3)], "cap": cap}).set_index("geoid")
    /// a = Access(demand_df=demand, demand_index=True, demand_value="pop",
    ///            supply_df=supply, supply_index=True, supply_value="cap",
    ///            cost_df=cost, cost_origin="origin", cost_dest="dest", cost_name="cost")
    /// r = a.enhanced_two_stage_fca(weight_fn=weights.step_fn({400: 1, 800: 0.68, 1200: 0.22}))
    /// for g, v in r["e2sfca_cap"].items():
    ///     print(g, repr(v))
    /// ```
    #[test]
    fn matches_pysal_access() {
        let units = pts(&[
            (100.0, 0.0),
            (300.0, 400.0),
            (1000.0, 700.0),
            (1500.0, 0.0),
            (5000.0, 4700.0),
            (9000.0, 0.0),
        ]);
        let facs = pts(&[(0.0, 0.0), (1000.0, 0.0), (5000.0, 5000.0)]);
        let bands = DistanceBands::default();
        let n = points_within_distance(&units, &facs, bands.max_distance()).unwrap();
        let demand = [120.0, 80.0, 200.0, 50.0, 60.0, 40.0].map(Some);
        let a = e2sfca(&demand, &[3.0, 2.0, 1.0], &n, &bands).unwrap();
        let pysal = [
            0.019257909628740463,
            0.01375332247277716,
            0.006355140186915888,
            0.006355140186915888,
            0.016666666666666666,
            0.0,
        ];
        for (i, (got, want)) in a.unit_access.iter().zip(pysal).enumerate() {
            assert!(close(got.unwrap(), want), "unit {i}: {got:?} vs pysal {want}");
        }
    }

    #[test]
    fn inputs_are_checked() {
        let units = pts(&[(0.0, 0.0), (100.0, 0.0)]);
        let facs = pts(&[(0.0, 0.0)]);
        let n = points_within_distance(&units, &facs, 1200.0).unwrap();
        let b = DistanceBands::default();
        assert_eq!(
            e2sfca(&[Some(1.0)], &[1.0], &n, &b),
            Err(AccessError::Rows { units: 1, rows: 2 })
        );
        assert_eq!(
            e2sfca(&[Some(1.0), None], &[], &n, &b),
            Err(AccessError::FacilityIndex {
                unit: 0,
                facility: 0,
                facilities: 0
            })
        );
        assert_eq!(
            e2sfca(&[Some(1.0), None], &[-2.0], &n, &b),
            Err(AccessError::Supply {
                facility: 0,
                value: -2.0
            })
        );
        assert!(matches!(
            e2sfca(&[Some(1.0), Some(f64::NAN)], &[1.0], &n, &b),
            Err(AccessError::Demand { unit: 1, .. })
        ));
        // All demand missing: the facility reaches no one, every unit has access 0.
        let a = e2sfca(&[None, None], &[5.0], &n, &b).unwrap();
        assert_eq!(a.supply_ratio, vec![None]);
        assert_eq!(a.unit_access, vec![Some(0.0), Some(0.0)]);
    }

    #[test]
    fn supply_gap_orients_towards_need() {
        let g = supply_gap(&[Some(0.0), Some(2.0), None, Some(1.0), Some(f64::NAN)]);
        assert_eq!(g, vec![Some(1.0), Some(0.0), None, Some(0.5), None]);
        assert_eq!(supply_gap(&[Some(0.0), None]), vec![Some(1.0), None]);
        assert_eq!(supply_gap(&[None]), vec![None]);
        assert!(supply_gap(&[]).is_empty());
    }

    proptest! {
        /// Luo & Qi's conservation: Σ_i P_i·A_i = Σ_j S_j over facilities that reach demand.
        #[test]
        fn supply_is_conserved(
            units in prop::collection::vec((0.0..3000.0f64, 0.0..3000.0f64, prop::option::of(0.0..500.0f64)), 1..60),
            facs in prop::collection::vec((0.0..3000.0f64, 0.0..3000.0f64, 0.0..20.0f64), 1..12),
        ) {
            let up: Vec<_> = units.iter().map(|&(x, y, _)| Some(Point::new(x, y))).collect();
            let fp: Vec<_> = facs.iter().map(|&(x, y, _)| Some(Point::new(x, y))).collect();
            let demand: Vec<_> = units.iter().map(|u| u.2).collect();
            let supply: Vec<_> = facs.iter().map(|f| f.2).collect();
            let bands = DistanceBands::default();
            let n = points_within_distance(&up, &fp, bands.max_distance()).unwrap();
            let a = e2sfca(&demand, &supply, &n, &bands).unwrap();
            let mass: f64 = a.unit_access.iter().zip(&demand).map(|(a, p)| a.unwrap() * p.unwrap_or(0.0)).sum();
            let served: f64 = supply.iter().zip(&a.supply_ratio).filter(|(_, r)| r.is_some()).map(|(s, _)| s).sum();
            prop_assert!((mass - served).abs() <= 1e-9 * served.max(1.0), "{mass} vs {served}");
            prop_assert!(a.unit_access.iter().all(|a| a.unwrap() >= 0.0));
        }
    }
}
