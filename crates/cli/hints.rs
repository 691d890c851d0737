//! The command line's words for the libraries' hints ([`Hint`]): what to do about an error, in
//! terms of this tool's flags.

use careblock_core::{CrsError, Hint, JoinError};
use careblock_io::IoError;
use careblock_pipeline::PipelineError;

/// The hint in the command line's terms, to follow the message after "; ".
pub fn words(hint: Hint) -> &'static str {
    match hint {
        Hint::FixInvalid => "rerun with --fix-invalid to repair them",
        Hint::GiveCrs => {
            "give the layer's EPSG code (`crs = <code>` beside its path in the method file, or --source-crs/--target-crs <code> with interpolate)"
        }
        Hint::BuildWithGdal => {
            "build careblock with --features gdal to read any OGR format (.gpkg, .gdb, .kml, ...)"
        }
        Hint::NameGeometryColumn => {
            "name its WKB column with `geometry = \"<column>\"` and its CRS with `crs = <code>` beside its path in the method file (--source-geometry and --source-crs, or the --target- ones, with interpolate), or write the layer as GeoParquet (geopandas `to_parquet`, `ogr2ogr -f Parquet`)"
        }
        _ => "",
    }
}

/// The first hint any error of the chain carries.
pub fn of(err: &anyhow::Error) -> Option<Hint> {
    err.chain().find_map(|e| {
        e.downcast_ref::<PipelineError>()
            .and_then(PipelineError::hint)
            .or_else(|| e.downcast_ref::<IoError>().and_then(IoError::hint))
            .or_else(|| e.downcast_ref::<CrsError>().and_then(CrsError::hint))
            .or_else(|| e.downcast_ref::<JoinError>().and_then(JoinError::hint))
    })
}

/// `; <words>` for an error with a hint, nothing otherwise.
pub fn suffix(hint: Option<Hint>) -> String {
    match hint.map(words) {
        Some(w) if !w.is_empty() => format!("; {w}"),
        _ => String::new(),
    }
}
