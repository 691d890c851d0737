//! The folder `careblock run` writes: each level as GeoJSON and CSV, the site layers and
//! tables, a `.qml` style beside every layer, `careblock.gpkg` with every layer and its style,
//! `report.html`, and `run.json`. Everything is computed before the first file is written, and
//! each file is written atomically.

use std::path::Path;

use careblock_core::Layer;
use careblock_core::polars::prelude::DataFrame;
use careblock_index::{Assessment, Level};
use careblock_io::{GpkgLayer, InputFile, IoError, write_csv, write_geojson, write_gpkg, write_text};
use careblock_pipeline::Run;
use careblock_pipeline::results::run_report;
use careblock_siting::plan::{Plan, SiteStatus};

use crate::{page, qml, sites};

/// Writes every output of `run` into `dir` (created if missing); `input_files` are the method's
/// inputs with their checksums, for `run.json`.
pub fn write_outputs(run: &Run, dir: &Path, input_files: &[InputFile]) -> Result<(), IoError> {
    let (units_df, districts_df) = run.level_tables()?;
    let inputs = &run.inputs;
    std::fs::create_dir_all(dir).map_err(|e| IoError::io(dir.display().to_string(), e))?;
    let mut layers = vec![level_layer("units", &inputs.units, units_df)];
    if let (Some(df), Some(layer)) = (districts_df, &inputs.districts) {
        layers.push(level_layer("districts", layer, df));
    }
    let levels = layers.len();
    let site_tables = match &run.plan {
        None => None,
        Some(p) => {
            let (site_layers, tables) = sites::outputs(p, &inputs.units, inputs.crs, p.bus_radius)?;
            layers.extend(site_layers);
            Some(tables)
        }
    };
    let styles = styles(&layers, &run.assessment, run.plan.as_ref())?;
    // The GeoPackage (SQLite, one thread) is built while the other files are written, and
    // the report (its maps simplify every polygon) beside the layers.
    let (gpkg, (files, report)) = rayon::join(
        || write_gpkg_file(dir, &layers, &styles),
        || {
            rayon::join(
                || -> Result<(), IoError> {
                    for l in &layers[..levels] {
                        write_level(dir, l)?;
                    }
                    if let Some(t) = &site_tables {
                        sites::write(dir, &layers[levels..], t)?;
                    }
                    for (l, style) in layers.iter().zip(&styles) {
                        write_text(&dir.join(format!("{}.qml", l.name)), style)?;
                    }
                    Ok(())
                },
                || page::write(dir, &run.method, &run.assessment, inputs, run.plan.as_ref()),
            )
        },
    );
    files.and(report).and(gpkg)?;
    let report = run_report(
        &run.method,
        &run.assessment,
        &inputs.notes,
        inputs.crs.to_string(),
        input_files,
        run.plan.as_ref().map(|p| (p, &inputs.units)),
    );
    let text =
        serde_json::to_string_pretty(&report).map_err(|e| IoError::format("run.json", e.to_string()))?;
    write_text(&dir.join("run.json"), &text)
}

/// One level as an output layer (in the working CRS): the input's ids and geometries with the
/// level's table.
fn level_layer(stem: &str, layer: &Layer, df: DataFrame) -> Layer {
    Layer {
        name: stem.to_string(),
        ids: layer.ids.clone(),
        geometries: layer.geometries.clone(),
        attributes: df,
        crs: layer.crs,
    }
}

/// Writes a level as CSV and GeoJSON.
fn write_level(dir: &Path, out: &Layer) -> Result<(), IoError> {
    write_csv(
        &dir.join(format!("{}.csv", out.name)),
        &mut out.attributes.clone(),
    )?;
    write_geojson(&dir.join(format!("{}.geojson", out.name)), out)?;
    Ok(())
}

/// The QGIS style of each output layer (`<name>.qml`, and the default style in the
/// GeoPackage).
fn styles(layers: &[Layer], r: &Assessment, siting: Option<&Plan>) -> Result<Vec<String>, IoError> {
    let level_style = |level: &Level| qml::index_classes("index", &level.scores.index, &level.scores.bins);
    layers
        .iter()
        .map(|l| {
            Ok(match l.name.as_str() {
                "units" => level_style(&r.units),
                "districts" => level_style(
                    r.districts
                        .as_ref()
                        .ok_or_else(|| IoError::format("districts", "a districts layer without districts"))?,
                ),
                "sites" => qml::sites(
                    siting
                        .into_iter()
                        .flat_map(|p| &p.sites)
                        .filter(|s| s.status == SiteStatus::Proposed)
                        .filter_map(|s| s.rank)
                        .max()
                        .and_then(|m| u32::try_from(m).ok()),
                ),
                "catchments" => qml::catchments(),
                "uncovered" => qml::uncovered(),
                other => return Err(IoError::format(other, "no QGIS style for this output layer")),
            })
        })
        .collect()
}

/// `careblock.gpkg`: every layer (in the working CRS) with its style as the default.
fn write_gpkg_file(dir: &Path, layers: &[Layer], styles: &[String]) -> Result<(), IoError> {
    let gpkg: Vec<GpkgLayer<'_>> = layers
        .iter()
        .zip(styles)
        .map(|(l, style)| GpkgLayer {
            name: &l.name,
            layer: l,
            style: Some(style),
        })
        .collect();
    write_gpkg(&dir.join("careblock.gpkg"), &gpkg)?;
    Ok(())
}
