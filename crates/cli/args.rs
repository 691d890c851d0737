//! Command-line arguments (clap derive), parsed into plain values; validation of paths, CRSs
//! and columns happens in the commands.

use std::path::PathBuf;

use careblock_core::Crs;
use clap::{Args, Parser, Subcommand};

/// careblock: where to put care blocks.
#[derive(Debug, Parser)]
#[command(name = "careblock", version, about, long_about = None)]
pub struct Cli {
    /// Number of worker threads (default: one per core). Results do not depend on it.
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    /// Print nothing but errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compute the care prioritization index a method file declares, for units and districts,
    /// with its uncertainty analysis, and write the layers and a report.
    #[command(after_help = RUN_EXAMPLE)]
    Run(RunArgs),
    /// Areal-weighted interpolation of census counts from source polygons to target polygons.
    #[command(after_help = INTERPOLATE_EXAMPLE)]
    Interpolate(InterpolateArgs),
}

const RUN_EXAMPLE: &str = "\
Example (Bogotá: CNPV 2018 census sectors and UPZ, bundled data):
  careblock run examples/bogota.toml --out out/bogota

Writes to --out: districts.geojson and districts.csv (one row per district: raw indicators,
normalised scores, dimension scores, index, rank (1 = highest need), class (5 = highest),
each indicator's contribution, Monte Carlo rank interval), the same for units, and
run.json (method, conservation of every count summed to districts, notes on what was
excluded or estimated). Paths in the method file are relative to the method file.";

/// Arguments of `careblock run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The method file (TOML).
    pub method: PathBuf,
    /// Output directory (created if needed).
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Repair invalid polygons with make-valid instead of refusing them.
    #[arg(long)]
    pub fix_invalid: bool,
}

const INTERPOLATE_EXAMPLE: &str = "\
Example (Bogotá census sectors to UPZ, in MAGNA-SIRGAS / Origen-Nacional):
  careblock interpolate \\
    --source data/bogota/sectores_censales.shp --source-id SETU_CCNCT \\
    --source-table data/bogota/sociodemograficas_sector_censal.csv --table-key SETU_CCNCT \\
    --target data/bogota/upz.geojson --target-id UPlCodigo \\
    --extensive STP27_PERS,STP32_1_SE,STP32_2_SE,STVIVIENDA --intensive IPM_PROMEDIO \\
    --crs 9377 --out out/upz.geojson

Counts (--extensive) are split by the share of each source's area inside each target
(tobler's area_interpolate; --no-allocate-total keeps the share outside every target
unallocated). Rates (--intensive) become area-weighted means. The conservation report says,
per variable, source total = allocated + unallocated, and lists sources outside every target
and overlapping targets.";

/// Arguments of `careblock interpolate`.
#[derive(Debug, Args)]
pub struct InterpolateArgs {
    /// Source polygons holding the counts (GeoJSON, Shapefile; any OGR format with --features gdal).
    #[arg(long)]
    pub source: PathBuf,
    /// Field holding the source ids (default: the GeoJSON `id` member or the feature index).
    #[arg(long)]
    pub source_id: Option<String>,
    /// A CSV or Parquet table joined to the sources before interpolating.
    #[arg(long, requires = "table_key")]
    pub source_table: Option<PathBuf>,
    /// Key column of --source-table; matched against --source-id (or the source ids).
    #[arg(long, requires = "source_table")]
    pub table_key: Option<String>,
    /// Target polygons (e.g. districts).
    #[arg(long)]
    pub target: PathBuf,
    /// Field holding the target ids (default: the GeoJSON `id` member or the feature index).
    #[arg(long)]
    pub target_id: Option<String>,
    /// Count columns to allocate, comma-separated.
    #[arg(long, value_delimiter = ',', required = true)]
    pub extensive: Vec<String>,
    /// Rate or mean columns to area-weight, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub intensive: Vec<String>,
    /// Projected CRS to measure areas in (`9377` or `EPSG:9377`); default: the UTM zone of the
    /// study area.
    #[arg(long, value_parser = parse_crs)]
    pub crs: Option<Crs>,
    /// Keep the share of a source outside every target unallocated (tobler's
    /// allocate_total=False) instead of handing it to the targets the source touches.
    #[arg(long)]
    pub no_allocate_total: bool,
    /// Repair invalid polygons (close open rings, rebuild self-intersecting ones with
    /// make-valid) instead of refusing them; the repaired ids are printed.
    #[arg(long)]
    pub fix_invalid: bool,
    /// Output: `.geojson` (targets with their geometry, RFC 7946) or `.csv` (target id and one
    /// column per variable).
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the full conservation report as JSON.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

fn parse_crs(s: &str) -> Result<Crs, String> {
    Crs::parse(s).map_err(|e| e.to_string())
}
