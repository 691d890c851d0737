//! Walking distance on real streets: a routable, undirected [`StreetNetwork`] built from a
//! line layer (street centrelines) in a projected CRS, snapping of points to it, and bounded
//! shortest-path searches (Dijkstra with a cut-off in metres), parallel over sources and
//! deterministic whatever the thread count.
//!
//! Building: every LineString part is a segment; its endpoints (and, optionally, interior
//! vertices that another line shares exactly) become nodes. Nodes closer than the snap
//! tolerance (default 2 m) are merged, in input order, through a grid of cells of the
//! tolerance's size: a point joins the nearest existing node within the tolerance (ties: the
//! lowest node), otherwise it starts a new node. Edge lengths are the full polyline lengths
//! in metres (the polyline's ends moved to their nodes). Only the largest connected
//! component (by total length) is kept; the others are counted in [`ComponentReport`].
//!
//! Distance from a point `s` to a point `t`: the off-network walk from `s` to its nearest
//! point on the network, plus the network distance between the two snap points (along the
//! edges, through nodes or directly along a shared edge), plus the off-network walk to `t`.

mod catchment;
mod cost;
mod graph;
#[cfg(test)]
mod tests;
mod walk;

pub use catchment::{DETOUR_SLACK_DIVISOR, FILL_FACTOR, THIN_DIVISOR, street_catchment};
pub use cost::{Distances, NetworkCost, PreparedNetwork, WalkOptions};
pub use graph::{ComponentReport, Edge, NetworkError, NetworkOptions, Snap, StreetNetwork};
pub use walk::{OffNetwork, Snapped, snap_points, within_distance};

/// Default walking speed, km/h (80 m per minute).
pub const DEFAULT_WALKING_SPEED: f64 = 4.8;

/// Metres walked in `minutes` at `speed_kmh`.
pub fn minutes_to_metres(minutes: f64, speed_kmh: f64) -> f64 {
    minutes * speed_kmh * 1000.0 / 60.0
}
