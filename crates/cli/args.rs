//! Command-line arguments (clap derive), parsed into plain values; validation of paths, CRSs
//! and columns happens in the commands.

use std::path::PathBuf;

use careblock_core::Crs;
use careblock_text::Lang;
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
    /// Read and check every input a method file names (geometries, CRS, ids, columns, missing
    /// values, population, coverage of units by districts) without computing anything.
    #[command(after_help = VALIDATE_EXAMPLE)]
    Validate(ValidateArgs),
    /// Write a commented starter method file from the columns of a unit layer (DANE CNPV 2018
    /// and INE Censo 2017 column names are recognised).
    #[command(after_help = INIT_EXAMPLE)]
    Init(InitArgs),
    /// Explain one district, unit or site of a `careblock run` output directory: its rank,
    /// every indicator's contribution, the Monte Carlo interval, or a site's coverage.
    #[command(after_help = EXPLAIN_EXAMPLE)]
    Explain(ExplainArgs),
    /// What changed between two `careblock run` output directories: ranks and classes of the
    /// districts and units, sites added, removed and kept, coverage, and the method's
    /// differences.
    #[command(after_help = COMPARE_EXAMPLE)]
    Compare(CompareArgs),
    /// Run many variants of one method (a sweep file of overrides: p, radius, weights, the
    /// equity rule on or off, ...), reading the inputs once, and write one summary table.
    #[command(after_help = SWEEP_EXAMPLE)]
    Sweep(SweepArgs),
    /// Run the method once per territory (the districts grouped by an attribute: provinces,
    /// departments, localidades), reading the inputs once; one output folder per territory.
    #[command(after_help = REGIONS_EXAMPLE)]
    Regions(RegionsArgs),
}

const REGIONS_EXAMPLE: &str = "\
Example (the Los Lagos preset by province: Llanquihue, Chiloé, Osorno, Palena):
  careblock regions examples/los_lagos.toml --by codigo_provincia --out out/provinces
  careblock run examples/los_lagos.toml --region codigo_provincia=101 --out out/llanquihue

A territory is the districts whose attribute --by has one value (compared as text), the units
the area join puts in them (each unit in the district holding the largest share of its area)
and the supply, candidates and existing blocks inside them; coarse layers and the street
network are kept whole. Each territory is a run of its own: the index is normalised within it
and the blocks are sited in it. Writes DIR/ATTRIBUTE=VALUE/ per territory (the files of
careblock run, the same bytes as `careblock run --region ATTRIBUTE=VALUE`; with
--format units=geoparquet, DIR/*/units.parquet is a hive-partitioned dataset), regions.csv
(one row per territory: districts, units, status, reason, demand covered before and after,
blocks) and regions.json (the inputs' SHA-256). A missing attribute or an unknown --only
value stops before anything is written (exit 2); a territory with no unit or that cannot be
sited is a row with its reason while the others run.";

/// Arguments of `careblock regions`.
#[derive(Debug, Args)]
pub struct RegionsArgs {
    /// The method file (TOML); it must have [districts].
    pub method: PathBuf,
    /// The districts' attribute whose values are the territories.
    #[arg(long)]
    pub by: String,
    /// Only these values, comma-separated (default: every value, sorted).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Output directory: one folder ATTRIBUTE=VALUE per territory, regions.csv, regions.json.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Repair invalid polygons (as `run --fix-invalid`).
    #[arg(long)]
    pub fix_invalid: bool,
    /// Output formats of each territory's layers (as `run --format`).
    #[arg(long = "format", value_name = "FORMATS")]
    pub format: Vec<String>,
    /// The language of the terminal lines and what each territory's run writes for people
    /// (en, es); default: the method's `lang`, else English. Error messages are in English.
    #[arg(long, value_parser = parse_lang)]
    pub lang: Option<Lang>,
}

const SWEEP_EXAMPLE: &str = "\
Example (how many blocks to fund, and with which walking radius, on the Bogotá preset):
  careblock sweep examples/bogota.toml examples/sweep_p_radius.toml --out out/sweep

A sweep file lists scenarios ([[scenario]] tables of \"key.path\" = value) and/or a [product]
of lists (every combination). Keys are the method's, dotted: siting.p, siting.radius,
dimensions.NAME.weight, indicators.NAME.weight (arrays of tables by their name), and
siting.equity = false removes the equity rule. Keys that would change which files are read
(paths, ids, CRSs, tables, filters) are refused: the inputs are read once. Writes sweep.csv
(one row per scenario: covered demand before and after, bound, gap, blocks, cost of the
equity rule), sweep_districts.csv (blocks per district), scenarios/N/sites.csv,
sweep.json and sweep.html (coverage against the number of new blocks, and the marginal value
of each extra block). An unknown key or an invalid value stops the sweep before anything is read
(exit 2); a scenario that cannot be sited is a row with its reason.";

/// Arguments of `careblock sweep`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// The method file (TOML) the scenarios vary.
    pub method: PathBuf,
    /// The sweep file (TOML): [[scenario]] tables and/or a [product] of overrides.
    pub sweep: PathBuf,
    /// Output directory.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Repair invalid polygons (as `run --fix-invalid`).
    #[arg(long)]
    pub fix_invalid: bool,
    /// The language of the terminal lines and sweep.html (en, es); default: the method's
    /// `lang`, else English. Error messages are in English.
    #[arg(long, value_parser = parse_lang)]
    pub lang: Option<Lang>,
}

const COMPARE_EXAMPLE: &str = "\
Example (the Bogotá preset, then the same with another weight or newer data):
  careblock run examples/bogota.toml --out out/bogota
  careblock run my_variant.toml --out out/variant
  careblock compare out/bogota out/variant --out out/bogota-vs-variant

Prints the summary: the method's differences (every setting of the two resolved methods, and
every input file whose SHA-256 differs), how many districts and units changed rank or class
(mean change, Spearman's rho, the largest moves), the sites kept, added and removed, and the
coverage before and after in both runs. With --out, writes districts_changes.csv and
units_changes.csv (a row per feature: rank, class and index in both runs and the change;
rank_change = second - first, negative when it rose in priority), sites_changes.csv,
method_changes.csv, compare.json (the counts) and compare.html (a map of the rank changes
with the sites added and removed, and the tables). Both folders must be runs on the same
units (and the same districts); nothing is written on error (exit code 2).";

/// Arguments of `careblock compare`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The first run's output directory.
    pub a: PathBuf,
    /// The second run's output directory.
    pub b: PathBuf,
    /// Write the tables, compare.json and compare.html into this directory (created if needed).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The language of the summary and compare.html (en, es); default: the second run's
    /// language (its run.json `lang`), else English. Error messages are in English.
    #[arg(long, value_parser = parse_lang)]
    pub lang: Option<Lang>,
}

const VALIDATE_EXAMPLE: &str = "\
Example (the Bogotá preset, bundled data):
  careblock validate examples/bogota.toml --json out/bogota-validate.json

Reads every input the method names and reports, per file: features read, CRS and whether the
coordinates are plausible, null/invalid geometries (and which --fix-invalid would repair),
duplicate ids, the columns the method uses (exist, numeric, null and masked \"*\" values),
units with zero or below-minimum population, table rows or features that did not match the
key, units outside every district, districts with no unit, overlapping districts, and the
method's own checks. Every input is checked even when another cannot be read. Errors mean
`careblock run` would fail (exit code 2); warnings mean it runs and the listed features get
the treatment described (exit code 0). The terminal shows the first 10 ids of each problem;
--json writes them all.";

/// Arguments of `careblock validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The method file (TOML).
    pub method: PathBuf,
    /// Also write the complete report (every id) as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// The language of what this command writes for people (en, es); default: the method's
    /// `lang`, else English. Error messages are in English.
    #[arg(long, value_parser = parse_lang)]
    pub lang: Option<Lang>,
}

const INIT_EXAMPLE: &str = "\
Example (the bundled Bogotá census sectors, their CNPV 2018 table and the UPZ):
  careblock init --units data/bogota/sectores_censales.shp --units-id SETU_CCNCT \\
    --table data/bogota/sociodemograficas_sector_censal.csv --key SETU_CCNCT \\
    --districts data/bogota/upz.geojson --districts-id UPlCodigo --out my_method.toml
  careblock validate my_method.toml && careblock run my_method.toml --out out/mine

Recognised schemas: DANE CNPV 2018 sector/manzana columns (STP27_PERS persons, STP32_1_SE /
STP32_2_SE men/women, STP34_1_ED..STP34_9_ED ten-year age bands, STVIVIENDA, ESTRATO_*,
IPM_PROMEDIO) and INE Censo 2017 zones as in chilemapas (pob_total, pob_0a5, pob_6a14,
pob_15a64, pob_65ymas, hombres, mujeres). The file says which columns were recognised, which
indicators are documented criteria and which are proxies, and what to edit. Paths in it are
relative to the method file. An existing file is never overwritten without --force.";

/// Arguments of `careblock init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The unit layer (census sectors, zones).
    #[arg(long)]
    pub units: PathBuf,
    /// Field holding the unit ids (default: recognised from the schema, e.g. SETU_CCNCT).
    #[arg(long)]
    pub units_id: Option<String>,
    /// A CSV or Parquet attribute table joined to the units.
    #[arg(long, requires = "key")]
    pub table: Option<PathBuf>,
    /// Key column of --table, matched to the unit ids.
    #[arg(long, requires = "table")]
    pub key: Option<String>,
    /// The district layer (UPZ, comunas, ...).
    #[arg(long, requires = "districts_id")]
    pub districts: Option<PathBuf>,
    /// Field holding the district ids.
    #[arg(long, requires = "districts")]
    pub districts_id: Option<String>,
    /// The method file to write.
    #[arg(long, default_value = "method.toml")]
    pub out: PathBuf,
    /// Overwrite --out if it exists.
    #[arg(long)]
    pub force: bool,
}

const EXPLAIN_EXAMPLE: &str = "\
Example (after `careblock run examples/bogota.toml --out out/bogota`):
  careblock explain out/bogota --district UPZ85
  careblock explain out/bogota --unit 110011000000001101
  careblock explain out/bogota --site <a site id from out/bogota/sites.csv>

For a district or unit: label, rank of N, class, index, the dimension scores, every
indicator's raw value, normalised score and contribution (sorted by contribution; they sum to
the index), the Monte Carlo median rank, 5–95 % interval and probability of the top class,
and a sentence saying why. For a site: status, rank, marginal gain (and share of the demand),
cumulative coverage, irreplaceability, demand, population and groups in its catchment, mean
index and units covered. An unknown id exits with code 2 and lists close ids.";

/// Arguments of `careblock explain`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["district", "unit", "site"])))]
pub struct ExplainArgs {
    /// The output directory of `careblock run`.
    pub dir: PathBuf,
    /// A district id (the `id` column of districts.csv).
    #[arg(long)]
    pub district: Option<String>,
    /// A unit id (the `id` column of units.csv).
    #[arg(long)]
    pub unit: Option<String>,
    /// A site id (the `id` column of sites.csv).
    #[arg(long)]
    pub site: Option<String>,
    /// Also write the explanation as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// The language of what this command writes for people (en, es); default: the run's
    /// language (its method's `lang`), else English. Error messages are in English.
    #[arg(long, value_parser = parse_lang)]
    pub lang: Option<Lang>,
}

const RUN_EXAMPLE: &str = "\
Example (Bogotá: CNPV 2018 census sectors and UPZ, bundled data):
  careblock run examples/bogota.toml --out out/bogota

Writes to --out: districts.geojson and districts.csv (one row per district: raw indicators,
normalised scores, dimension scores, index, rank (1 = highest need), class (5 = highest),
each indicator's contribution, Monte Carlo rank interval), the same for units; with
[siting] sites, catchments, uncovered (.geojson), sites.csv and assignments.csv (and
equity.csv with [siting.equity]); careblock.gpkg with every layer in the working CRS and
its QGIS style, a .qml style beside each GeoJSON; report.html (map, ranking curve,
uncertainty, conservation, notes: one self-contained page); run.json (inputs with their
SHA-256, the method as parsed, seed, conservation of every count summed to districts,
objective/bound/gap, notes on what was excluded or estimated) and timings.json.
Nothing is written until everything is computed. Exit codes: 0 success, 1 nothing can be
sited, 2 error. Paths in the method file are relative to the method file.";

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
    /// Output formats, overriding the method's [output]: a list for every layer
    /// (geojson,csv,gpkg,flatgeobuf,geoparquet or auto), or LAYER=LIST for one of units,
    /// districts, sites, catchments, uncovered; repeatable.
    #[arg(long = "format", value_name = "FORMATS")]
    pub format: Vec<String>,
    /// The language of what this command writes for people (en, es); default: the method's
    /// `lang`, else English. Error messages are in English.
    #[arg(long, value_parser = parse_lang)]
    pub lang: Option<Lang>,
    /// Run one territory only: ATTRIBUTE=VALUE of the districts (as `careblock regions`).
    #[arg(long, value_name = "ATTRIBUTE=VALUE")]
    pub region: Option<String>,
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
    /// Source polygons holding the counts (GeoJSON, Shapefile, GeoParquet; any OGR format with --features gdal).
    #[arg(long)]
    pub source: PathBuf,
    /// Field holding the source ids (default: the GeoJSON `id` member or the feature index).
    #[arg(long)]
    pub source_id: Option<String>,
    /// CRS of the source when its file declares none (a shapefile without .prj, a Parquet file
    /// without GeoParquet metadata): `4326`, `EPSG:32718`, ...
    #[arg(long, value_parser = parse_crs)]
    pub source_crs: Option<Crs>,
    /// The source's geometry column in a Parquet file: its WKB column when the file has no
    /// GeoParquet metadata, or another geometry column than the primary one.
    #[arg(long)]
    pub source_geometry: Option<String>,
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
    /// CRS of the targets when their file declares none (as --source-crs).
    #[arg(long, value_parser = parse_crs)]
    pub target_crs: Option<Crs>,
    /// The targets' geometry column in a Parquet file (as --source-geometry).
    #[arg(long)]
    pub target_geometry: Option<String>,
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
    /// Output, by its extension: `.geojson` (targets with their geometry, RFC 7946),
    /// `.parquet` (the same as GeoParquet 1.1, WKB in lon/lat), `.fgb` (the same as
    /// FlatGeobuf with its spatial index), `.gpkg` (a GeoPackage table named after the file,
    /// in the working CRS) or `.csv` (target id and one column per variable).
    #[arg(long)]
    pub out: PathBuf,
    /// The output's format, whatever its file name: geojson, geoparquet (parquet), flatgeobuf
    /// (fgb), gpkg or csv; it must agree with a known extension of --out.
    #[arg(long)]
    pub format: Option<String>,
    /// Also write the full conservation report as JSON.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

fn parse_crs(s: &str) -> Result<Crs, String> {
    Crs::parse(s).map_err(|e| e.to_string())
}

/// `--lang`: a language code careblock speaks; an unknown one is refused with the list.
fn parse_lang(code: &str) -> Result<Lang, String> {
    Lang::parse(code).map_err(|e| e.to_string())
}
