//! The assessed unit values every stage of a plan reads: polygons and centroids, the siting
//! demand, population and groups.

use std::borrow::Cow;

use super::types::PlanError;
use careblock_core::join::points::centroids;
use careblock_core::layer::Layer;
use careblock_index::assess::Assessment;
use careblock_method::SitingSpec;
use geo::{MultiPolygon, Point, Polygon};

/// The units' centroids, which no setting of `[siting]` changes: computed once for many plans
/// over the same units (a sweep's scenarios) and given to each in
/// [`PlanInputs::unit_shapes`](super::PlanInputs::unit_shapes). (The polygons are read where
/// they lie in the layer.)
#[derive(Debug, Clone)]
pub struct UnitShapes {
    centroids: Vec<Option<Point<f64>>>,
}

impl UnitShapes {
    /// The shapes of `layer`'s units.
    ///
    /// # Errors
    /// [`PlanError`] when a unit is not a polygon.
    pub fn of(layer: &Layer) -> Result<UnitShapes, PlanError> {
        layer.polygon_parts()?;
        Ok(UnitShapes {
            centroids: centroids(layer),
        })
    }
}

/// The units as the siting sees them (missing values as 0).
pub(super) struct Units<'a> {
    /// Each unit's polygons, borrowed from the layer (no copy of every polygon).
    pub(super) polys: Vec<Cow<'a, [Polygon<f64>]>>,
    pub(super) centroids: Cow<'a, [Option<Point<f64>>]>,
    /// The siting demand of each unit.
    pub(super) demand: Vec<f64>,
    pub(super) total_demand: f64,
    pub(super) population: Vec<f64>,
    /// `[siting.groups]` names, in order, and their values per unit.
    pub(super) groups: Vec<String>,
    pub(super) group_values: Vec<Vec<f64>>,
    /// The `households` column when the method gives one.
    pub(super) households: Option<&'a [Option<f64>]>,
}

impl<'a> Units<'a> {
    /// Reads the units' geometry (from `shapes` when given, computed once elsewhere) and the
    /// siting columns of `assessment`; refuses a demand that is zero everywhere.
    pub(super) fn new(
        layer: &'a Layer,
        shapes: Option<&'a UnitShapes>,
        assessment: &'a Assessment,
        st: &SitingSpec,
    ) -> Result<Units<'a>, PlanError> {
        let unit_polys = layer.polygon_parts()?;
        let unit_centroids = match shapes {
            Some(s) => Cow::Borrowed(s.centroids.as_slice()),
            None => Cow::Owned(UnitShapes::of(layer)?.centroids),
        };
        let column = |name: &str| siting_column(assessment, name);
        let demand: Vec<f64> = column("demand")
            .expect("assess evaluates the siting demand")
            .iter()
            .map(|v| v.unwrap_or(0.0))
            .collect();
        let total_demand: f64 = demand.iter().sum();
        if total_demand <= 0.0 {
            return Err(PlanError::Infeasible(
                "the siting demand is zero in every unit (the default demand, need_mass, needs an index on a 0–100 scale: min-max, rank or goalposts, not Mazziotta–Pareto)".into(),
            ));
        }
        let population: Vec<f64> = assessment
            .units
            .population
            .iter()
            .map(|p| p.unwrap_or(0.0))
            .collect();
        let groups: Vec<String> = st.groups.keys().cloned().collect();
        let group_values: Vec<Vec<f64>> = groups
            .iter()
            .map(|g| {
                column(&format!("group:{g}"))
                    .expect("assess evaluates every group")
                    .iter()
                    .map(|v| v.unwrap_or(0.0))
                    .collect()
            })
            .collect();
        Ok(Units {
            polys: unit_polys,
            centroids: unit_centroids,
            demand,
            total_demand,
            population,
            groups,
            group_values,
            households: column("households"),
        })
    }

    /// The number of units.
    pub(super) fn len(&self) -> usize {
        self.polys.len()
    }

    /// The units' polygons as multipolygons (a copy); see [`multipolygons`].
    pub(super) fn multipolygons(&self) -> Vec<MultiPolygon<f64>> {
        multipolygons(&self.polys)
    }
}

/// One of the columns `assess` evaluated for the siting.
fn siting_column<'a>(assessment: &'a Assessment, name: &str) -> Option<&'a [Option<f64>]> {
    assessment
        .siting_columns
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_slice())
}

/// Polygons given where they lie as multipolygons (a copy), for the rarer steps that index
/// them: the area coverage rule and generated candidate grids.
pub(super) fn multipolygons(parts: &[Cow<'_, [Polygon<f64>]>]) -> Vec<MultiPolygon<f64>> {
    parts.iter().map(|p| MultiPolygon::new(p.to_vec())).collect()
}
