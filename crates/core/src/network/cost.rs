//! A method's network as the index and the siting use it: built once per run
//! (`PreparedNetwork`), asked for distances within a radius and catchments, with notes on what
//! fell back to straight lines.

use crate::layer::Layer;
use careblock_text::{Msg, fixed, key, msg};
use geo::{MultiPolygon, Point};

use super::graph::{NetworkError, NetworkOptions, Snap, StreetNetwork};
use super::walk::{OffNetwork, Snapped, snap_points, within_distance};
/// A street network ready to measure walking distances for a method: the graph, the
/// coverage-gap polygons, and the maximum snap distance.
#[derive(Debug, Clone)]
pub struct NetworkCost {
    /// The graph.
    pub net: StreetNetwork,
    /// Areas the network does not cover.
    pub gap: Vec<MultiPolygon<f64>>,
    /// The gap layer's name (file), if any.
    pub gap_layer: Option<String>,
    /// The street layer's name (file).
    pub layer: String,
    /// Points farther than this from the network fall back (`None`: the search radius).
    pub max_snap: Option<f64>,
    /// Catchment buffer, metres.
    pub buffer: f64,
}

/// Walking distances from sources to targets (see [`within_distance`]), with how every point
/// met the network.
#[derive(Debug, Clone, PartialEq)]
pub struct Distances {
    /// Per source: `(target, metres)` within the radius, nearest first.
    pub rows: Vec<Vec<(u32, f64)>>,
    /// How the sources met the network.
    pub sources: Snapped,
    /// How the targets met the network.
    pub targets: Snapped,
    /// The maximum snap distance used.
    pub max_snap: f64,
}

/// What the walk needs of a method's `[network]` section (`NetworkSpec::walk_options`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WalkOptions {
    /// Street ends closer than this many metres are joined.
    pub snap_tolerance: f64,
    /// Points farther than this from the network walk in a straight line (`None`: the
    /// cut-off radius of each search).
    pub max_snap: Option<f64>,
    /// Reached streets are buffered by this many metres to draw a catchment.
    pub buffer: f64,
}

/// A method's street network built once for every step that walks on it (the index's access
/// and the siting), however many of them do: build it with [`PreparedNetwork::get_or_build`].
/// It belongs to one method's loaded inputs (the `[network]` section is the method's).
#[derive(Debug, Clone, Default)]
pub struct PreparedNetwork(std::sync::OnceLock<NetworkCost>);

impl PreparedNetwork {
    /// The network from `prepared` when the caller has one (built there once), else built
    /// into `built` for this caller alone.
    pub fn or_build<'a>(
        prepared: Option<&'a PreparedNetwork>,
        built: &'a mut Option<NetworkCost>,
        spec: &WalkOptions,
        streets: Option<&Layer>,
        gap: Option<&Layer>,
    ) -> Result<&'a NetworkCost, NetworkError> {
        match prepared {
            Some(p) => p.get_or_build(spec, streets, gap),
            None => Ok(built.insert(NetworkCost::new(spec, streets, gap)?)),
        }
    }

    /// The network, built by [`NetworkCost::new`] on the first call and kept for later ones.
    pub fn get_or_build(
        &self,
        spec: &WalkOptions,
        streets: Option<&Layer>,
        gap: Option<&Layer>,
    ) -> Result<&NetworkCost, NetworkError> {
        if let Some(c) = self.0.get() {
            return Ok(c);
        }
        let built = NetworkCost::new(spec, streets, gap)?;
        Ok(self.0.get_or_init(|| built))
    }
}

impl NetworkCost {
    /// Builds the network of a method's `[network]` section from its layers (projected).
    pub fn new(
        spec: &WalkOptions,
        streets: Option<&Layer>,
        gap: Option<&Layer>,
    ) -> Result<NetworkCost, NetworkError> {
        let streets = streets.ok_or(NetworkError::Missing)?;
        let net = StreetNetwork::from_layer(
            streets,
            &NetworkOptions {
                snap_tolerance: spec.snap_tolerance,
                ..NetworkOptions::default()
            },
        )?;
        let gap_polys = match gap {
            Some(g) => g.polygons()?,
            None => Vec::new(),
        };
        Ok(NetworkCost {
            net,
            gap: gap_polys,
            gap_layer: gap.map(|g| g.name.clone()),
            layer: streets.name.clone(),
            max_snap: spec.max_snap,
            buffer: spec.buffer,
        })
    }

    /// Walking distances within `radius` metres from every source to every target.
    pub fn within(
        &self,
        sources: &[Option<Point<f64>>],
        targets: &[Option<Point<f64>>],
        radius: f64,
    ) -> Distances {
        let max_snap = self.max_snap.unwrap_or(radius);
        let ss = snap_points(&self.net, sources, &self.gap, max_snap);
        let ts = snap_points(&self.net, targets, &self.gap, max_snap);
        let rows = within_distance(&self.net, sources, &ss, targets, &ts, radius);
        Distances {
            rows,
            sources: ss,
            targets: ts,
            max_snap,
        }
    }

    /// The catchment of a point: the streets reached within `radius` metres (off-network walk
    /// included), gaps narrower than twice the buffer filled, buffered (see
    /// [`street_catchment`]), or `None` when the point is off the network.
    pub fn catchment(&self, snap: &Result<Snap, OffNetwork>, radius: f64) -> Option<MultiPolygon<f64>> {
        let s = snap.as_ref().ok()?;
        Some(self.net.catchment(s, (radius - s.distance).max(0.0), self.buffer))
    }

    /// A plain-language note on the graph: kept and dropped components.
    pub fn graph_note(&self) -> Msg {
        let r = self.net.report();
        msg!(
            "findings.network_graph",
            layer = &self.layer,
            segments = r.segments_read,
            edges = r.kept_edges,
            nodes = r.kept_nodes,
            km = fixed(r.kept_length / 1000.0, 1),
            dropped = r.dropped_components,
            dropped_edges = r.dropped_edges,
            dropped_km = fixed(r.dropped_length / 1000.0, 1),
            joined = r.snapped_endpoints,
        )
    }

    /// A note on the points of one kind (`what`, a catalogue key) that fall back to
    /// straight-line distance (`None` when none does). `ids` names them.
    pub fn fallback_note(
        &self,
        what: &'static str,
        snapped: &Snapped,
        ids: &[String],
        max_snap: f64,
    ) -> Option<Msg> {
        let off: Vec<(usize, OffNetwork)> = snapped
            .off_network()
            .filter(|(_, r)| *r != OffNetwork::NoPoint)
            .collect();
        let first = off.first()?;
        Some(msg!(
            "findings.network_fallback",
            n = off.len(),
            of = snapped.snaps.len(),
            what = key(what),
            gap = snapped.count(OffNetwork::Gap),
            gap_layer = self
                .gap_layer
                .as_ref()
                .map(|g| format!(" ({g})"))
                .unwrap_or_default(),
            far = snapped.count(OffNetwork::TooFar),
            max_snap = max_snap,
            first = format!("{:?}", ids.get(first.0).map(String::as_str).unwrap_or("?")),
        ))
    }
}
