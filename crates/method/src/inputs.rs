//! The input layers and tables: `[units]`, `[districts]`, `[[coarse]]` rates, `[[supply]]`
//! layers, attribute tables and CRS texts.

use std::fmt;

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// A CRS given as an EPSG number or a text such as `"EPSG:9377"`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum CrsSpec {
    /// `crs = 9377`.
    Code(u32),
    /// `crs = "EPSG:9377"`.
    Text(String),
}

impl fmt::Display for CrsSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CrsSpec::Code(c) => write!(f, "{c}"),
            CrsSpec::Text(t) => f.write_str(t),
        }
    }
}

/// An attribute table joined to a layer by a key column.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TableInput {
    /// CSV or Parquet file, relative to the method file.
    pub path: String,
    /// Key column of the table, matched to the layer's id.
    pub key: String,
}

/// A polygon layer input.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LayerInput {
    /// The layer file, relative to the method file.
    pub path: String,
    /// The id field (default: the GeoJSON `id`, else the feature index).
    pub id: Option<String>,
    /// A column with a human-readable name for each feature, carried to the outputs.
    pub label: Option<String>,
    /// CRS to assume when the file declares none.
    pub crs: Option<CrsSpec>,
    /// The geometry column of a Parquet file, when it is not the GeoParquet primary column or
    /// the file has no `geo` metadata (its values are then read as WKB).
    pub geometry: Option<String>,
    /// An attribute table joined on the id.
    pub table: Option<TableInput>,
}

/// The census units: a polygon layer plus the population column.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UnitsInput {
    /// The layer file, relative to the method file.
    pub path: String,
    /// The id field.
    pub id: Option<String>,
    /// A column with a human-readable name, carried to the outputs.
    pub label: Option<String>,
    /// CRS to assume when the file declares none.
    pub crs: Option<CrsSpec>,
    /// The geometry column of a Parquet file, when it is not the GeoParquet primary column or
    /// the file has no `geo` metadata (its values are then read as WKB).
    pub geometry: Option<String>,
    /// An attribute table joined on the id.
    pub table: Option<TableInput>,
    /// The total-population column (an expression is allowed).
    pub population: Spanned<String>,
}

impl UnitsInput {
    /// The layer part of the units input.
    pub fn layer(&self) -> LayerInput {
        LayerInput {
            path: self.path.clone(),
            id: self.id.clone(),
            label: self.label.clone(),
            crs: self.crs.clone(),
            geometry: self.geometry.clone(),
            table: self.table.clone(),
        }
    }
}

/// A coarse layer (e.g. localidades with survey rates).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CoarseInput {
    /// The name `coarse_rates` refer to.
    pub name: Spanned<String>,
    /// The layer file, relative to the method file.
    pub path: String,
    /// The id field.
    pub id: Option<String>,
    /// CRS to assume when the file declares none.
    pub crs: Option<CrsSpec>,
    /// The geometry column of a Parquet file, when it is not the GeoParquet primary column or
    /// the file has no `geo` metadata (its values are then read as WKB).
    pub geometry: Option<String>,
    /// An attribute table joined on the id.
    pub table: Option<TableInput>,
}

impl CoarseInput {
    /// The layer part of a coarse input (with its table, without a label).
    pub fn layer(&self) -> LayerInput {
        LayerInput {
            path: self.path.clone(),
            id: self.id.clone(),
            label: None,
            crs: self.crs.clone(),
            geometry: self.geometry.clone(),
            table: self.table.clone(),
        }
    }
}

/// A layer of existing care facilities (points).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SupplyInput {
    /// A short name for reports.
    pub name: String,
    /// The point layer, relative to the method file.
    pub path: String,
    /// The id field.
    pub id: Option<String>,
    /// CRS to assume when the file declares none.
    pub crs: Option<CrsSpec>,
    /// The geometry column of a Parquet file, when it is not the GeoParquet primary column or
    /// the file has no `geo` metadata (its values are then read as WKB).
    pub geometry: Option<String>,
    /// Capacity column (default: every facility has capacity 1).
    pub capacity: Option<Spanned<String>>,
}

/// An estimated count per unit from a coarse rate: `rate × scale × base`, where the unit's
/// rate is the area-weighted mean of the rates of the coarse polygons it overlaps.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CoarseRate {
    /// The new unit column.
    pub name: Spanned<String>,
    /// The `[[coarse]]` layer it comes from.
    pub layer: Spanned<String>,
    /// The rate column of the coarse layer.
    pub rate: Spanned<String>,
    /// Factor turning the rate into a fraction (`0.01` for percentages).
    #[serde(default = "one")]
    pub scale: f64,
    /// The unit count the rate applies to (an expression over unit columns).
    pub base: Spanned<String>,
}

pub(super) fn one() -> f64 {
    1.0
}
