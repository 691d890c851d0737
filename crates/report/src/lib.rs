//! # careblock-report
//!
//! What `careblock run` writes, built from a [`careblock_pipeline::Run`]: the site layers
//! ([`sites`]), the QGIS style of every layer ([`qml`]) and the QGIS project ([`qgs`]), `report.html` ([`html`] renders the
//! page [`page`] fills), and the folder of outputs itself ([`write_outputs`]: GeoJSON, CSV,
//! `.qml`, the GeoPackage, the report and `run.json`); [`compare`], what changed between
//! two such folders; and [`sweep`], the page `careblock sweep` writes beside `sweep.csv`.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![allow(
    clippy::result_large_err,
    reason = "errors carry the file, feature id, field and value they concern; they are built once per failed run, never in a hot loop"
)]

pub mod compare;
pub mod formats;
pub mod html;
mod outputs;
pub mod page;
pub mod qgs;
pub mod qml;
pub mod sites;
pub mod sweep;

pub use formats::{FormatRequest, LayerFormats};
pub use html::{HtmlReport, render_report};
pub use outputs::{release_for_writing, write_outputs};
