//! Helpers shared by the integration tests: `mod common;` at the top of a test file.
#![allow(dead_code)] // each test binary uses a different subset

pub mod shared_data;
pub mod stress;

pub use shared_data::shared_data;
