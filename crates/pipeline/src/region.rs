//! Regional runs without the writing: the inputs loaded once, then one territory at a time —
//! the districts whose attribute `by` has a value, the units the area join puts in them, the
//! point layers inside them — run as its own method run (the index normalised within the
//! territory, the blocks sited within it).
//!
//! Which territory a feature belongs to:
//! - a district: its value of `by`, compared as text (a number as the reader gives it, e.g.
//!   `101`); a district without a value belongs to no territory;
//! - a unit (and a polygon of a `[siting.equity]` layer of its own): the district holding the
//!   largest share of its area in the area table the index sums units to districts with (on a
//!   tie the first district in file order), so each unit belongs to one territory at most; a
//!   unit in no district belongs to none and is counted in each territory's notes;
//! - a point (supply, candidates, existing blocks): the first district in file order containing
//!   it, as the sites' `district` column says.
//!
//! `[[coarse]]` layers, the street network and its gaps are kept whole (they give values to the
//! units, whichever territory they are in); a `[siting] costs` table keeps the rows of the
//! territory's units whose site is not a site of another territory.

use std::collections::{BTreeSet, HashSet};

use careblock_core::Layer;
use careblock_core::join::interpolate::AreaTable;
use careblock_core::join::points::points_in_polygons;
use careblock_index::assess;
use careblock_io::IoError;
use careblock_method::Method;
use careblock_siting::plan::plan;
use careblock_text::msg;
use geo::{Centroid, Geometry, Point};
use polars::prelude::{BooleanChunked, Column, DataFrame, NewChunkedArray};
use thiserror::Error;

use crate::load::LoadedInputs;
use crate::run::{PipelineError, Run, Stages};
use crate::sweep::SitingFigures;

/// Why a territory cannot be selected (or a regional run not started).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RegionError {
    /// The method has no `[districts]`: territories are groups of districts.
    #[error("{method}: regional runs group the districts by an attribute, and the method has no [districts]")]
    NoDistricts {
        /// The method file.
        method: String,
    },
    /// The districts have no such attribute.
    #[error("{layer}: the districts have no attribute {by:?} to group them by (they have: {available})")]
    MissingAttribute {
        /// The districts layer.
        layer: String,
        /// The attribute asked for.
        by: String,
        /// The attributes the districts have, comma-separated.
        available: String,
    },
    /// No district has this value.
    #[error("{layer}: no district has {by} = {value:?} (the values are: {values})")]
    UnknownValue {
        /// The districts layer.
        layer: String,
        /// The attribute.
        by: String,
        /// The value asked for.
        value: String,
        /// The values the districts have (the first 20, sorted).
        values: String,
    },
    /// The territory's districts hold no unit.
    #[error(
        "region {by}={value:?}: its {districts} district(s) hold no unit (a unit belongs to the district holding the largest share of its area)"
    )]
    NoUnits {
        /// The attribute.
        by: String,
        /// The territory.
        value: String,
        /// How many districts it has.
        districts: usize,
    },
    /// `--region`'s text is not `ATTRIBUTE=VALUE`.
    #[error("region {given:?}: expected ATTRIBUTE=VALUE, e.g. codigo_provincia=101")]
    BadSpec {
        /// What was given.
        given: String,
    },
    /// Reading a layer's geometries or attributes, or building a table.
    #[error(transparent)]
    Io(#[from] IoError),
}

impl RegionError {
    /// What the user can do about this error, if careblock knows.
    pub fn hint(&self) -> Option<careblock_core::Hint> {
        match self {
            RegionError::Io(e) => e.hint(),
            _ => None,
        }
    }
}

/// `ATTRIBUTE=VALUE` split at its first `=` (both sides non-empty after trimming the attribute).
pub fn parse_region(spec: &str) -> Result<(String, String), RegionError> {
    match spec.split_once('=') {
        Some((by, value)) if !by.trim().is_empty() => Ok((by.trim().to_string(), value.to_string())),
        _ => Err(RegionError::BadSpec {
            given: spec.to_string(),
        }),
    }
}

/// The folder of a territory's outputs, hive-style: `by=value`, the characters Hive escapes
/// (`/ \ : = % ? * # " ' [ ] { } ^` and control characters) percent-encoded, so that readers
/// of hive-partitioned datasets (polars, DuckDB, pyarrow) give the value back as a column.
pub fn folder_name(by: &str, value: &str) -> String {
    let escape = |s: &str| {
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            if c.is_control() || "/\\:=%?*#\"'[]{}^".contains(c) {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            } else {
                out.push(c);
            }
        }
        out
    };
    format!("{}={}", escape(by), escape(value))
}

/// The territories of one set of inputs: every feature's territory, computed once.
#[derive(Debug, Clone)]
pub struct Regions {
    by: String,
    layer: String,
    /// Each district's value of `by`.
    district_value: Vec<Option<String>>,
    /// The distinct values, sorted as text.
    values: Vec<String>,
    /// Each unit's district (largest share of its area).
    unit_district: Vec<Option<u32>>,
    supply: Vec<Vec<Option<u32>>>,
    candidates: Vec<Vec<Option<u32>>>,
    existing: Vec<Vec<Option<u32>>>,
    /// Each polygon of a `[siting.equity]` layer of its own: its district.
    equity: Option<Vec<Option<u32>>>,
}

/// One territory's inputs, ready for [`run_region`].
#[derive(Debug, Clone)]
pub struct Region {
    /// The attribute.
    pub by: String,
    /// Its value.
    pub value: String,
    /// The territory's inputs (its districts, units and points; the rest whole).
    pub inputs: LoadedInputs,
}

/// The values of `by` on the districts layer, one per district (`None`: no value), or the
/// error naming the attributes the layer has.
pub fn district_values(layer: &Layer, by: &str) -> Result<Vec<Option<String>>, RegionError> {
    if layer.attributes.column(by).is_err() {
        let mut names: Vec<String> = layer
            .attributes
            .get_column_names()
            .iter()
            .map(|c| c.to_string())
            .collect();
        names.sort();
        return Err(RegionError::MissingAttribute {
            layer: layer.name.clone(),
            by: by.to_string(),
            available: if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            },
        });
    }
    Ok(layer
        .text_column(by)
        .map_err(|e| IoError::layer(&layer.name, e))?)
}

/// A geometry's point: the point itself, else its centroid (`None` without geometry).
fn point_of(g: &Option<Geometry<f64>>) -> Option<Point<f64>> {
    match g {
        None => None,
        Some(Geometry::Point(p)) => Some(*p),
        Some(other) => other.centroid(),
    }
}

/// Each polygon's district: the one holding the largest share of its area (the first on a tie).
fn largest_share(table: &AreaTable) -> Vec<Option<u32>> {
    (0..table.n_sources())
        .map(|i| {
            let mut best: Option<(u32, f64)> = None;
            for &(j, a) in table.row(i) {
                if a > 0.0 && best.is_none_or(|(_, b)| a > b) {
                    best = Some((j, a));
                }
            }
            best.map(|(j, _)| j)
        })
        .collect()
}

impl Regions {
    /// The territories of `inputs` (loaded for `method`) by the districts' attribute `by`.
    pub fn new(method: &Method, inputs: &LoadedInputs, by: &str) -> Result<Regions, RegionError> {
        let Some(districts) = &inputs.districts else {
            return Err(RegionError::NoDistricts {
                method: method.file.clone(),
            });
        };
        let district_value = district_values(districts, by)?;
        let values: BTreeSet<String> = district_value.iter().flatten().cloned().collect();
        let dpolys = districts
            .polygons()
            .map_err(|e| IoError::layer(&districts.name, e))?;
        let polys = |l: &Layer| l.polygons().map_err(|e| IoError::layer(&l.name, e));
        let unit_district = largest_share(&AreaTable::build(&polys(&inputs.units)?, &dpolys));
        let points = |layers: &[Layer]| -> Vec<Vec<Option<u32>>> {
            layers
                .iter()
                .map(|l| {
                    let pts: Vec<Option<Point<f64>>> = l.geometries.iter().map(point_of).collect();
                    points_in_polygons(&pts, &dpolys).polygon
                })
                .collect()
        };
        let equity = match &inputs.equity {
            Some(e) => Some(largest_share(&AreaTable::build(&polys(e)?, &dpolys))),
            None => None,
        };
        Ok(Regions {
            by: by.to_string(),
            layer: districts.name.clone(),
            values: values.into_iter().collect(),
            supply: points(&inputs.supply),
            candidates: points(&inputs.candidates),
            existing: points(&inputs.existing),
            district_value,
            unit_district,
            equity,
        })
    }

    /// The attribute.
    pub fn by(&self) -> &str {
        &self.by
    }

    /// Every value of the attribute on the districts, sorted as text.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// Units in no district (they belong to no territory).
    pub fn unassigned(&self) -> usize {
        self.unit_district.iter().filter(|d| d.is_none()).count()
    }

    /// `Ok` when some district has `value`, else the error listing the values.
    pub fn check(&self, value: &str) -> Result<(), RegionError> {
        if self.values.binary_search_by(|v| v.as_str().cmp(value)).is_ok() {
            return Ok(());
        }
        let mut values: Vec<String> = self.values.iter().take(20).map(|v| format!("{v:?}")).collect();
        if self.values.len() > 20 {
            values.push(format!("… ({} in all)", self.values.len()));
        }
        Err(RegionError::UnknownValue {
            layer: self.layer.clone(),
            by: self.by.clone(),
            value: value.to_string(),
            values: values.join(", "),
        })
    }

    /// The districts with `value`, their units and points: the territory's inputs (`inputs`
    /// must be those [`Regions::new`] was given). Its notes are the inputs' with the territory
    /// named and the units in no district counted.
    pub fn select(&self, inputs: &LoadedInputs, value: &str) -> Result<Region, RegionError> {
        self.check(value)?;
        let districts = inputs.districts.as_ref().expect("checked by Regions::new");
        let in_region: Vec<bool> = self
            .district_value
            .iter()
            .map(|v| v.as_deref() == Some(value))
            .collect();
        let inside = |d: &Option<u32>| d.is_some_and(|d| in_region[d as usize]);
        let keep = |ds: &[Option<u32>]| ds.iter().map(inside).collect::<Vec<bool>>();
        let n_districts = in_region.iter().filter(|k| **k).count();
        let unit_keep = keep(&self.unit_district);
        let n_units = unit_keep.iter().filter(|k| **k).count();
        if n_units == 0 {
            return Err(RegionError::NoUnits {
                by: self.by.clone(),
                value: value.to_string(),
                districts: n_districts,
            });
        }
        let units = subset(&inputs.units, &unit_keep)?;
        let layers = |all: &[Layer], at: &[Vec<Option<u32>>]| -> Result<Vec<Layer>, RegionError> {
            Ok(all
                .iter()
                .zip(at)
                .map(|(l, d)| subset(l, &keep(d)))
                .collect::<Result<Vec<_>, _>>()?)
        };
        let candidates = layers(&inputs.candidates, &self.candidates)?;
        let existing = layers(&inputs.existing, &self.existing)?;
        let costs = inputs.costs.as_ref().map(|c| {
            let unit_ids: HashSet<&str> = units.ids.iter().map(String::as_str).collect();
            let site = |ls: &[Layer]| -> HashSet<String> {
                ls.iter()
                    .flat_map(|l| l.ids.iter().cloned())
                    .collect::<HashSet<_>>()
            };
            let (all_sites, region_sites) = (
                site(&[inputs.candidates.as_slice(), inputs.existing.as_slice()].concat()),
                site(&[candidates.as_slice(), existing.as_slice()].concat()),
            );
            let rows: Vec<usize> = (0..c.unit.len())
                .filter(|&r| {
                    unit_ids.contains(c.unit[r].as_str())
                        && (region_sites.contains(&c.site[r]) || !all_sites.contains(&c.site[r]))
                })
                .collect();
            careblock_siting::CostTable {
                source: c.source.clone(),
                unit: rows.iter().map(|&r| c.unit[r].clone()).collect(),
                site: rows.iter().map(|&r| c.site[r].clone()).collect(),
                cost: rows.iter().map(|&r| c.cost[r]).collect(),
            }
        });
        let equity = match (&inputs.equity, &self.equity) {
            (Some(e), Some(at)) => Some(subset(e, &keep(at))?),
            _ => None,
        };
        let mut notes = inputs.notes.clone();
        notes.push(msg!(
            "regions.selected",
            by = &self.by,
            value = format!("{value:?}"),
            districts = n_districts,
            units = n_units,
        ));
        let unassigned = self.unassigned();
        if unassigned > 0 {
            notes.push(msg!("regions.unassigned", n = unassigned));
        }
        Ok(Region {
            by: self.by.clone(),
            value: value.to_string(),
            inputs: LoadedInputs {
                units_lonlat: inputs.units_lonlat.as_ref().map(|g| {
                    g.iter()
                        .zip(&unit_keep)
                        .filter(|(_, k)| **k)
                        .map(|(g, _)| g.clone())
                        .collect()
                }),
                units,
                districts: Some(subset(districts, &in_region)?),
                coarse: inputs.coarse.clone(),
                supply: layers(&inputs.supply, &self.supply)?,
                candidates,
                existing,
                equity,
                network: inputs.network.clone(),
                network_gap: inputs.network_gap.clone(),
                prepared_network: inputs.prepared_network.clone(),
                costs,
                crs: inputs.crs,
                notes,
            },
        })
    }
}

/// The features of `layer` where `keep` is true, in order (same name, CRS and columns).
fn subset(layer: &Layer, keep: &[bool]) -> Result<Layer, IoError> {
    let n = keep.iter().filter(|k| **k).count();
    let attributes = if layer.attributes.width() == 0 {
        DataFrame::empty_with_height(n)
    } else {
        let mask = BooleanChunked::from_slice("keep".into(), keep);
        layer
            .attributes
            .filter(&mask)
            .map_err(|e| IoError::table(&layer.name, format!("selecting the region's features: {e}")))?
    };
    let pick = |i: usize| keep[i];
    Layer::new(
        layer.name.clone(),
        layer
            .ids
            .iter()
            .enumerate()
            .filter(|(i, _)| pick(*i))
            .map(|(_, v)| v.clone())
            .collect(),
        layer
            .geometries
            .iter()
            .enumerate()
            .filter(|(i, _)| pick(*i))
            .map(|(_, v)| v.clone())
            .collect(),
        attributes,
        layer.crs,
    )
    .map_err(|e| IoError::layer(&layer.name, e))
}

/// A territory's run: its index (normalised within it) and, with a `[siting]`, its blocks, as
/// [`crate::run`] after the reading. `method` is the method the inputs were loaded for.
pub fn run_region(method: Method, region: Region, stages: &mut impl Stages) -> Result<Run, PipelineError> {
    let inputs = region.inputs;
    let assessment = stages.stage(
        "index",
        "computing the index and its Monte Carlo uncertainty",
        || Ok(assess(&method, inputs.inputs())?),
    )?;
    let plan = match &method.spec.siting {
        None => None,
        Some(_) => Some(stages.stage("siting", "siting care blocks", || {
            Ok(plan(&method, inputs.plan_inputs(), &assessment)?)
        })?),
    };
    Ok(Run {
        method,
        inputs,
        assessment,
        plan,
        tables: None,
    })
}

/// One row of the regions table.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RegionSummary {
    /// The territory (the attribute's value).
    pub value: String,
    /// Its folder (see [`folder_name`]), when it ran.
    pub folder: Option<String>,
    /// Its districts.
    pub districts: usize,
    /// Its units.
    pub units: usize,
    /// The siting's figures (`None` without `[siting]`), or why the territory failed (in
    /// English, from the catalogue or the error).
    pub outcome: Result<Option<SitingFigures>, String>,
}

impl RegionSummary {
    /// The row of the territory `value` that ran.
    pub fn of_run(by: &str, value: &str, run: &Run) -> RegionSummary {
        RegionSummary {
            value: value.to_string(),
            folder: Some(folder_name(by, value)),
            districts: run.inputs.districts.as_ref().map_or(0, |d| d.len()),
            units: run.inputs.units.len(),
            outcome: Ok(run.plan.as_ref().map(SitingFigures::of)),
        }
    }

    /// The row of a territory that could not be selected or run.
    pub fn failed(value: &str, regions: &Regions, error: &str) -> RegionSummary {
        let districts = regions
            .district_value
            .iter()
            .filter(|v| v.as_deref() == Some(value))
            .count();
        let index: HashSet<u32> = regions
            .district_value
            .iter()
            .enumerate()
            .filter(|(_, v)| v.as_deref() == Some(value))
            .map(|(i, _)| i as u32)
            .collect();
        let units = regions
            .unit_district
            .iter()
            .filter(|d| d.is_some_and(|d| index.contains(&d)))
            .count();
        RegionSummary {
            value: value.to_string(),
            folder: None,
            districts,
            units,
            outcome: Err(error.to_string()),
        }
    }
}

/// The reason a territory failed, as `regions.csv` says it (English, the table does not
/// depend on the language): a territory without units in the catalogue's words, any other
/// error its message.
pub fn failure_reason(e: &RegionError) -> String {
    match e {
        RegionError::NoUnits { districts, .. } => {
            msg!("regions.no_units", districts = *districts).to_string()
        }
        other => other.to_string(),
    }
}

/// `regions.csv`: one row per territory in the order given (sorted by value): `value`,
/// `folder` (where its outputs are, empty when it failed), `districts`, `units`, `status` (`ok`, `failed`),
/// `reason`, and with a `[siting]` the demand, the shares covered before and after with the
/// bound and gap, and the blocks.
pub fn regions_table(rows: &[RegionSummary]) -> Result<DataFrame, IoError> {
    let mut cols = vec![
        Column::new(
            "value".into(),
            rows.iter().map(|r| r.value.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "folder".into(),
            rows.iter().map(|r| r.folder.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "districts".into(),
            rows.iter().map(|r| r.districts as u32).collect::<Vec<_>>(),
        ),
        Column::new(
            "units".into(),
            rows.iter().map(|r| r.units as u32).collect::<Vec<_>>(),
        ),
        Column::new(
            "status".into(),
            rows.iter()
                .map(|r| if r.outcome.is_ok() { "ok" } else { "failed" })
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "reason".into(),
            rows.iter()
                .map(|r| r.outcome.as_ref().err().cloned())
                .collect::<Vec<_>>(),
        ),
    ];
    let figures: Vec<Option<&SitingFigures>> = rows
        .iter()
        .map(|r| r.outcome.as_ref().ok().and_then(|f| f.as_ref()))
        .collect();
    cols.extend(SitingFigures::columns(&figures));
    DataFrame::new(rows.len(), cols).map_err(|e| IoError::table("regions.csv", e.to_string()))
}

/// `regions.json`: careblock's version, the method, the attribute, every input with its size
/// and SHA-256 (`inputs`: role, path, bytes, sha256), the units in no district, and per
/// territory its value, folder, status and reason.
pub fn regions_report(
    method: &Method,
    by: &str,
    inputs: &[careblock_io::InputFile],
    unassigned: usize,
    rows: &[RegionSummary],
) -> String {
    let report = serde_json::json!({
        "careblock": env!("CARGO_PKG_VERSION"),
        "method": method.file,
        "by": by,
        "inputs": inputs.iter().map(|f| serde_json::json!({"role": f.role, "path": f.path, "bytes": f.bytes, "sha256": f.sha256})).collect::<Vec<_>>(),
        "units_in_no_district": unassigned,
        "regions": rows.iter().map(|r| serde_json::json!({
            "value": r.value,
            "folder": r.folder,
            "districts": r.districts,
            "units": r.units,
            "status": if r.outcome.is_ok() { "ok" } else { "failed" },
            "reason": r.outcome.as_ref().err(),
        })).collect::<Vec<_>>(),
    });
    serde_json::to_string_pretty(&report).expect("a JSON value serialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_hive_partitions_with_the_special_characters_escaped() {
        assert_eq!(folder_name("codigo_provincia", "101"), "codigo_provincia=101");
        assert_eq!(folder_name("dpto", "Bogotá, D.C."), "dpto=Bogotá, D.C.");
        assert_eq!(folder_name("a", "x/y=z%"), "a=x%2Fy%3Dz%25");
        assert_eq!(folder_name("a", "../etc"), "a=..%2Fetc");
    }

    #[test]
    fn a_region_is_an_attribute_and_a_value() {
        assert_eq!(
            parse_region("codigo_provincia=101").unwrap(),
            ("codigo_provincia".to_string(), "101".to_string())
        );
        assert_eq!(
            parse_region("k=a=b").unwrap(),
            ("k".to_string(), "a=b".to_string())
        );
        assert_eq!(parse_region("k=").unwrap(), ("k".to_string(), String::new()));
        for bad in ["101", "=101", " =x"] {
            let e = parse_region(bad).unwrap_err().to_string();
            assert!(e.contains("ATTRIBUTE=VALUE"), "{e}");
        }
    }

    #[test]
    fn a_unit_belongs_to_the_district_holding_most_of_it() {
        use geo::{MultiPolygon, Rect};
        let sq = |x0: f64, x1: f64| MultiPolygon(vec![Rect::new((x0, 0.0), (x1, 1.0)).to_polygon()]);
        // Districts [0,2] and [2,4] (and a third equal to the first: ties go to the first).
        let districts = vec![sq(0.0, 2.0), sq(2.0, 4.0), sq(0.0, 2.0)];
        // Units: mostly in 0, mostly in 1, outside all, half and half.
        let units = vec![sq(1.0, 2.5), sq(1.8, 3.0), sq(10.0, 11.0), sq(1.0, 3.0)];
        let t = AreaTable::build(&units, &districts);
        assert_eq!(largest_share(&t), [Some(0), Some(1), None, Some(0)]);
    }
}
