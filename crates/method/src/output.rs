//! `[output]`: the file formats `careblock run` writes each layer in.
//!
//! ```toml
//! [output]
//! formats = "auto"      # or a list for every layer, e.g. ["geojson", "csv", "gpkg"]
//! large = 100000        # "auto": above this many units, units and uncovered change format
//! [output.layers]
//! units = ["flatgeobuf", "geoparquet", "csv"]   # one layer's own list
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// A file format of an output layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// `<layer>.geojson` (RFC 7946, lon/lat).
    GeoJson,
    /// `<layer>.csv`: the attribute table, without geometry.
    Csv,
    /// A table of `careblock.gpkg` (with its style as the default).
    Gpkg,
    /// `<layer>.fgb` with its packed R-tree.
    FlatGeobuf,
    /// `<layer>.parquet`: GeoParquet 1.1.
    GeoParquet,
}

impl Format {
    /// Every format, in the order of [`Format::name`].
    pub const ALL: [Format; 5] = [
        Format::GeoJson,
        Format::Csv,
        Format::Gpkg,
        Format::FlatGeobuf,
        Format::GeoParquet,
    ];

    /// The name a method or `--format` gives.
    pub fn name(self) -> &'static str {
        match self {
            Format::GeoJson => "geojson",
            Format::Csv => "csv",
            Format::Gpkg => "gpkg",
            Format::FlatGeobuf => "flatgeobuf",
            Format::GeoParquet => "geoparquet",
        }
    }

    /// The format a name (or its short form: `fgb`, `parquet`, `geopackage`) stands for; the
    /// error lists the valid names.
    pub fn parse(name: &str) -> Result<Format, String> {
        let n = name.trim().to_ascii_lowercase();
        let f = match n.as_str() {
            "geojson" | "json" => Format::GeoJson,
            "csv" => Format::Csv,
            "gpkg" | "geopackage" => Format::Gpkg,
            "flatgeobuf" | "fgb" => Format::FlatGeobuf,
            "geoparquet" | "parquet" => Format::GeoParquet,
            _ => {
                return Err(format!(
                    "unknown output format {name:?}; valid: {} (or \"auto\")",
                    Format::ALL.map(Format::name).join(", ")
                ));
            }
        };
        Ok(f)
    }

    /// The file a layer is written to in this format (`None` for the GeoPackage's table).
    pub fn file(self, layer: &str) -> Option<String> {
        match self {
            Format::GeoJson => Some(format!("{layer}.geojson")),
            Format::Csv => Some(format!("{layer}.csv")),
            Format::Gpkg => None,
            Format::FlatGeobuf => Some(format!("{layer}.fgb")),
            Format::GeoParquet => Some(format!("{layer}.parquet")),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The layers `careblock run` writes, in order.
pub const LAYERS: [&str; 5] = ["units", "districts", "sites", "catchments", "uncovered"];

/// The layers at the units' scale: the ones "auto" moves to FlatGeobuf and GeoParquet above
/// [`OutputSpec::large`] units.
pub const UNIT_SCALE: [&str; 2] = ["units", "uncovered"];

/// The layers "auto" also writes as a CSV table.
pub const TABLES: [&str; 3] = ["units", "districts", "sites"];

/// The default of [`OutputSpec::large`].
pub const LARGE: usize = 100_000;

/// `formats = "auto"` or a list of format names.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum FormatsSpec {
    /// `"auto"` (the only string allowed).
    One(String),
    /// Format names.
    List(Vec<String>),
}

/// `[output]`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSpec {
    /// Formats of every layer (default `"auto"`).
    pub formats: Option<Spanned<FormatsSpec>>,
    /// Above this many units "auto" writes the unit-level layers (units, uncovered) as
    /// FlatGeobuf and GeoParquet instead of GeoJSON and the GeoPackage (default 100,000).
    pub large: Option<Spanned<usize>>,
    /// Formats of single layers, overriding `formats`.
    #[serde(default)]
    pub layers: BTreeMap<String, Spanned<Vec<String>>>,
}

/// Formats asked for: automatic, or a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Formats {
    /// Chosen by the number of units (see [`Formats::auto`]).
    Auto,
    /// These.
    List(Vec<Format>),
}

impl Formats {
    /// Parses `"auto"` or a comma-separated list (`--format geojson,csv`).
    pub fn parse_list(text: &str) -> Result<Formats, String> {
        if text.trim().eq_ignore_ascii_case("auto") {
            return Ok(Formats::Auto);
        }
        let list = text
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(Format::parse)
            .collect::<Result<Vec<_>, _>>()?;
        if list.is_empty() {
            return Err("no output format given".into());
        }
        Ok(Formats::List(dedup(list)))
    }

    /// What "auto" writes for `layer` with `units` units: GeoJSON and the GeoPackage, with a
    /// CSV for the layers that have a table (units, districts, sites); above `large` units,
    /// the unit-level layers (units, uncovered) as FlatGeobuf and GeoParquet only (the
    /// GeoParquet holds the units' table, and `explain` reads it when there is no CSV).
    pub fn auto(layer: &str, units: usize, large: usize) -> Vec<Format> {
        let big = units > large && UNIT_SCALE.contains(&layer);
        let mut v = if big {
            vec![Format::FlatGeobuf, Format::GeoParquet]
        } else {
            vec![Format::GeoJson]
        };
        if !big {
            if TABLES.contains(&layer) {
                v.push(Format::Csv);
            }
            v.push(Format::Gpkg);
        }
        v
    }
}

/// Keeps the first of each format.
fn dedup(list: Vec<Format>) -> Vec<Format> {
    let mut out: Vec<Format> = Vec::with_capacity(list.len());
    for f in list {
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out
}

impl OutputSpec {
    /// The threshold of "auto".
    pub fn large(&self) -> usize {
        self.large.as_ref().map_or(LARGE, |v| *v.get_ref())
    }

    /// The formats of every layer, as the method gives them.
    pub fn formats(&self) -> Result<Formats, String> {
        match self.formats.as_ref().map(Spanned::get_ref) {
            None => Ok(Formats::Auto),
            Some(FormatsSpec::One(s)) => Formats::parse_list(s).and_then(|f| match f {
                Formats::Auto => Ok(Formats::Auto),
                Formats::List(_) => Err(format!(
                    "{s:?}: give \"auto\" or a list such as [\"geojson\", \"csv\"]"
                )),
            }),
            Some(FormatsSpec::List(l)) => {
                let list = l
                    .iter()
                    .map(|s| Format::parse(s))
                    .collect::<Result<Vec<_>, _>>()?;
                if list.is_empty() {
                    return Err("the list is empty: give at least one format, or \"auto\"".into());
                }
                Ok(Formats::List(dedup(list)))
            }
        }
    }

    /// The formats the method gives one layer, if it gives any.
    pub fn layer(&self, layer: &str) -> Result<Option<Vec<Format>>, String> {
        match self.layers.get(layer) {
            None => Ok(None),
            Some(l) => {
                let list = l
                    .get_ref()
                    .iter()
                    .map(|s| Format::parse(s))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Some(dedup(list)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_short_forms_and_lists() {
        assert_eq!(Format::parse("FGB"), Ok(Format::FlatGeobuf));
        assert_eq!(Format::parse("parquet"), Ok(Format::GeoParquet));
        let e = Format::parse("shp").unwrap_err();
        assert!(
            e.contains("\"shp\"") && e.contains("geojson, csv, gpkg, flatgeobuf, geoparquet"),
            "{e}"
        );
        assert_eq!(
            Formats::parse_list("geojson, csv,geojson"),
            Ok(Formats::List(vec![Format::GeoJson, Format::Csv]))
        );
        assert_eq!(Formats::parse_list("AUTO"), Ok(Formats::Auto));
        assert!(Formats::parse_list(",").is_err());
    }

    #[test]
    fn auto_moves_only_the_unit_level_layers_of_a_large_run() {
        assert_eq!(
            Formats::auto("units", 10, LARGE),
            [Format::GeoJson, Format::Csv, Format::Gpkg]
        );
        assert_eq!(
            Formats::auto("units", LARGE + 1, LARGE),
            [Format::FlatGeobuf, Format::GeoParquet]
        );
        assert_eq!(
            Formats::auto("sites", LARGE + 1, LARGE),
            [Format::GeoJson, Format::Csv, Format::Gpkg]
        );
        assert_eq!(
            Formats::auto("uncovered", 10, LARGE),
            [Format::GeoJson, Format::Gpkg]
        );
        assert_eq!(
            Formats::auto("uncovered", LARGE + 1, LARGE),
            [Format::FlatGeobuf, Format::GeoParquet]
        );
    }
}
