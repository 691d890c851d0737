//! Parallel spatial joins (rstar indexes + rayon): areal-weighted interpolation with its
//! conservation report, point-in-polygon and within-distance.

mod boxes;
mod clip;
mod edges;
mod interior;
pub mod interpolate;
pub mod overlay;
pub mod points;

pub use clip::{intersection_area, parts_area};
pub use interpolate::{
    AreaTable, Balance, ConservationReport, InterpolateOptions, Interpolated, OutsideSource, TargetOverlap,
    area_interpolate,
};
pub use overlay::PolygonIndex;
pub use points::{
    Neighbours, PointAssignment, PointIndex, Reach, centroids, locate_points, points_in_polygons,
    points_within_distance, polygons_within_distance, within_distance,
};
