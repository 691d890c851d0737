//! careblock's side of the reference workload that `benches/peers/compare.py` runs against
//! geopandas + tobler and DuckDB spatial on the same synthetic city:
//! load (GeoJSON units, districts, facilities) → project (to the working CRS) → interpolate
//! (unit counts to districts, tobler semantics) → coverage (for each facility, the units whose
//! centroid lies within the radius) → index (the peers' district index from the interpolated
//! sums, scored by `careblock_index`, then a Monte Carlo of `--draws` draws over its
//! weights, normalisation and aggregation) → siting (with `--candidates`: the peers' MCLP,
//! p sites covering unit centroids within the radius, solved by `careblock_siting`).
//! Prints one JSON line of stage times in seconds and writes `districts.csv`, `coverage.csv`,
//! `district_index.csv` and `mclp.json` in the peers' formats (plus `district_mc.csv`).
//!
//! ```text
//! cargo run --release --example workload -- --units U.geojson --districts D.geojson \
//!   --facilities F.geojson --crs 9377 --radius 800 --extensive pop_total,men \
//!   --intensive ipm --unit-id unit_id --district-id district_id --facility-id facility_id \
//!   --candidates C.geojson --candidate-id candidate_id --p 20 --draws 1000 --out OUT
//! ```

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use careblock_core::Crs;
use careblock_core::Layer;
use careblock_core::join::{InterpolateOptions, Interpolated, PointIndex, area_interpolate, centroids};
use careblock_core::project::{project_into, working_crs};
use careblock_index::Direction;
use careblock_index::classify::Classification;
use careblock_index::compute::{Composite, DimensionDef, IndicatorDef, Scores, score};
use careblock_index::uncertainty::{MonteCarlo, Uncertainty, monte_carlo};
use careblock_io::{ReadOptions, read_layer};
use careblock_method::{AggregationName, NormalisationName, UncertaintySpec};
use careblock_siting::{Coverage, Limit, Options, Problem, solve};
use clap::Parser;
use geo::Area;

/// The allocator and memory set-up of the `careblock` binary, for a like-for-like comparison.
#[path = "../crates/cli/memory.rs"]
mod memory;

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
    /// Candidate sites of the MCLP; without them the siting stage is skipped.
    #[arg(long)]
    candidates: Option<PathBuf>,
    #[arg(long)]
    candidate_id: Option<String>,
    /// Sites to open.
    #[arg(long, default_value_t = 20)]
    p: usize,
    /// Monte Carlo draws over the district index (0: none).
    #[arg(long, default_value_t = 1000)]
    draws: usize,
    #[arg(long)]
    out: PathBuf,
}

fn main() -> Result<()> {
    memory::no_huge_pages();
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
    let unit_centroids = centroids(&units);
    // One index of the unit centroids for the facilities here and the candidates in siting.
    let near_units = PointIndex::new(&unit_centroids, a.radius)?;
    let reach = near_units.within(&facilities.points()?);
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

    let t4 = Instant::now();
    let index = district_index(&r, &districts)?;
    let t_index = t4.elapsed().as_secs_f64();

    let t5 = Instant::now();
    let mc = (a.draws > 0).then(|| {
        // The method file's defaults: weights ± 25 %, min-max / z-score / rank, arithmetic /
        // geometric, seed 2018.
        let d = UncertaintySpec::default();
        let spec = MonteCarlo {
            draws: a.draws,
            seed: d.seed,
            weight_noise: *d.weight_noise.get_ref(),
            normalisations: d.normalisations,
            aggregations: d.aggregations,
        };
        monte_carlo(
            &index.indicators,
            &index.eligible,
            &r.target_ids,
            &index.composite,
            &index.scores.rank,
            &spec,
        )
    });
    let t_mc = t5.elapsed().as_secs_f64();

    let t6 = Instant::now();
    let siting = match &a.candidates {
        None => None,
        Some(path) => Some(site(&a, path, crs, &units, &near_units)?),
    };
    let t_siting = t6.elapsed().as_secs_f64();

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
    write_index(&a.out, &r.target_ids, &index, mc.as_ref())?;
    if let Some(s) = &siting {
        std::fs::write(
            a.out.join("mclp.json"),
            serde_json::to_string_pretty(&s.json)? + "\n",
        )?;
    }

    let mut times = format!(
        "{{\"tool\":\"careblock\",\"load\":{t_load:.4},\"project\":{t_project:.4},\"interpolate\":{t_interp:.4},\"coverage\":{t_cov:.4},\"total\":{total:.4},\"index\":{t_index:.4},\"mc\":{t_mc:.4},\"draws\":{}",
        a.draws
    );
    if siting.is_some() {
        let whole = total + t_index + t_mc + t_siting;
        let _ = write!(
            times,
            ",\"siting\":{t_siting:.4},\"total_with_index_siting\":{whole:.4}"
        );
    }
    println!("{times},\"threads\":{}}}", rayon::current_num_threads());
    Ok(())
}

/// The peers' district index (`benches/peers/peer_common.py::district_index`): three indicators
/// from the interpolated district sums (ratios of sums, 0 where a denominator is 0), min-max
/// normalised over the populated districts, equal-weight arithmetic mean, rank 1 = highest.
struct DistrictIndex {
    names: [&'static str; 3],
    indicators: Vec<Vec<Option<f64>>>,
    eligible: Vec<bool>,
    composite: Composite,
    scores: Scores,
}

fn district_index(r: &Interpolated, districts: &Layer) -> Result<DistrictIndex> {
    let sum = |name: &str| {
        r.extensive
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
            .with_context(|| format!("the index needs --extensive {name}"))
    };
    let (total, young, old) = (sum("pop_total")?, sum("pop_0_5")?, sum("pop_60_plus")?);
    let (women, unpaid) = (sum("women")?, sum("women_unpaid_care")?);
    let area_km2: Vec<f64> = districts
        .polygons()?
        .iter()
        .map(|p| p.unsigned_area() / 1e6)
        .collect();
    let ratio = |n: f64, d: f64| Some(if d != 0.0 { n / d } else { 0.0 });
    let n = r.target_ids.len();
    let indicators = vec![
        (0..n).map(|i| ratio(unpaid[i], area_km2[i])).collect(),
        (0..n)
            .map(|i| ratio(young[i] + old[i], total[i] - young[i] - old[i]))
            .collect(),
        (0..n).map(|i| ratio(unpaid[i], women[i])).collect(),
    ];
    let names = ["caregiver_density", "dependency", "unpaid_work_share"];
    let eligible: Vec<bool> = total.iter().map(|&t| t > 0.0).collect();
    let composite = Composite {
        indicators: names
            .iter()
            .map(|name| IndicatorDef {
                name: (*name).to_string(),
                dimension: 0,
                direction: Direction::Positive,
                weight: 1.0,
                goalposts: None,
            })
            .collect(),
        dimensions: vec![DimensionDef {
            name: "need".into(),
            weight: 1.0,
        }],
        normalisation: NormalisationName::MinMax,
        aggregation: AggregationName::Arithmetic,
        min_available: 0.5,
        classification: Classification::default(),
    };
    let scores = score(&indicators, &eligible, &r.target_ids, &composite);
    Ok(DistrictIndex {
        names,
        indicators,
        eligible,
        composite,
        scores,
    })
}

/// `district_index.csv` in the peers' columns, and `district_mc.csv` with the Monte Carlo.
fn write_index(out: &Path, ids: &[String], index: &DistrictIndex, mc: Option<&Uncertainty>) -> Result<()> {
    let mut order: Vec<usize> = (0..ids.len()).collect();
    order.sort_by(|&i, &j| ids[i].cmp(&ids[j]));
    let opt = |v: Option<f64>| v.map(|x| format!("{x:?}")).unwrap_or_default();
    let mut csv = format!("district_id,{},index,rank\n", index.names.join(","));
    for &i in &order {
        csv.push_str(&ids[i]);
        for col in &index.indicators {
            let _ = write!(csv, ",{}", opt(col[i]));
        }
        let rank = index.scores.rank[i].map(|r| r.to_string()).unwrap_or_default();
        let _ = writeln!(csv, ",{},{rank}", opt(index.scores.index[i]));
    }
    std::fs::write(out.join("district_index.csv"), csv)?;
    if let Some(u) = mc {
        let mut csv = String::from("district_id,median_rank,p05_rank,p95_rank,p_top_class,mean_abs_shift\n");
        for &i in &order {
            let _ = writeln!(
                csv,
                "{},{},{},{},{},{}",
                ids[i],
                opt(u.median_rank[i]),
                opt(u.p05_rank[i]),
                opt(u.p95_rank[i]),
                opt(u.p_top_class[i]),
                opt(u.mean_abs_shift[i])
            );
        }
        std::fs::write(out.join("district_mc.csv"), csv)?;
    }
    Ok(())
}

struct Sited {
    json: serde_json::Value,
}

/// The peers' MCLP: read and project the candidates, cover each unit whose centroid is within
/// the radius of a candidate, maximise the covered demand with `p` sites.
fn site(a: &Args, path: &Path, crs: Crs, units: &Layer, near_units: &PointIndex) -> Result<Sited> {
    let opts = ReadOptions {
        id_field: a.candidate_id.clone(),
        ..Default::default()
    };
    let candidates = project_into(read_layer(path, &opts)?.0, crs)?;
    let reach = near_units.within(&candidates.points()?);
    let coverage = Coverage::from_neighbours(units.len(), &reach);
    // The four columns summed in this order, straight from the attribute table.
    let mut demand = vec![0.0; units.len()];
    for name in ["pop_0_5", "pop_60_plus", "pop_disability", "women_unpaid_care"] {
        units.add_counts(name, &mut demand)?;
    }
    let problem = Problem {
        demand: &demand,
        coverage: &coverage,
        limit: Limit::Count(a.p),
        cost: None,
        locked_in: &[],
        locked_out: &[],
    };
    let s = solve(&problem, &Options::default())?;
    let mut selected: Vec<&str> = s.selected.iter().map(|&j| candidates.ids[j].as_str()).collect();
    selected.sort_unstable();
    let integral = |x: f64| {
        if x.fract() == 0.0 && x.abs() < 2f64.powi(53) {
            serde_json::json!(x as i64)
        } else {
            serde_json::json!(x)
        }
    };
    let json = serde_json::json!({
        "mclp_sparse_obj": integral(s.objective),
        // The status words are CBC's (through PuLP), so that compare.py checks the objective
        // against CBC's whenever both are proven optimal.
        "status": if s.optimal { "Optimal Solution Found" } else { "Solution Found" },
        "best_bound": integral(s.bound),
        "gap": s.gap,
        "selected": selected,
        "p": s.selected.len(),
        "radius": a.radius,
        "n_candidates": candidates.len(),
        "n_pairs": coverage.n_pairs(),
        "total_demand": integral(demand.iter().sum()),
        "solver": "careblock_siting::solve (greedy, interchange, local search, Lagrangian bound)",
    });
    Ok(Sited { json })
}
