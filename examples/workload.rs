//! careblock's side of the reference workload that `benches/peers/compare.py` runs against
//! geopandas + tobler and DuckDB spatial on the same synthetic city:
//! load (GeoJSON units, districts, facilities) → project (to the working CRS) → interpolate
//! (unit counts to districts, tobler semantics) → coverage (for each facility, the units whose
//! centroid lies within the radius). Prints one JSON line of stage times in seconds and writes
//! `districts.csv` and `coverage.csv` in the peers' formats.
//!
//! ```text
//! cargo run --release --example workload -- --units U.geojson --districts D.geojson \
//!   --facilities F.geojson --crs 9377 --radius 800 --extensive pop_total,men \
//!   --intensive ipm --unit-id unit_id --district-id district_id --facility-id facility_id --out OUT
//! ```

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use careblock_core::Crs;
use careblock_core::crs::{project_into, working_crs};
use careblock_core::join::{InterpolateOptions, area_interpolate, centroids, points_within_distance};
use careblock_io::{ReadOptions, read_layer};
use clap::Parser;

/// The allocator of the `careblock` binary, for a like-for-like comparison.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    units: PathBuf,
    #[arg(long)]
    districts: PathBuf,
    #[arg(long)]
    facilities: PathBuf,
    #[arg(long, value_parser = |s: &str| Crs::parse(s).map_err(|e| e.to_string()))]
    crs: Option<Crs>,
    #[arg(long, default_value_t = 800.0)]
    radius: f64,
    #[arg(long, value_delimiter = ',')]
    extensive: Vec<String>,
    #[arg(long, value_delimiter = ',')]
    intensive: Vec<String>,
    #[arg(long)]
    unit_id: Option<String>,
    #[arg(long)]
    district_id: Option<String>,
    #[arg(long)]
    facility_id: Option<String>,
    #[arg(long)]
    out: PathBuf,
}

fn main() -> Result<()> {
    let a = Args::parse();
    let opts = |id: &Option<String>| ReadOptions {
        id_field: id.clone(),
        ..Default::default()
    };
    let t0 = Instant::now();
    let (units, (districts, facilities)) = rayon::join(
        || read_layer(&a.units, &opts(&a.unit_id)),
        || {
            rayon::join(
                || read_layer(&a.districts, &opts(&a.district_id)),
                || read_layer(&a.facilities, &opts(&a.facility_id)),
            )
        },
    );
    let (units, districts, facilities) = (units?.0, districts?.0, facilities?.0);
    let t_load = t0.elapsed().as_secs_f64();

    let t1 = Instant::now();
    let crs = working_crs(a.crs, &[&units, &districts])?;
    let (units, districts, facilities) = (
        project_into(units, crs)?,
        project_into(districts, crs)?,
        project_into(facilities, crs)?,
    );
    let t_project = t1.elapsed().as_secs_f64();

    let t2 = Instant::now();
    let ext: Vec<&str> = a.extensive.iter().map(String::as_str).collect();
    let int: Vec<&str> = a.intensive.iter().map(String::as_str).collect();
    let r = area_interpolate(&units, &districts, &ext, &int, InterpolateOptions::default())?;
    let t_interp = t2.elapsed().as_secs_f64();

    let t3 = Instant::now();
    let pop = units.count_column(ext.first().context("--extensive is empty")?)?;
    let reach = points_within_distance(&facilities.points()?, &centroids(&units), a.radius)?;
    let coverage: Vec<(usize, f64)> = (0..reach.len())
        .map(|f| {
            let row = reach.row(f);
            (
                row.len(),
                row.iter().map(|&(u, _)| pop[u as usize].unwrap_or(0.0)).sum(),
            )
        })
        .collect();
    let t_cov = t3.elapsed().as_secs_f64();
    let total = t0.elapsed().as_secs_f64();

    std::fs::create_dir_all(&a.out)?;
    let mut order: Vec<usize> = (0..r.target_ids.len()).collect();
    order.sort_by(|&i, &j| r.target_ids[i].cmp(&r.target_ids[j]));
    let mut csv = String::from("district_id");
    let names = r
        .extensive
        .iter()
        .map(|c| &c.0)
        .chain(r.intensive.iter().map(|c| &c.0));
    for name in names {
        let _ = write!(csv, ",{name}");
    }
    csv.push('\n');
    for i in order {
        csv.push_str(&r.target_ids[i]);
        for (_, v) in &r.extensive {
            let _ = write!(csv, ",{:?}", v[i]);
        }
        for (_, v) in &r.intensive {
            match v[i] {
                Some(x) => write!(csv, ",{x:?}")?,
                None => csv.push(','),
            }
        }
        csv.push('\n');
    }
    std::fs::write(a.out.join("districts.csv"), csv)?;

    let mut order: Vec<usize> = (0..facilities.len()).collect();
    order.sort_by(|&i, &j| facilities.ids[i].cmp(&facilities.ids[j]));
    let mut csv = String::from("facility_id,n_units,pop_covered\n");
    for i in order {
        let _ = writeln!(csv, "{},{},{:?}", facilities.ids[i], coverage[i].0, coverage[i].1);
    }
    std::fs::write(a.out.join("coverage.csv"), csv)?;

    println!(
        "{{\"tool\":\"careblock\",\"load\":{t_load:.4},\"project\":{t_project:.4},\"interpolate\":{t_interp:.4},\"coverage\":{t_cov:.4},\"total\":{total:.4},\"threads\":{}}}",
        rayon::current_num_threads()
    );
    Ok(())
}
