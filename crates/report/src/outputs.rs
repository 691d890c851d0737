//! The folder `careblock run` writes: every layer (units, districts, sites, catchments,
//! uncovered) in the formats [`crate::formats::resolve`] chooses (GeoJSON, CSV, FlatGeobuf,
//! GeoParquet, a table of `careblock.gpkg` with its style), a `.qml` style beside every layer,
//! the siting's tables (`assignments.csv`, `equity.csv`), `report.html`, and `run.json` (which
//! lists what was written where and why). Everything is computed before the first file is
//! written, and each file is written atomically.

use std::path::Path;

use careblock_core::polars::prelude::DataFrame;
use std::borrow::Cow;

use careblock_core::project::project_geometries;
use careblock_core::{Crs, Layer, LayerView, WGS84};
use careblock_index::Level;
use careblock_io::{
    GpkgLayer, InputFile, IoError, write_csv, write_flatgeobuf, write_geojson, write_geoparquet, write_gpkg,
    write_text,
};
use careblock_method::output::Format;
use careblock_pipeline::Run;
use careblock_pipeline::results::run_report;
use careblock_siting::plan::SiteStatus;
use careblock_text::Lang;
use geo::Geometry;

use crate::formats::{FormatRequest, LayerFormats, resolve};
use crate::{page, qml, sites};
use rayon::prelude::*;

/// Writes every output of `run` into `dir` (created if missing), each layer in the formats the
/// method's `[output]` and `request` (`--format`) ask for; `input_files` are the method's
/// inputs with their checksums, for `run.json`. Returns what was written, layer by layer.
pub fn write_outputs(
    run: &Run,
    dir: &Path,
    input_files: &[InputFile],
    request: &FormatRequest,
) -> Result<Vec<LayerFormats>, IoError> {
    let (units_df, districts_df) = run.level_tables()?;
    let inputs = &run.inputs;
    std::fs::create_dir_all(dir).map_err(|e| IoError::io(dir.display().to_string(), e))?;
    let names = layer_names(run);
    debug_assert_eq!(names.contains(&"districts"), districts_df.is_some());
    let chosen = resolve(&names, inputs.units.len(), &run.method.spec.output, request);
    // A layer no file holds in the working CRS (no GeoPackage table) is written from lon/lat
    // geometries: the units' as read when their file was in lon/lat (not copied, not
    // reprojected), else a reprojected copy; a national units layer then exists once more, not
    // twice.
    let lonlat_only = |name: &str| {
        names
            .iter()
            .zip(&chosen)
            .any(|(n, c)| *n == name && !c.has(Format::Gpkg) && c.formats.iter().any(|&f| lonlat_format(f)))
    };
    let level_geometries = |name: &str| -> (&[Option<Geometry<f64>>], Crs) {
        match &inputs.units_lonlat {
            Some(g) if lonlat_only(name) => (g, WGS84),
            _ => (&inputs.units.geometries, inputs.units.crs),
        }
    };
    let mut layers = vec![level_layer(
        "units",
        &inputs.units,
        level_geometries("units"),
        units_df,
    )];
    if let (Some(df), Some(layer)) = (districts_df, &inputs.districts) {
        layers.push(level_layer(
            "districts",
            layer,
            (&layer.geometries, layer.crs),
            df,
        ));
    }
    let site_tables = match &run.plan {
        None => None,
        Some(p) => {
            let (site_layers, tables) = sites::outputs(
                p,
                &inputs.units,
                inputs.crs,
                level_geometries("uncovered"),
                p.bus_radius,
            )?;
            layers.extend(site_layers.into_iter().map(OutLayer::from));
            Some(tables)
        }
    };
    debug_assert!(layers.iter().map(|l| l.name.as_str()).eq(names.iter().copied()));
    let lang = run.method.spec.lang;
    let styles = styles(&layers, run, lang)?;
    let qgis_project = qgis_project(run, &layers, &styles, &chosen, lang);
    // The other layers no file holds in the working CRS are reprojected to lon/lat here.
    let layers: Vec<OutLayer<'_>> = layers
        .into_iter()
        .map(|mut l| {
            if l.crs != WGS84 && lonlat_only(&l.name) {
                let g = project_geometries(l.view(), WGS84).map_err(|e| IoError::crs(&l.name, e))?;
                l.geometries = Cow::Owned(g);
                l.crs = WGS84;
            }
            Ok(l)
        })
        .collect::<Result<_, IoError>>()?;
    // A layer written in two or more lon/lat formats and in the GeoPackage is reprojected
    // once for the lon/lat files, not once per file.
    let lonlat: Vec<Option<Vec<Option<Geometry<f64>>>>> = layers
        .iter()
        .zip(&chosen)
        .map(|(l, c)| {
            let needed = l.crs != WGS84 && c.formats.iter().filter(|&&f| lonlat_format(f)).count() > 1;
            needed
                .then(|| project_geometries(l.view(), WGS84).map_err(|e| IoError::crs(&l.name, e)))
                .transpose()
        })
        .collect::<Result<_, _>>()?;
    // The GeoPackage (SQLite, one thread) is built while the other files are written, and
    // the report (its maps simplify every polygon) beside the layers.
    let (gpkg, (files, report)) = rayon::join(
        || write_gpkg_file(dir, &layers, &styles, &chosen),
        || {
            rayon::join(
                || -> Result<(), IoError> {
                    // One task per layer and file format, largest layers first, so that the
                    // two threads share a national layer's FlatGeobuf and GeoParquet instead
                    // of one thread writing them all; the first error in this order is the
                    // one reported.
                    let mut jobs: Vec<(LayerView<'_>, Format)> = layers
                        .iter()
                        .zip(&lonlat)
                        .zip(&chosen)
                        .flat_map(|((l, ll), c)| {
                            c.formats.iter().map(move |&f| {
                                let view = match ll {
                                    Some(g) if lonlat_format(f) => LayerView {
                                        geometries: g,
                                        crs: WGS84,
                                        ..l.view()
                                    },
                                    _ => l.view(),
                                };
                                (view, f)
                            })
                        })
                        .collect();
                    jobs.sort_by_key(|(l, _)| std::cmp::Reverse(l.len()));
                    let done: Vec<Result<(), IoError>> = jobs
                        .par_iter()
                        .with_max_len(1)
                        .map(|&(l, f)| write_layer(dir, l, f))
                        .collect();
                    done.into_iter().collect::<Result<(), IoError>>()?;
                    if let Some(t) = &site_tables {
                        sites::write_tables(dir, t)?;
                    }
                    for (l, style) in layers.iter().zip(&styles) {
                        write_text(&dir.join(format!("{}.qml", l.name)), style)?;
                    }
                    if let Some(project) = &qgis_project {
                        write_text(&dir.join(QGIS_PROJECT), project)?;
                    }
                    Ok(())
                },
                || page::write(dir, &run.method, &run.assessment, inputs, run.plan.as_ref()),
            )
        },
    );
    files.and(report).and(gpkg)?;
    let mut report = run_report(
        &run.method,
        &run.assessment,
        &inputs.notes,
        inputs.crs.to_string(),
        input_files,
        run.plan.as_ref().map(|p| (p, &inputs.units)),
    );
    if let Some(obj) = report.as_object_mut() {
        obj.insert("outputs".into(), outputs_json(&chosen, run.method.spec.lang));
        if qgis_project.is_some() {
            obj.insert("qgis_project".into(), QGIS_PROJECT.into());
        }
    }
    let text =
        serde_json::to_string_pretty(&report).map_err(|e| IoError::format("run.json", e.to_string()))?;
    write_text(&dir.join("run.json"), &text)?;
    Ok(chosen)
}

/// The layers [`write_outputs`] writes, in its order: the units, the districts when the
/// assessment has them, and the siting's three layers with a plan.
fn layer_names(run: &Run) -> Vec<&'static str> {
    let mut names = vec!["units"];
    if run.assessment.districts.is_some() && run.inputs.districts.is_some() {
        names.push("districts");
    }
    if run.plan.is_some() {
        names.extend(["sites", "catchments", "uncovered"]);
    }
    names
}

/// Before [`write_outputs`] of `run` with `request`, releases what no output needs, when the
/// report's map leaves the units out (it shows districts, and more units than it draws):
///
/// * the units' level columns that only the output tables read, the tables being built first
///   ([`Run::release_level_columns`]; `pipeline::run` has done so before the siting unless a
///   robust siting read them);
/// * when neither the units nor the uncovered units have a GeoPackage table (every other format
///   with geometries is lon/lat; the CSVs hold none) and the units were read in lon/lat: their
///   working-CRS geometries, which the index and the siting measured (the units layer then
///   holds the lon/lat geometries as read, in EPSG:4326). (Their input attributes but the
///   label went in the index: [`careblock_pipeline::LoadedInputs::take_unit_attributes`].)
///
/// At any size, it also drops what only the siting read: the units' siting columns (demand,
/// groups, households) and the area table units → districts (the siting's district figures),
/// some 8 MB each and 16 MB at 500,000 units.
///
/// Returns whether the inputs were released. At 500,000 units these are the largest things
/// left of the index and the inputs (some 130 and 50 MB) while the files are written. A
/// run that keeps using its results after writing (the Python bindings' regions) does not call
/// this.
pub fn release_for_writing(run: &mut Run, request: &FormatRequest) -> Result<bool, IoError> {
    run.assessment.siting_columns = Vec::new();
    run.assessment.district_table = None;
    if !crate::page::units_omitted_from_map(&run.assessment) {
        return Ok(false);
    }
    let released = release_inputs(run, request);
    // After the inputs: building the tables (when not built yet) adds them to what is held.
    run.release_level_columns()?;
    Ok(released)
}

/// The inputs' part of [`release_for_writing`].
fn release_inputs(run: &mut Run, request: &FormatRequest) -> bool {
    let names = layer_names(run);
    let chosen = resolve(&names, run.inputs.units.len(), &run.method.spec.output, request);
    let in_gpkg = |name: &str| {
        names
            .iter()
            .zip(&chosen)
            .any(|(n, c)| *n == name && c.has(Format::Gpkg))
    };
    if in_gpkg("units") || in_gpkg("uncovered") {
        return false;
    }
    let Some(lonlat) = run.inputs.units_lonlat.take() else {
        return false;
    };
    let units = &mut run.inputs.units;
    units.geometries = lonlat;
    units.crs = WGS84;
    true
}

/// The QGIS project's file name.
const QGIS_PROJECT: &str = "careblock.qgs";

/// `careblock.qgs` over the layers written (in the working CRS, before any is reprojected for
/// a lon/lat file): each read from the GeoPackage, else its GeoJSON or FlatGeobuf file; the
/// siting's layers above the index's, the units off when there are districts. `None` when no
/// layer is in a format QGIS reads here (a national run's GeoParquet-only units, for one).
/// Titles and groups are in `lang`.
fn qgis_project(
    run: &Run,
    layers: &[OutLayer<'_>],
    styles: &[String],
    chosen: &[LayerFormats],
    lang: Lang,
) -> Option<String> {
    use crate::qgs::{LayerGeometry, ProjectLayer, project};
    let has_districts = layers.iter().any(|l| l.name == "districts");
    let order = ["sites", "catchments", "uncovered", "districts", "units"];
    let mut out: Vec<ProjectLayer> = Vec::new();
    for name in order {
        let Some(i) = layers.iter().position(|l| l.name == name) else {
            continue;
        };
        let c = &chosen[i];
        let source = if c.has(Format::Gpkg) {
            format!("./careblock.gpkg|layername={name}")
        } else if let Some(f) = [Format::GeoJson, Format::FlatGeobuf]
            .into_iter()
            .find(|&f| c.has(f))
        {
            format!("./{}", f.file(name).unwrap_or_default())
        } else {
            continue;
        };
        let siting = lang.t("qgis.group.siting");
        let index = lang.t("qgis.group.index");
        let (title, group, geometry, visible) = match name {
            "sites" => (lang.t("qgis.layer.sites"), siting, LayerGeometry::Point, true),
            "catchments" => (
                lang.t("qgis.layer.catchments"),
                siting,
                LayerGeometry::Polygon,
                true,
            ),
            "uncovered" => (
                lang.t("qgis.layer.uncovered"),
                siting,
                LayerGeometry::Polygon,
                false,
            ),
            "districts" => (
                lang.t("qgis.layer.districts"),
                index,
                LayerGeometry::Polygon,
                true,
            ),
            _ => (
                lang.t("qgis.layer.units"),
                index,
                LayerGeometry::Polygon,
                !has_districts,
            ),
        };
        out.push(ProjectLayer {
            name: name.to_string(),
            title: title.to_string(),
            group: group.to_string(),
            source,
            geometry,
            style: styles[i].clone(),
            visible,
        });
    }
    if out.is_empty() {
        return None;
    }
    // Framed on the districts (else the units) as loaded, in the working CRS.
    let inputs = &run.inputs;
    let framed = if layers.iter().any(|l| l.name == "districts") {
        inputs.districts.as_ref()
    } else {
        Some(&inputs.units)
    };
    let extent = framed.and_then(|l| focus_extent(&l.geometries));
    let spec = &run.method.spec;
    let title = spec
        .name
        .as_ref()
        .map_or_else(|| run.method.file.clone(), |l| l.get(lang).to_string());
    Some(project(&title, &out, run.inputs.crs, extent))
}

/// The extent a map of `geometries` opens on ([`crate::html::maps::framing`], as the report's
/// main map).
fn focus_extent(geometries: &[Option<geo::Geometry<f64>>]) -> Option<geo::Rect<f64>> {
    use geo::{Area, BoundingRect};
    let sized: Vec<(f64, geo::Rect<f64>)> = geometries
        .iter()
        .flatten()
        .filter_map(|g| Some((g.unsigned_area(), g.bounding_rect()?)))
        .collect();
    crate::html::maps::framing(&sized, &[]).map(|(_, focus)| focus)
}

/// `run.json`'s `outputs`: per layer, its formats, files and why.
fn outputs_json(chosen: &[LayerFormats], lang: careblock_text::Lang) -> serde_json::Value {
    chosen
        .iter()
        .map(|c| {
            serde_json::json!({
                "layer": c.layer,
                "formats": c.formats.iter().map(|f| f.name()).collect::<Vec<_>>(),
                "files": c.files(),
                "reason": lang.render(&c.reason),
            })
        })
        .collect()
}

/// A layer to write: its ids and geometries borrowed from the inputs where they are written as
/// they are (a level's), owned where they were built for the output (the siting's layers, a
/// reprojected copy).
pub(crate) struct OutLayer<'a> {
    pub(crate) name: String,
    ids: Cow<'a, [String]>,
    geometries: Cow<'a, [Option<Geometry<f64>>]>,
    pub(crate) attributes: DataFrame,
    crs: Crs,
}

impl OutLayer<'_> {
    fn view(&self) -> LayerView<'_> {
        LayerView {
            name: &self.name,
            ids: &self.ids,
            geometries: &self.geometries,
            attributes: &self.attributes,
            crs: self.crs,
        }
    }
}

impl From<Layer> for OutLayer<'_> {
    fn from(l: Layer) -> Self {
        OutLayer {
            name: l.name,
            ids: Cow::Owned(l.ids),
            geometries: Cow::Owned(l.geometries),
            attributes: l.attributes,
            crs: l.crs,
        }
    }
}

/// One level as an output layer: the input's ids and `geometries` (the layer's, or the same
/// features' in another CRS), with the level's table.
fn level_layer<'a>(
    stem: &str,
    layer: &'a Layer,
    geometries: (&'a [Option<Geometry<f64>>], Crs),
    df: DataFrame,
) -> OutLayer<'a> {
    OutLayer {
        name: stem.to_string(),
        ids: Cow::Borrowed(&layer.ids),
        geometries: Cow::Borrowed(geometries.0),
        attributes: df,
        crs: geometries.1,
    }
}

/// The formats whose files hold lon/lat (EPSG:4326) geometries, whatever the working CRS.
fn lonlat_format(f: Format) -> bool {
    matches!(f, Format::GeoJson | Format::FlatGeobuf | Format::GeoParquet)
}

/// Writes one layer in one file format (its GeoPackage table is written with the others).
fn write_layer(dir: &Path, out: LayerView<'_>, f: Format) -> Result<(), IoError> {
    let Some(file) = f.file(out.name) else {
        return Ok(());
    };
    let path = dir.join(file);
    match f {
        Format::GeoJson => write_geojson(&path, out),
        Format::Csv => write_csv(&path, &mut out.attributes.clone()),
        Format::FlatGeobuf => write_flatgeobuf(&path, out, "id"),
        Format::GeoParquet => write_geoparquet(&path, out, "id"),
        Format::Gpkg => Ok(()),
    }
}

/// The QGIS style of each output layer (`<name>.qml`, and the default style in the
/// GeoPackage), its legend and the aliases of its fields in `lang`.
fn styles(layers: &[OutLayer<'_>], run: &Run, lang: Lang) -> Result<Vec<String>, IoError> {
    let r = &run.assessment;
    let names = field_names(run, lang);
    let fields = |l: &OutLayer<'_>, classes: usize| {
        let columns: Vec<&str> = l
            .attributes
            .get_column_names()
            .into_iter()
            .map(|c| c.as_str())
            .collect();
        qml::fields(
            &l.name,
            &columns,
            lang,
            &qml::FieldNames {
                classes,
                ..names.clone()
            },
        )
    };
    let level_style = |l: &OutLayer<'_>, level: &Level| {
        let f = fields(l, level.scores.bins.len());
        qml::index_classes("index", &level.scores.index, &level.scores.bins, lang, &f)
    };
    let unit_classes = r.units.scores.bins.len();
    layers
        .iter()
        .map(|l| {
            Ok(match l.name.as_str() {
                "units" => level_style(l, &r.units),
                "districts" => level_style(
                    l,
                    r.districts
                        .as_ref()
                        .ok_or_else(|| IoError::format("districts", "a districts layer without districts"))?,
                ),
                "sites" => qml::sites(
                    run.plan
                        .iter()
                        .flat_map(|p| &p.sites)
                        .filter(|s| s.status == SiteStatus::Proposed)
                        .filter_map(|s| s.rank)
                        .max()
                        .and_then(|m| u32::try_from(m).ok()),
                    lang,
                    &fields(l, unit_classes),
                ),
                "catchments" => qml::catchments(lang, &fields(l, unit_classes)),
                "uncovered" => qml::uncovered(lang, &fields(l, unit_classes)),
                other => return Err(IoError::format(other, "no QGIS style for this output layer")),
            })
        })
        .collect()
}

/// What the method names, for the aliases of its columns: indicators' and dimensions' labels in
/// `lang` (read from the method, so that `--lang` changes them too; the name without a label),
/// the coarse rates and the siting's groups.
fn field_names(run: &Run, lang: Lang) -> qml::FieldNames {
    let spec = &run.method.spec;
    let indicators = spec
        .indicators
        .iter()
        .map(|i| {
            let name = i.name.get_ref().clone();
            let label = i
                .label
                .as_ref()
                .map_or_else(|| name.clone(), |l| l.get(lang).to_string());
            (name, label)
        })
        .collect();
    let dimensions = run
        .assessment
        .dimensions
        .iter()
        .map(|(name, _, _)| {
            let label = spec
                .dimensions
                .get(name)
                .and_then(|d| d.label.as_ref())
                .map_or_else(|| name.clone(), |l| l.get(lang).to_string());
            (name.clone(), label)
        })
        .collect();
    let coarse_rates = spec
        .coarse_rates
        .iter()
        .map(|r| (r.name.get_ref().clone(), r.layer.get_ref().clone()))
        .collect();
    qml::FieldNames {
        indicators,
        dimensions,
        coarse_rates,
        groups: run.plan.as_ref().map(|p| p.groups.clone()).unwrap_or_default(),
        classes: 0,
    }
}

/// `careblock.gpkg`: the layers asked for there (in the working CRS), each with its style as
/// the default; no file when none is.
fn write_gpkg_file(
    dir: &Path,
    layers: &[OutLayer<'_>],
    styles: &[String],
    chosen: &[LayerFormats],
) -> Result<(), IoError> {
    let gpkg: Vec<GpkgLayer<'_>> = layers
        .iter()
        .zip(styles)
        .zip(chosen)
        .filter(|(_, c)| c.has(Format::Gpkg))
        .map(|((l, style), _)| GpkgLayer {
            name: &l.name,
            layer: l.view(),
            style: Some(style),
        })
        .collect();
    if !gpkg.is_empty() {
        write_gpkg(&dir.join("careblock.gpkg"), &gpkg)?;
    }
    Ok(())
}
