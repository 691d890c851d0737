//! # careblock-core
//!
//! The core of careblock: the [`Layer`] every reader produces, coordinate reference systems
//! and reprojection ([`crs`]), geometry validation and repair ([`validate`]), and parallel
//! spatial joins ([`join`]): areal-weighted interpolation with tobler's semantics and a
//! conservation report, point-in-polygon, and within-distance.
//!
//! This crate does no file I/O (see `careblock-io`) and knows nothing of terminals or Python.
//! Areas and distances are computed only in a projected CRS in metres: the joins refuse layers
//! in degrees.
//!
//! ```
//! use careblock_core::{Crs, Layer, join::{area_interpolate, InterpolateOptions}};
//! use geo::{Geometry, polygon};
//! use polars::prelude::*;
//!
//! let m = Crs::from_epsg(9377).unwrap();
//! let sq = |x: f64, s: f64| -> Option<Geometry> {
//!     Some(polygon![(x: x, y: 0.), (x: x + s, y: 0.), (x: x + s, y: s), (x: x, y: s)].into())
//! };
//! let districts = Layer::new("districts", vec!["A".into(), "B".into()], vec![sq(0., 10.), sq(10., 10.)],
//!     DataFrame::empty_with_height(2), m).unwrap();
//! let units = Layer::new("units", vec!["u1".into()], vec![sq(5., 10.)],
//!     DataFrame::new(1, vec![Column::new("pop".into(), [100.0])]).unwrap(), m).unwrap();
//! let r = area_interpolate(&units, &districts, &["pop"], &[], InterpolateOptions::default()).unwrap();
//! assert_eq!(r.extensive[0].1, vec![50.0, 50.0]);
//! assert!(r.report.variables[0].1.relative_error() < 1e-12);
//! ```

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![allow(
    clippy::result_large_err,
    reason = "errors carry the file, feature id, field and value they concern; they are built once per failed run, never in a hot loop"
)]

pub mod checks;
pub mod crs;
pub mod csr;
pub mod error;
pub mod findings;
pub mod join;
pub mod layer;
pub mod network;
pub mod par;
pub mod project;
mod rings;
pub mod rng;
pub mod validate;

pub use crs::{Crs, Reprojection, WGS84};
pub use error::{CrsError, Hint, JoinError, LayerError};
pub use layer::{Layer, LayerView};
pub use polars;
