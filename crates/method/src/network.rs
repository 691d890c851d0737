//! `[network]`: the street layer to walk on, and how distances are measured (`distance`).

use crate::inputs::CrsSpec;
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// How distances between units and sites or facilities are measured.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum DistanceRule {
    /// Straight line (the default).
    #[default]
    Euclidean,
    /// Walking along the `[network]` streets (with the off-network walks at both ends).
    Network,
}

/// `[network]`: a street-centreline layer to walk on.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// The line layer (LineString / MultiLineString), relative to the method file.
    pub path: Spanned<String>,
    /// The segment id field.
    pub id: Option<String>,
    /// CRS to assume when the file declares none.
    pub crs: Option<CrsSpec>,
    /// The geometry column of a Parquet file, when it is not the GeoParquet primary column or
    /// the file has no `geo` metadata (its values are then read as WKB).
    pub geometry: Option<String>,
    /// Street ends closer than this many metres are joined (default 2).
    pub snap_tolerance: Option<Spanned<f64>>,
    /// Walking speed in km/h (default 4.8, 80 m per minute), for `minutes`.
    pub walking_speed: Option<Spanned<f64>>,
    /// When given, the siting radius is this many minutes of walking at `walking_speed`
    /// (then `siting.radius` must not be given).
    pub minutes: Option<Spanned<f64>>,
    /// A polygon layer of areas the network does not cover (relative to the method file):
    /// points inside fall back to straight-line distance, and are listed in the notes.
    pub gap: Option<Spanned<String>>,
    /// The id field of `gap`.
    pub gap_id: Option<String>,
    /// Points farther than this many metres from the network fall back to straight-line
    /// distance (default: the cut-off radius of the search).
    pub max_snap: Option<Spanned<f64>>,
    /// Reached streets are buffered by this many metres to draw a catchment (default 50).
    pub buffer: Option<Spanned<f64>>,
}

impl NetworkSpec {
    /// The snap tolerance, metres.
    pub fn snap_tolerance(&self) -> f64 {
        self.snap_tolerance.as_ref().map_or(2.0, |v| *v.get_ref())
    }
    /// The walking speed, km/h.
    pub fn walking_speed(&self) -> f64 {
        self.walking_speed
            .as_ref()
            .map_or(careblock_core::network::DEFAULT_WALKING_SPEED, |v| *v.get_ref())
    }
    /// The catchment buffer, metres.
    pub fn buffer(&self) -> f64 {
        self.buffer.as_ref().map_or(50.0, |v| *v.get_ref())
    }
    /// The options [`NetworkCost::new`](careblock_core::network::NetworkCost::new) builds the walk with.
    pub fn walk_options(&self) -> careblock_core::network::WalkOptions {
        careblock_core::network::WalkOptions {
            snap_tolerance: self.snap_tolerance(),
            max_snap: self.max_snap.as_ref().map(|v| *v.get_ref()),
            buffer: self.buffer(),
        }
    }
    /// The maximum snap distance for a search with cut-off `radius`.
    pub fn max_snap(&self, radius: f64) -> f64 {
        self.max_snap.as_ref().map_or(radius, |v| *v.get_ref())
    }
}
