//! Siting from a user's travel-cost matrix (r5py/R5, OSRM, a GIS): a long table of
//! (unit id, site id, cost) rows becomes the coverage table, a unit being covered by a site when
//! the cost is at most the radius (in the table's unit: metres, minutes, ...), as spopt's
//! `MCLP.from_cost_matrix` does.

use std::collections::HashMap;

use super::{Coverage, SitingError};

/// A long-format cost table, one row per (unit, site) pair.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CostTable {
    /// Where it was read from (for messages).
    pub source: String,
    /// The unit id of each row.
    pub unit: Vec<String>,
    /// The site id of each row.
    pub site: Vec<String>,
    /// The cost of each row (finite, `≥ 0`).
    pub cost: Vec<f64>,
}

/// The coverage a cost table gives, and what in it matched nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct CostCoverage {
    /// Site → units with a cost within the radius (fraction 1).
    pub coverage: Coverage,
    /// Site → (unit, cost) of the same pairs, for the assignment distances.
    pub costs: Vec<Vec<(u32, f64)>>,
    /// Rows whose unit id is not a unit (count, and the first few ids).
    pub unknown_units: (usize, Vec<String>),
    /// Rows whose site id is not a site (count, and the first few ids).
    pub unknown_sites: (usize, Vec<String>),
    /// Sites with no row in the table (they cover nothing).
    pub sites_without_rows: Vec<usize>,
}

/// How many unmatched ids a [`CostCoverage`] keeps for the notes.
const KEEP_IDS: usize = 5;

/// The coverage of the sites over `unit_ids` from `table`: a pair covers when its cost is at
/// most `radius`. A row names a site by its id, or by `kind:id` (e.g. `biblored:12`) when
/// sites of several layers share the id. Rows naming ids that are not units or sites are
/// counted (a matrix computed for more places than the method reads is fine), never an error.
///
/// # Errors
/// [`SitingError::CostRow`] for a cost that is negative or not a number, a pair given twice,
/// or a site id that several sites share given without its kind.
pub fn coverage_from_costs(
    table: &CostTable,
    unit_ids: &[String],
    site_ids: &[String],
    site_kinds: &[String],
    radius: f64,
) -> Result<CostCoverage, SitingError> {
    let units: HashMap<&str, u32> = unit_ids
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i as u32))
        .collect();
    // Plain ids (None when several sites share one) and `kind:id` keys.
    let mut sites: HashMap<String, Option<usize>> = HashMap::with_capacity(2 * site_ids.len());
    for (j, id) in site_ids.iter().enumerate() {
        let kind = site_kinds.get(j).map_or("", String::as_str);
        for key in [id.clone(), format!("{kind}:{id}")] {
            sites.entry(key).and_modify(|e| *e = None).or_insert(Some(j));
        }
    }
    let mut costs: Vec<Vec<(u32, f64)>> = vec![Vec::new(); site_ids.len()];
    let mut seen: Vec<Vec<(u32, usize)>> = vec![Vec::new(); site_ids.len()];
    let mut unknown_units = (0, Vec::new());
    let mut unknown_sites = (0, Vec::new());
    let note = |slot: &mut (usize, Vec<String>), id: &str| {
        slot.0 += 1;
        if slot.1.len() < KEEP_IDS && !slot.1.iter().any(|x| x == id) {
            slot.1.push(id.to_string());
        }
    };
    for (row, ((u, s), &c)) in table.unit.iter().zip(&table.site).zip(&table.cost).enumerate() {
        if !(c.is_finite() && c >= 0.0) {
            return Err(SitingError::CostRow {
                file: table.source.clone(),
                row,
                message: format!("unit {u:?}, site {s:?}: cost {c} is not a number ≥ 0"),
            });
        }
        let site = sites.get(s.as_str());
        if let Some(None) = site {
            let kinds: Vec<&str> = (0..site_ids.len())
                .filter(|&j| &site_ids[j] == s || format!("{}:{}", site_kinds[j], site_ids[j]) == *s)
                .map(|j| site_kinds[j].as_str())
                .collect();
            return Err(SitingError::CostRow {
                file: table.source.clone(),
                row,
                message: format!(
                    "site {s:?} is the id of {} sites ({}): write it as kind:id, e.g. {:?}",
                    kinds.len(),
                    kinds.join(", "),
                    format!("{}:{s}", kinds.first().copied().unwrap_or(""))
                ),
            });
        }
        let (Some(&ui), Some(&Some(sj))) = (units.get(u.as_str()), site) else {
            if !units.contains_key(u.as_str()) {
                note(&mut unknown_units, u);
            } else {
                note(&mut unknown_sites, s);
            }
            continue;
        };
        seen[sj].push((ui, row));
        if c <= radius {
            costs[sj].push((ui, c));
        }
    }
    for list in &mut seen {
        list.sort_unstable();
        if let Some(w) = list.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(SitingError::CostRow {
                file: table.source.clone(),
                row: w[1].1,
                message: format!(
                    "unit {:?}, site {:?} is given twice (first at data row {})",
                    table.unit[w[1].1],
                    table.site[w[1].1],
                    w[0].1 + 1
                ),
            });
        }
    }
    let sites_without_rows = (0..site_ids.len()).filter(|&j| seen[j].is_empty()).collect();
    for row in &mut costs {
        row.sort_unstable_by_key(|e| e.0);
    }
    let coverage = Coverage::from_rows(
        unit_ids.len(),
        costs
            .iter()
            .map(|r| r.iter().map(|&(u, _)| (u, 1.0)).collect())
            .collect(),
    )?;
    Ok(CostCoverage {
        coverage,
        costs,
        unknown_units,
        unknown_sites,
        sites_without_rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Limit, Options, Problem, solve};

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn pairs_within_the_radius_cover_and_unknown_ids_are_counted() {
        let table = CostTable {
            source: "t.csv".into(),
            unit: ids(&["a", "b", "c", "a", "zz", "b"]),
            site: ids(&["S1", "S1", "S1", "S2", "S1", "S9"]),
            cost: vec![5.0, 10.0, 10.5, 0.0, 1.0, 1.0],
        };
        let c = coverage_from_costs(
            &table,
            &ids(&["a", "b", "c"]),
            &ids(&["S1", "S2", "S3"]),
            &ids(&["k", "k", "k"]),
            10.0,
        )
        .unwrap();
        assert_eq!(c.coverage.row(0), &[(0, 1.0), (1, 1.0)]);
        assert_eq!(c.coverage.row(1), &[(0, 1.0)]);
        assert!(c.coverage.row(2).is_empty());
        assert_eq!(c.costs[0], vec![(0, 5.0), (1, 10.0)]);
        assert_eq!(c.unknown_units, (1, ids(&["zz"])));
        assert_eq!(c.unknown_sites, (1, ids(&["S9"])));
        assert_eq!(c.sites_without_rows, vec![2]);
    }

    #[test]
    fn bad_costs_repeated_pairs_and_shared_site_ids_are_errors() {
        let t = |cost: f64| CostTable {
            source: "t.csv".into(),
            unit: ids(&["a", "b"]),
            site: ids(&["S1", "S1"]),
            cost: vec![1.0, cost],
        };
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let e = coverage_from_costs(&t(bad), &ids(&["a", "b"]), &ids(&["S1"]), &ids(&["k"]), 5.0)
                .unwrap_err();
            assert!(matches!(e, SitingError::CostRow { row: 1, .. }), "{e}");
        }
        let twice = CostTable {
            source: "t.csv".into(),
            unit: ids(&["a", "b", "a"]),
            site: ids(&["S1", "S1", "S1"]),
            cost: vec![1.0, 2.0, 3.0],
        };
        let e = coverage_from_costs(&twice, &ids(&["a", "b"]), &ids(&["S1"]), &ids(&["k"]), 5.0).unwrap_err();
        assert!(e.to_string().contains("given twice (first at data row 1)"), "{e}");
        // Two layers share the id S1: a plain "S1" is ambiguous, "school:S1" is not.
        let (units, sites, kinds) = (ids(&["a", "b"]), ids(&["S1", "S1"]), ids(&["school", "library"]));
        let e = coverage_from_costs(&t(1.0), &units, &sites, &kinds, 5.0).unwrap_err();
        assert!(e.to_string().contains("write it as kind:id"), "{e}");
        let qualified = CostTable {
            source: "t.csv".into(),
            unit: ids(&["a", "b"]),
            site: ids(&["school:S1", "library:S1"]),
            cost: vec![1.0, 2.0],
        };
        let c = coverage_from_costs(&qualified, &units, &sites, &kinds, 5.0).unwrap();
        assert_eq!(
            (c.coverage.row(0), c.coverage.row(1)),
            (&[(0, 1.0)][..], &[(1, 1.0)][..])
        );
    }

    /// spopt's real-world MCLP test: 205 San Francisco census tracts, 16 candidate stores,
    /// network distances, 5,000 m, p = 4, POP2000 weights. spopt (CBC) expects 21 tracts
    /// uncovered, 89.756 % of the tracts covered. The data are spopt's test files (BSD-3),
    /// copied to tests/fixtures/spopt_sf with their licence.
    #[test]
    fn spopt_san_francisco_network_mclp() {
        // The manifest directory of this run (cargo sets it when it runs the test), not the one
        // baked in at compile time: a test binary built in another clone of the same sources
        // is reused as it is.
        let manifest =
            std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").into());
        let dir = std::path::Path::new(&manifest).join("../../tests/fixtures/spopt_sf");
        let matrix = std::fs::read_to_string(
            dir.join("SF_network_distance_candidateStore_16_censusTract_205_new.csv"),
        )
        .unwrap();
        let mut table = CostTable {
            source: "SF_network_distance.csv".into(),
            ..CostTable::default()
        };
        for line in matrix.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            table.cost.push(f[0].parse().unwrap());
            table.site.push(f[1].to_string());
            table.unit.push(f[2].to_string());
        }
        // Demand: POP2000 by tract NAME (quoted CSV without commas inside the fields used).
        let demand_csv =
            std::fs::read_to_string(dir.join("SF_demand_205_centroid_uniform_weight.csv")).unwrap();
        let mut tracts: Vec<(String, f64)> = demand_csv
            .lines()
            .skip(1)
            .map(|l| {
                let f: Vec<&str> = l.split(',').map(|x| x.trim_matches('"')).collect();
                (f[3].to_string(), f[6].parse().unwrap())
            })
            .collect();
        tracts.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(tracts.len(), 205);
        let unit_ids: Vec<String> = tracts.iter().map(|t| t.0.clone()).collect();
        let demand: Vec<f64> = tracts.iter().map(|t| t.1).collect();
        // Stores 1–7 and 11–19, as the table names them.
        let mut site_ids = table.site.clone();
        site_ids.sort();
        site_ids.dedup();
        assert_eq!(site_ids.len(), 16);
        let kinds = vec!["store".to_string(); site_ids.len()];
        let c = coverage_from_costs(&table, &unit_ids, &site_ids, &kinds, 5000.0).unwrap();
        assert_eq!((c.unknown_units.0, c.unknown_sites.0), (0, 0));
        assert!(c.sites_without_rows.is_empty());
        let s = solve(
            &Problem {
                demand: &demand,
                coverage: &c.coverage,
                limit: Limit::Count(4),
                cost: None,
                locked_in: &[],
                locked_out: &[],
            },
            &Options::default(),
        )
        .unwrap();
        assert!(s.optimal, "gap {}", s.gap);
        let uncovered = s.unit_coverage.iter().filter(|&&x| x == 0.0).count();
        assert_eq!(uncovered, 21);
        assert!((100.0 * (205 - uncovered) as f64 / 205.0 - 89.756_097_560_975_6).abs() < 1e-9);
    }
}
