//! The shipped presets on the bundled real data: Bogotá (641 CNPV 2018 census sectors → 116
//! UPZ/UPR, localidad care rates, 7 layers of SDIS care facilities) and Los Lagos (205 Censo
//! 2017 urban zones → 30 comunas). The assertions are structural truths of any correct run,
//! not copied output numbers: ranks are a permutation, quantile classes are balanced,
//! contributions sum to the index, every count summed to districts is conserved, the Monte
//! Carlo interval is ordered and holds the reference rank, and nothing depends on the thread
//! count.

use std::path::{Path, PathBuf};
use std::process::Command;

use careblock_index::{Assessment, Level, assess};
use careblock_io::read_method;
use careblock_pipeline::{LoadOptions, LoadedInputs, load_inputs};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join(name)
}

fn load(name: &str) -> (careblock_method::Method, LoadedInputs) {
    let path = example(name);
    let method = read_method(&path).unwrap();
    let inputs = load_inputs(&method, path.parent().unwrap(), &LoadOptions::default()).unwrap();
    (method, inputs)
}

fn run_with_threads(name: &str, threads: usize) -> Assessment {
    let (method, inputs) = load(name);
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| assess(&method, inputs.inputs()).unwrap())
}

/// The structural truths every level must satisfy.
fn check_level(a: &Assessment, l: &Level, classes: u32, what: &str) {
    let s = &l.scores;
    // Ranks: a permutation of 1..=m over the rows that have an index.
    let mut ranks: Vec<u32> = s.rank.iter().flatten().copied().collect();
    let m = s.index.iter().filter(|i| i.is_some()).count();
    ranks.sort_unstable();
    assert_eq!(
        ranks,
        (1..=m as u32).collect::<Vec<_>>(),
        "{what}: ranks are not a permutation"
    );
    // Rank 1 has the largest index.
    for i in 0..l.ids.len() {
        for j in 0..l.ids.len() {
            if let (Some(ri), Some(rj)) = (s.rank[i], s.rank[j])
                && ri < rj
            {
                assert!(s.index[i].unwrap() >= s.index[j].unwrap(), "{what}: rank order");
            }
        }
    }
    // Quantile classes: every class used, sizes within the ties' reach of m/k.
    let mut counts = vec![0usize; classes as usize];
    for c in s.class.iter().flatten() {
        counts[(*c - 1) as usize] += 1;
    }
    let ideal = m as f64 / classes as f64;
    for (k, &c) in counts.iter().enumerate() {
        assert!(
            (c as f64 - ideal).abs() <= 2.0,
            "{what}: class {} has {c} members, expected about {ideal:.1} ({counts:?})",
            k + 1
        );
    }
    // Higher class, higher index.
    for i in 0..l.ids.len() {
        for j in 0..l.ids.len() {
            if let (Some(ci), Some(cj)) = (s.class[i], s.class[j])
                && ci > cj
            {
                assert!(s.index[i].unwrap() >= s.index[j].unwrap(), "{what}: class order");
            }
        }
    }
    // Contributions (plus the imbalance term) sum to the index.
    for i in 0..l.ids.len() {
        let Some(index) = s.index[i] else { continue };
        let sum: f64 = s.contributions.iter().map(|c| c[i].unwrap()).sum::<f64>() + s.penalty[i].unwrap();
        assert!(
            (sum - index).abs() < 1e-9 * index.abs().max(1.0),
            "{what} {}: {sum} vs {index}",
            l.ids[i]
        );
        assert!(
            (0.0..=100.0).contains(&index),
            "{what}: min-max index out of 0–100"
        );
    }
    // Monte Carlo: ordered intervals, and the reference rank inside the 5–95% interval for the
    // great majority of rows (a 90% interval need not hold it everywhere).
    let u = l.uncertainty.as_ref().expect("the presets run the Monte Carlo");
    assert_eq!(u.draws, 1000);
    let mut inside = 0;
    for i in 0..l.ids.len() {
        let Some(r) = s.rank[i] else {
            assert!(u.median_rank[i].is_none());
            continue;
        };
        let (lo, med, hi) = (
            u.p05_rank[i].unwrap(),
            u.median_rank[i].unwrap(),
            u.p95_rank[i].unwrap(),
        );
        assert!(lo <= med && med <= hi, "{what}: interval order");
        assert!((0.0..=1.0).contains(&u.p_top_class[i].unwrap()));
        if lo <= f64::from(r) && f64::from(r) <= hi {
            inside += 1;
        }
    }
    assert!(
        inside as f64 >= 0.95 * m as f64,
        "{what}: reference rank inside the interval for {inside} of {m}"
    );
    assert!(u.mean_rank_shift > 0.0, "{what}: the Monte Carlo varied nothing");
    assert_eq!(a.indicators.len(), l.raw.len());
}

fn check_conservation(a: &Assessment) {
    assert!(!a.conservation.is_empty());
    for (name, b) in &a.conservation {
        assert!(b.relative_error() < 1e-9, "{name}: {b:?}");
        assert!(
            b.unallocated.abs() <= 1e-9 * b.source_total.max(1.0),
            "{name}: mass left outside every district"
        );
    }
}

#[test]
fn bogota_preset_ranks_every_upz() {
    let a = run_with_threads("bogota.toml", 2);
    let d = a.districts.as_ref().unwrap();
    assert_eq!(d.ids.len(), 116);
    check_level(&a, d, 5, "UPZ");
    check_level(&a, &a.units, 5, "sectors");
    check_conservation(&a);
    // All 112 UPZ (and the 4 rural UPR) are ranked.
    let upz: Vec<&String> = d.ids.iter().filter(|id| id.starts_with("UPZ")).collect();
    assert_eq!(upz.len(), 112);
    for (id, r) in d.ids.iter().zip(&d.scores.rank) {
        assert!(r.is_some(), "{id} is not ranked");
    }
    // The 7 empty sectors and the few with fewer than 30 people are not ranked, and are said so.
    let unranked = a.units.scores.rank.iter().filter(|r| r.is_none()).count();
    assert!((7..=15).contains(&unranked), "{unranked} unranked sectors");
    assert!(
        a.notes
            .iter()
            .any(|n| n.to_string().contains("population below 30"))
    );
    // Population is conserved from sectors to UPZ exactly as the census counts it.
    let pop: f64 = d.population.iter().flatten().sum();
    assert!((pop - 7_136_912.0).abs() < 1e-6);
    // Every access_gap value is a gap: 0 ≤ g ≤ 1 with 0 at the best-served place.
    let k = a.indicators.iter().position(|i| i.name == "supply_gap").unwrap();
    let gaps: Vec<f64> = a.units.raw[k].iter().flatten().copied().collect();
    assert!(gaps.iter().all(|g| (0.0..=1.0).contains(g)));
    assert!(gaps.contains(&0.0));
}

#[test]
fn los_lagos_preset_ranks_comunas_and_zones() {
    let a = run_with_threads("los_lagos.toml", 2);
    let d = a.districts.as_ref().unwrap();
    assert_eq!(d.ids.len(), 30);
    check_level(&a, d, 5, "comunas");
    check_level(&a, &a.units, 5, "zones");
    check_conservation(&a);
    // 28 comunas have urban zones; the other two hold no unit and are not ranked.
    assert_eq!(d.scores.rank.iter().filter(|r| r.is_some()).count(), 28);
    let pop: f64 = d.population.iter().flatten().sum();
    assert!((pop - 576_100.0).abs() < 1e-6);
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    assert_eq!(
        run_with_threads("los_lagos.toml", 1),
        run_with_threads("los_lagos.toml", 2)
    );
}

#[test]
fn cli_run_writes_identical_outputs_with_one_or_two_threads() {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("run_los_lagos");
    let mut outs = Vec::new();
    for threads in [1, 2] {
        let out = base.join(format!("t{threads}"));
        let _ = std::fs::remove_dir_all(&out);
        let o = Command::new(env!("CARGO_BIN_EXE_careblock"))
            .args(["--quiet", "--threads", &threads.to_string(), "run"])
            .arg(example("los_lagos.toml"))
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        outs.push(out);
    }
    for f in [
        "districts.geojson",
        "districts.csv",
        "units.geojson",
        "units.csv",
        "run.json",
    ] {
        let a = std::fs::read(outs[0].join(f)).unwrap();
        let b = std::fs::read(outs[1].join(f)).unwrap();
        assert!(!a.is_empty());
        assert!(a == b, "{f} differs between 1 and 2 threads");
    }
}
