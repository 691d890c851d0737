//! `careblock interpolate`: read → validate (repair on request) → project → interpolate →
//! write, with the conservation report.

use std::path::Path;

use anyhow::{Context, Result, bail};
use careblock_core::findings::interpolation_findings;
use careblock_core::join::{InterpolateOptions, area_interpolate};
use careblock_core::polars::prelude::{Column, DataFrame};
use careblock_core::project::{check_axis_order, project_into, working_crs};
use careblock_core::validate::{IssueKind, repair, validate};
use careblock_core::{Crs, Layer};
use careblock_io::{
    GpkgLayer, ReadOptions, join_table, read_layer, read_table_with_key, write_csv, write_flatgeobuf,
    write_geojson, write_geoparquet, write_gpkg,
};
use careblock_method::output::Format;

use crate::args::InterpolateArgs;
use crate::report;

/// How to read one of the two layers: its path and the flags that go with it.
struct Input<'a> {
    path: &'a Path,
    id: &'a Option<String>,
    crs: Option<Crs>,
    geometry: &'a Option<String>,
}

fn load(input: Input<'_>, fix: bool, quiet: bool) -> Result<Layer> {
    let path = input.path;
    let opts = ReadOptions {
        id_field: input.id.clone(),
        crs: input.crs,
        close_rings: fix,
        geometry_column: input.geometry.clone(),
    };
    let (layer, read_report) = read_layer(path, &opts)?;
    let file = path.display().to_string();
    report::note_ids(
        quiet,
        &file,
        "closed the open rings of these features",
        &read_report.closed_rings,
    );
    if read_report.spherical_edges && !quiet {
        eprintln!(
            "{}",
            careblock_text::msg!("data.spherical_edges", layer = &layer.name)
        );
    }
    check_geometries(layer, fix, quiet)
}

/// Reports null/empty geometries, refuses (or, with --fix-invalid, repairs) invalid ones.
fn check_geometries(layer: Layer, fix: bool, quiet: bool) -> Result<Layer> {
    let v = validate(&layer);
    let empty: Vec<String> = v
        .issues
        .iter()
        .filter(|i| matches!(i.kind, IssueKind::Null | IssueKind::Empty))
        .map(|i| i.id.clone())
        .collect();
    report::note_ids(
        quiet,
        &layer.name,
        "warning: features without geometry, kept with area 0",
        &empty,
    );
    if v.blocking().next().is_none() {
        return Ok(layer);
    }
    if !fix {
        let first = v.blocking().next().expect("checked above");
        bail!(
            "{}: {} invalid geometr{} (feature {:?}: {}); rerun with --fix-invalid to repair them",
            layer.name,
            v.blocking().count(),
            if v.blocking().count() == 1 { "y" } else { "ies" },
            first.id,
            first.problem
        );
    }
    let (fixed, rep) = repair(&layer);
    if let Some(bad) = rep.unrepairable.first() {
        bail!(
            "{}: feature {:?} cannot be repaired: {}",
            layer.name,
            bad.id,
            bad.problem
        );
    }
    let ids: Vec<String> = rep.repaired.iter().map(|i| i.id.clone()).collect();
    report::note_ids(
        quiet,
        &layer.name,
        "repaired the invalid polygons of these features",
        &ids,
    );
    Ok(fixed)
}

/// The format `--out` is written in: `--format`'s, else its extension's; the two must agree
/// when both are given. The GeoPackage holds one table, in the working CRS; every other format
/// with geometries is lon/lat.
fn output_format(a: &InterpolateArgs) -> Result<Format> {
    let ext = a
        .out
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let by_extension = match ext.as_deref() {
        Some("geojson" | "json") => Some(Format::GeoJson),
        Some("parquet" | "geoparquet") => Some(Format::GeoParquet),
        Some("fgb") => Some(Format::FlatGeobuf),
        Some("csv") => Some(Format::Csv),
        Some("gpkg") => Some(Format::Gpkg),
        _ => None,
    };
    let asked = a
        .format
        .as_deref()
        .map(|f| {
            Format::parse(f).map_err(|_| {
                anyhow::anyhow!(
                    "--format {f}: unknown output format; valid: {}",
                    Format::ALL.map(Format::name).join(", ")
                )
            })
        })
        .transpose()?;
    match (asked, by_extension) {
        (Some(f), Some(e)) if f != e => bail!(
            "{}: --format {} but the file name ends in .{}; name the file .{} or leave --format out",
            a.out.display(),
            f.name(),
            ext.unwrap_or_default(),
            extension(f)
        ),
        (Some(f), _) | (None, Some(f)) => Ok(f),
        (None, None) => bail!(
            "{}: the output must end in .geojson, .parquet (GeoParquet), .fgb (FlatGeobuf), .gpkg (GeoPackage) or .csv, or --format must name one of them",
            a.out.display()
        ),
    }
}

/// The usual file extension of `f`.
fn extension(f: Format) -> &'static str {
    match f {
        Format::GeoJson => "geojson",
        Format::Csv => "csv",
        Format::Gpkg => "gpkg",
        Format::FlatGeobuf => "fgb",
        Format::GeoParquet => "parquet",
    }
}

/// The GeoPackage table of `out`: its file stem with every character but ASCII letters, digits
/// and `_` replaced by `_` (and `t_` before a leading digit), as GeoPackage table names must be.
fn table_name(out: &Path) -> String {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let lower = name.to_ascii_lowercase();
    if name.is_empty()
        || name.starts_with(|c: char| c.is_ascii_digit())
        || ["gpkg_", "rtree_", "sqlite_"]
            .iter()
            .any(|p| lower.starts_with(p))
    {
        name = format!("t_{name}");
    }
    name
}

pub fn run(a: &InterpolateArgs, quiet: bool) -> Result<()> {
    let format = output_format(a)?;
    let mut source = load(
        Input {
            path: &a.source,
            id: &a.source_id,
            crs: a.source_crs,
            geometry: &a.source_geometry,
        },
        a.fix_invalid,
        quiet,
    )?;
    if let (Some(table_path), Some(key)) = (&a.source_table, &a.table_key) {
        let table = read_table_with_key(table_path, key)?;
        let layer_key = a.source_id.as_deref().unwrap_or("id");
        let (joined, rep) = join_table(source, table, &table_path.display().to_string(), layer_key, key)?;
        let file = table_path.display().to_string();
        let (features, rows) = (&rep.unmatched_features, &rep.unmatched_rows);
        report::note_ids(
            quiet,
            &file,
            "warning: source features with no row in the table, their values missing",
            features,
        );
        report::note_ids(
            quiet,
            &file,
            "warning: table keys matching no source feature",
            rows,
        );
        source = joined;
    }
    let target = load(
        Input {
            path: &a.target,
            id: &a.target_id,
            crs: a.target_crs,
            geometry: &a.target_geometry,
        },
        a.fix_invalid,
        quiet,
    )?;

    check_axis_order(&source, &target)?;
    check_axis_order(&target, &source)?;
    let crs = working_crs(a.crs, &[&source, &target])?;
    let source = project_into(source, crs)?;
    let target = project_into(target, crs)?;

    let extensive: Vec<&str> = a.extensive.iter().map(String::as_str).collect();
    let intensive: Vec<&str> = a.intensive.iter().map(String::as_str).collect();
    let options = InterpolateOptions {
        allocate_total: !a.no_allocate_total,
        // Both layers were validated (or repaired) as they were read.
        validated: true,
        ..Default::default()
    };
    let result = area_interpolate(&source, &target, &extensive, &intensive, options)?;
    // The missing values the balance counts, named.
    for f in interpolation_findings(&source, &extensive, &intensive)? {
        report::note_ids(quiet, &f.source, &format!("warning: {}", f.message), &f.ids);
    }

    let mut columns: Vec<Column> = Vec::new();
    for (name, values) in &result.extensive {
        columns.push(Column::new(name.as_str().into(), values));
    }
    for (name, values) in &result.intensive {
        columns.push(Column::new(name.as_str().into(), values));
    }
    if let Some(dir) = a.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("{}: cannot create the output directory", dir.display()))?;
    }
    if format != Format::Csv {
        let mut attributes = target.attributes.clone();
        for c in columns {
            attributes
                .with_column(c)
                .context("adding the interpolated columns to the targets")?;
        }
        let out = Layer { attributes, ..target };
        let id = a.target_id.as_deref().unwrap_or("id");
        match format {
            Format::GeoJson => write_geojson(&a.out, &out)?,
            Format::GeoParquet => write_geoparquet(&a.out, &out, id)?,
            Format::FlatGeobuf => write_flatgeobuf(&a.out, &out, id)?,
            Format::Gpkg => {
                let name = table_name(&a.out);
                write_gpkg(
                    &a.out,
                    &[GpkgLayer {
                        name: &name,
                        layer: (&out).into(),
                        style: None,
                    }],
                )?
            }
            Format::Csv => unreachable!("a table, written below"),
        }
    } else {
        let id_name = a.target_id.clone().unwrap_or_else(|| "id".to_string());
        let mut all = vec![Column::new(id_name.as_str().into(), &result.target_ids)];
        all.extend(columns);
        let mut df = DataFrame::new(result.target_ids.len(), all).context("building the output table")?;
        write_csv(&a.out, &mut df)?;
    }
    if let Some(path) = &a.report {
        report::write_json(path, &result.report, crs)?;
    }
    if !quiet {
        print!("{}", report::render(&result.report, crs, &a.out));
    }
    Ok(())
}
