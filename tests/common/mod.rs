//! Helpers shared by the integration tests: `mod common;` at the top of a test file.
#![allow(dead_code)] // each test binary uses a different subset

pub mod shared_data;
pub mod stress;

#[allow(unused_imports)] // not every test binary uses it
pub use shared_data::shared_data;
