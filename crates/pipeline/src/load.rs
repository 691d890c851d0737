//! Reading a method file and every input it declares: layers (with their attribute tables),
//! validated (and repaired on request) and projected to the working CRS, ready for
//! [`careblock_index::assess`].

use std::path::{Path, PathBuf};

use careblock_core::project::{check_axis_order, project_geometries, project_into, working_crs};
use careblock_core::validate::{IssueKind, repair, validate};
use careblock_core::{Crs, Layer, WGS84};
use careblock_index::Inputs;
use careblock_method::Method;
use careblock_method::{CrsSpec, LayerInput};
use careblock_siting::plan::PlanInputs;
use careblock_text::msg;
use geo::Geometry;
use polars::prelude::DataFrame;

use careblock_io::{IoError, ReadOptions, join_table, read_cost_table, read_layer, read_table_with_key};

/// How to load inputs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoadOptions {
    /// Repair invalid polygons (make-valid) instead of refusing them; the repaired features are
    /// listed in [`LoadedInputs::notes`].
    pub fix_invalid: bool,
}

/// The inputs of a method, read, validated and projected to one CRS.
#[derive(Debug, Clone)]
pub struct LoadedInputs {
    /// The census units.
    pub units: Layer,
    /// The units' geometries as read and validated, when their file is in lon/lat (EPSG:4326)
    /// and the working CRS is not: the outputs in lon/lat (GeoJSON, FlatGeobuf, GeoParquet)
    /// write these instead of reprojecting the working CRS's back, so a national run
    /// reprojects its units once, not twice, and writes the coordinates it read.
    pub units_lonlat: Option<Vec<Option<Geometry<f64>>>>,
    /// The districts.
    pub districts: Option<Layer>,
    /// The `[[coarse]]` layers, in the method's order.
    pub coarse: Vec<Layer>,
    /// The `[[supply]]` layers, in the method's order.
    pub supply: Vec<Layer>,
    /// The `[[siting.candidates]]` layers, in the method's order.
    pub candidates: Vec<Layer>,
    /// The `[[siting.existing]]` layers, in the method's order.
    pub existing: Vec<Layer>,
    /// The `[siting.equity]` polygon layer when that is a `[[coarse]]` layer or has its own
    /// `path` (when it is the districts, `districts` serves).
    pub equity: Option<Layer>,
    /// The `[network]` street layer (lines).
    pub network: Option<Layer>,
    /// The `[network] gap` polygon layer (areas the network does not cover).
    pub network_gap: Option<Layer>,
    /// The street network built from `network`, once, by whichever of the index and the
    /// siting walks first.
    pub prepared_network: careblock_core::network::PreparedNetwork,
    /// The `[siting] costs` table.
    pub costs: Option<careblock_siting::CostTable>,
    /// The working CRS.
    pub crs: Crs,
    /// What was repaired, left unmatched or has no geometry (never silent).
    pub notes: Vec<careblock_text::Msg>,
}

impl LoadedInputs {
    /// Takes the units' input attributes out of their layer for the index to read and drop
    /// ([`careblock_index::assess_with_unit_attributes`]), leaving `label`'s column, the only
    /// one the outputs read ([`crate::results::level_table`]): the siting, the tables and the
    /// writers read the index's columns, not the inputs'. At 500,000 units of a census file
    /// these are tens of megabytes that would otherwise be held through the index, the siting
    /// and the writing. `None`, the attributes left, when `label` names no column (so that the
    /// tables' error names it).
    pub fn take_unit_attributes(&mut self, label: Option<&str>) -> Option<DataFrame> {
        let kept = label_only(&self.units.attributes, label)?;
        Some(std::mem::replace(&mut self.units.attributes, kept))
    }

    /// Borrowed view for [`careblock_siting::plan::plan`].
    pub fn plan_inputs(&self) -> PlanInputs<'_> {
        PlanInputs {
            units: &self.units,
            districts: self.districts.as_ref(),
            supply: &self.supply,
            candidates: &self.candidates,
            existing: &self.existing,
            equity: self.equity.as_ref(),
            network: self.network.as_ref(),
            network_gap: self.network_gap.as_ref(),
            prepared_network: Some(&self.prepared_network),
            costs: self.costs.as_ref(),
            unit_shapes: None,
            // load_inputs validated every polygon layer (check_geometries).
            validated: true,
        }
    }

    /// Borrowed view for [`careblock_index::assess`].
    pub fn inputs(&self) -> Inputs<'_> {
        Inputs {
            units: &self.units,
            districts: self.districts.as_ref(),
            coarse: &self.coarse,
            supply: &self.supply,
            network: self.network.as_ref(),
            network_gap: self.network_gap.as_ref(),
            prepared_network: Some(&self.prepared_network),
            // load_inputs validated every polygon layer (check_geometries).
            validated: true,
        }
    }
}

/// `attributes` reduced to the `label` column (none without a label); `None` when `label`
/// names no column.
fn label_only(attributes: &DataFrame, label: Option<&str>) -> Option<DataFrame> {
    match label {
        None => Some(DataFrame::empty_with_height(attributes.height())),
        Some(l) => attributes.select([l]).ok(),
    }
}

pub(crate) fn crs_of(spec: &Option<CrsSpec>, what: &str) -> Result<Option<Crs>, IoError> {
    match spec {
        None => Ok(None),
        Some(CrsSpec::Code(c)) => Crs::from_epsg(*c).map(Some).map_err(|e| IoError::crs(what, e)),
        Some(CrsSpec::Text(t)) => Crs::parse(t).map(Some).map_err(|e| IoError::crs(what, e)),
    }
}

/// `base` joined with a path from the method file (absolute paths are kept).
pub(crate) fn resolve(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() || base.as_os_str().is_empty() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

fn load_layer(
    base: &Path,
    input: &LayerInput,
    polygons: bool,
    opts: &LoadOptions,
    notes: &mut Vec<careblock_text::Msg>,
) -> Result<Layer, IoError> {
    let path = resolve(base, &input.path);
    let read_opts = ReadOptions {
        id_field: input.id.clone(),
        crs: crs_of(&input.crs, &path.display().to_string())?,
        close_rings: opts.fix_invalid,
        geometry_column: input.geometry.clone(),
    };
    let (mut layer, report) = read_layer(&path, &read_opts)?;
    if report.spherical_edges {
        notes.push(msg!("data.spherical_edges", layer = &layer.name));
    }
    if !report.closed_rings.is_empty() {
        notes.push(msg!(
            "data.closed_rings",
            layer = &layer.name,
            n = report.closed_rings.len(),
            first = format!("{:?}", report.closed_rings[0]),
        ));
    }
    if let Some(t) = &input.table {
        let tpath = resolve(base, &t.path);
        let table = read_table_with_key(&tpath, &t.key)?;
        let layer_key = input.id.as_deref().unwrap_or("id");
        let tname = tpath.display().to_string();
        let (joined, rep) = join_table(layer, table, &tname, layer_key, &t.key)?;
        if !rep.unmatched_features.is_empty() {
            notes.push(msg!(
                "data.table_unmatched_features",
                table = &tname,
                n = rep.unmatched_features.len(),
                layer = &joined.name,
                first = format!("{:?}", rep.unmatched_features[0]),
            ));
        }
        if !rep.unmatched_rows.is_empty() {
            notes.push(msg!(
                "data.table_unmatched_rows",
                table = &tname,
                n = rep.unmatched_rows.len(),
                first = format!("{:?}", rep.unmatched_rows[0]),
            ));
        }
        layer = joined;
    }
    if polygons {
        layer = check_geometries(layer, opts.fix_invalid, notes)?;
    }
    Ok(layer)
}

/// Notes null geometries, refuses (or, with `fix`, repairs) invalid polygons: the check every
/// polygon layer of a method goes through (and the Python bindings' GeoDataFrames too). Repairs
/// and null geometries are written to `notes`.
pub fn check_geometries(
    layer: Layer,
    fix: bool,
    notes: &mut Vec<careblock_text::Msg>,
) -> Result<Layer, IoError> {
    let v = validate(&layer);
    let empty: Vec<&str> = v
        .issues
        .iter()
        .filter(|i| matches!(i.kind, IssueKind::Null | IssueKind::Empty))
        .map(|i| i.id.as_str())
        .collect();
    if let Some(first) = empty.first() {
        notes.push(msg!(
            "data.no_geometry_kept",
            layer = &layer.name,
            n = empty.len(),
            first = format!("{first:?}"),
        ));
    }
    let blocking: Vec<_> = v.blocking().collect();
    let Some(first) = blocking.first() else {
        return Ok(layer);
    };
    if !fix {
        return Err(IoError::InvalidGeometry {
            path: layer.name.clone(),
            count: blocking.len(),
            id: first.id.clone(),
            problem: first.problem.clone(),
        });
    }
    let (fixed, rep) = repair(&layer);
    if let Some(bad) = rep.unrepairable.first() {
        return Err(IoError::InvalidGeometry {
            path: layer.name.clone(),
            count: rep.unrepairable.len(),
            id: bad.id.clone(),
            problem: format!("{} (cannot be repaired)", bad.problem),
        });
    }
    if let Some(first) = rep.repaired.first() {
        notes.push(msg!(
            "data.repaired",
            layer = &layer.name,
            n = rep.repaired.len(),
            first = format!("{:?}", first.id),
        ));
    }
    Ok(fixed)
}

fn project(layer: Layer, crs: Crs) -> Result<Layer, IoError> {
    let name = layer.name.clone();
    project_into(layer, crs).map_err(|e| IoError::crs(name, e))
}

/// A layer without label or table (points, lines, a coverage gap) as a method names it.
pub(crate) fn layer_input(
    path: &str,
    id: &Option<String>,
    crs: &Option<CrsSpec>,
    geometry: &Option<String>,
) -> LayerInput {
    LayerInput {
        path: path.to_string(),
        id: id.clone(),
        label: None,
        crs: crs.clone(),
        geometry: geometry.clone(),
        table: None,
    }
}

/// The `[siting.equity]` polygon layer, when it is not the districts (a file, or a coarse
/// layer by name).
fn equity_layer(
    method: &Method,
    base: &Path,
    opts: &LoadOptions,
    coarse: &[Layer],
    notes: &mut Vec<careblock_text::Msg>,
) -> Result<Option<Layer>, IoError> {
    let spec = &method.spec;
    let mut equity = None;
    if let Some(e) = spec.siting.as_ref().and_then(|st| st.equity.as_ref()) {
        match (&e.path, e.layer_name()) {
            (Some(path), _) => {
                let input = layer_input(path.get_ref(), &e.id, &e.crs, &e.geometry);
                equity = Some(load_layer(base, &input, true, opts, notes)?);
            }
            (None, Some(name)) => {
                if let Some(k) = spec.coarse.iter().position(|c| c.name.get_ref() == name) {
                    equity = Some(coarse[k].clone());
                }
            }
            (None, None) => {}
        }
    }
    Ok(equity)
}

/// The `[network]` street layer and its coverage-gap polygons.
fn network_layers(
    method: &Method,
    base: &Path,
    opts: &LoadOptions,
    notes: &mut Vec<careblock_text::Msg>,
) -> Result<(Option<Layer>, Option<Layer>), IoError> {
    Ok(match &method.spec.network {
        None => (None, None),
        Some(n) => {
            let streets = load_layer(
                base,
                &layer_input(n.path.get_ref(), &n.id, &n.crs, &n.geometry),
                false,
                opts,
                notes,
            )?;
            let gap = n
                .gap
                .as_ref()
                .map(|g| {
                    load_layer(
                        base,
                        &layer_input(g.get_ref(), &n.gap_id, &n.crs, &None),
                        true,
                        opts,
                        notes,
                    )
                })
                .transpose()?;
            (Some(streets), gap)
        }
    })
}

/// Reads every input of `method` (paths relative to `base`, the method file's directory),
/// validates the polygons, and projects everything to the method's CRS (default: the UTM zone
/// of the units and districts).
pub fn load_inputs(method: &Method, base: &Path, opts: &LoadOptions) -> Result<LoadedInputs, IoError> {
    let spec = &method.spec;
    let mut notes = Vec::new();
    let units = load_layer(base, &spec.units.layer(), true, opts, &mut notes)?;
    let districts = spec
        .districts
        .as_ref()
        .map(|d| load_layer(base, d, true, opts, &mut notes))
        .transpose()?;
    let coarse = spec
        .coarse
        .iter()
        .map(|c| load_layer(base, &c.layer(), true, opts, &mut notes))
        .collect::<Result<Vec<_>, _>>()?;
    let supply = spec
        .supply
        .iter()
        .map(|s| {
            load_layer(
                base,
                &layer_input(&s.path, &s.id, &s.crs, &s.geometry),
                false,
                opts,
                &mut notes,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    let point_layer = |input: LayerInput, notes: &mut Vec<careblock_text::Msg>| {
        load_layer(base, &input, false, opts, notes)
    };
    let (candidates, existing) = match &spec.siting {
        None => (Vec::new(), Vec::new()),
        Some(st) => (
            st.candidates
                .iter()
                .map(|c| point_layer(layer_input(&c.path, &c.id, &c.crs, &c.geometry), &mut notes))
                .collect::<Result<Vec<_>, _>>()?,
            st.existing
                .iter()
                .map(|c| point_layer(layer_input(&c.path, &c.id, &c.crs, &c.geometry), &mut notes))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    let costs = match spec.siting.as_ref().and_then(|st| st.costs.as_ref()) {
        None => None,
        Some(c) => {
            let path = resolve(base, c.path.get_ref());
            let t = read_cost_table(&path, &c.unit, &c.site, &c.cost)?;
            Some(careblock_siting::CostTable {
                source: path.display().to_string(),
                unit: t.unit,
                site: t.site,
                cost: t.cost,
            })
        }
    };
    let equity = equity_layer(method, base, opts, &coarse, &mut notes)?;
    let (network, network_gap) = network_layers(method, base, opts, &mut notes)?;
    // The units are compared with the districts (usually official polygons), then every other
    // layer with the units: a layer given as (lat, lon) lies outside them.
    if let Some(d) = &districts {
        check_axis_order(&units, d).map_err(|e| IoError::crs(&units.name, e))?;
    }
    for layer in districts
        .iter()
        .chain(&coarse)
        .chain(&supply)
        .chain(&candidates)
        .chain(&existing)
        .chain(equity.iter())
        .chain(network.iter())
        .chain(network_gap.iter())
    {
        check_axis_order(layer, &units).map_err(|e| IoError::crs(&layer.name, e))?;
    }
    let given = crs_of(&spec.crs, &method.file)?;
    let mut layers: Vec<&Layer> = vec![&units];
    layers.extend(districts.iter());
    let crs = working_crs(given, &layers).map_err(|e| IoError::crs(&method.file, e))?;
    // Units read in lon/lat keep those geometries for the outputs; the working CRS's are a
    // reprojected copy (each geometry copied and reprojected by one task, in one pass).
    let (units, units_lonlat) = if units.crs == WGS84 && crs != WGS84 {
        let mut units = units;
        let projected = project_geometries(units.view(), crs).map_err(|e| IoError::crs(&units.name, e))?;
        let lonlat = std::mem::replace(&mut units.geometries, projected);
        units.crs = crs;
        (units, Some(lonlat))
    } else {
        (project(units, crs)?, None)
    };
    let districts = districts.map(|d| project(d, crs)).transpose()?;
    let coarse = coarse
        .into_iter()
        .map(|l| project(l, crs))
        .collect::<Result<Vec<_>, _>>()?;
    let supply = supply
        .into_iter()
        .map(|l| project(l, crs))
        .collect::<Result<Vec<_>, _>>()?;
    let candidates = candidates
        .into_iter()
        .map(|l| project(l, crs))
        .collect::<Result<Vec<_>, _>>()?;
    let existing = existing
        .into_iter()
        .map(|l| project(l, crs))
        .collect::<Result<Vec<_>, _>>()?;
    let equity = equity.map(|l| project(l, crs)).transpose()?;
    let network = network.map(|l| project(l, crs)).transpose()?;
    let network_gap = network_gap.map(|l| project(l, crs)).transpose()?;
    Ok(LoadedInputs {
        units_lonlat,
        network,
        network_gap,
        units,
        districts,
        coarse,
        supply,
        candidates,
        existing,
        equity,
        prepared_network: Default::default(),
        costs,
        crs,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use careblock_text::Lang;
    use geo::{Coord, Geometry, LineString, Polygon};
    use polars::prelude::DataFrame;

    fn polygon(coords: &[(f64, f64)]) -> Option<Geometry<f64>> {
        let ring = coords.iter().map(|&(x, y)| Coord { x, y }).collect();
        Some(Polygon::new(LineString(ring), vec![]).into())
    }

    /// A square, a feature without geometry and a self-crossing "bowtie".
    fn layer() -> Layer {
        Layer::new(
            "blocks.geojson",
            vec!["ok".into(), "nogeom".into(), "bowtie".into()],
            vec![
                polygon(&[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]),
                None,
                polygon(&[(0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)]),
            ],
            DataFrame::empty_with_height(3),
            Crs::Projected { epsg: 9377 },
        )
        .unwrap()
    }

    #[test]
    fn the_unit_attributes_keep_the_label_alone() {
        use polars::prelude::Column;
        let df = DataFrame::new(
            2,
            vec![
                Column::new("name".into(), ["a", "b"]),
                Column::new("pop".into(), [1.0, 2.0]),
            ],
        )
        .unwrap();
        let names =
            |df: &DataFrame| -> Vec<String> { df.get_column_names().iter().map(|n| n.to_string()).collect() };
        assert_eq!(names(&label_only(&df, Some("name")).unwrap()), ["name"]);
        let none = label_only(&df, None).unwrap();
        assert_eq!((none.width(), none.height()), (0, 2));
        // A label that names no column leaves everything, for the tables' error to name it.
        assert!(label_only(&df, Some("nombre")).is_none());
    }

    #[test]
    fn geometry_notes_are_worded_in_english_and_spanish() {
        let mut notes = Vec::new();
        check_geometries(layer(), true, &mut notes).unwrap();
        let en: Vec<String> = notes.iter().map(|n| n.to_string()).collect();
        let es: Vec<String> = notes.iter().map(|n| Lang::Es.render(n)).collect();
        assert_eq!(
            en,
            [
                "blocks.geojson: 1 feature(s) without geometry are kept with area 0 (first: \"nogeom\")",
                "blocks.geojson: repaired the invalid polygons of 1 feature(s) (first: \"bowtie\")",
            ]
        );
        assert_eq!(
            es,
            [
                "blocks.geojson: 1 elemento(s) sin geometría se conservan con área 0 (primero: \"nogeom\")",
                "blocks.geojson: se repararon los polígonos inválidos de 1 elemento(s) (primero: \"bowtie\")",
            ]
        );
    }
}
