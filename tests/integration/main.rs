//! careblock's integration tests, as users run careblock: the `careblock` binary on the bundled
//! data and on small cases written by the tests, and the libraries on whole layers. One test
//! binary (one link) with a module per theme; the helpers they share are in `tests/common`.

#[path = "../common/mod.rs"]
mod common;

mod bad_inputs;
mod bogota_interpolate;
mod capacity;
mod cli_commands;
mod compare;
mod cost_table;
mod costs_targets;
mod equity;
mod equity_combos;
mod flatgeobuf;
mod geoparquet;
mod index_presets;
mod interpolate_formats;
mod lang;
mod many_vertices;
mod method_errors;
mod network;
mod phases_target;
mod qgis_outputs;
mod qgis_project;
mod real_points;
mod regions;
mod release_inputs;
mod repair;
mod report_html;
mod robust;
mod siting;
mod spanish_cli;
mod sweep;
mod tobler_parity;
