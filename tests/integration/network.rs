//! Walking distances on the bundled Bogotá street slice (Bosa, Kennedy, Ciudad Bolívar):
//! bounded Dijkstra equal to networkx on the same graph, network coverage never above the
//! 800 m circles of the same sites (and strictly below overall), network catchments smaller
//! than the circles, and the network preset through the binary.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use careblock_core::Crs;
use careblock_core::network::{NetworkOptions, Snap, StreetNetwork};
use careblock_core::project::project_into;
use careblock_io::{ReadOptions, read_layer};
use geo::{Area, Geometry, Point};

use crate::common;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn streets() -> StreetNetwork {
    let path = root().join("data/bogota/streets_bosa_kennedy_ciudad_bolivar.geojson");
    let (layer, _) = read_layer(&path, &ReadOptions::default()).unwrap();
    let layer = project_into(layer, Crs::from_epsg(9377).unwrap()).unwrap();
    StreetNetwork::from_layer(&layer, &NetworkOptions::default()).unwrap()
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("careblock-network-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// networkx, or `None` (skip) when it is missing outside CI; in CI a missing networkx fails.
fn have_networkx() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import networkx"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "networkx is required in CI (pip install networkx)"
        );
        println!("skipped: python3 with networkx is not available (pip install networkx)");
    }
    ok
}

const NX: &str = r#"
import sys
import networkx as nx
graph, queries, radius = sys.argv[1], sys.argv[2], float(sys.argv[3])
G = nx.Graph()
for line in open(graph):
    a, b, w = line.split()
    a, b, w = int(a), int(b), float(w)
    if a == b:
        continue
    if not G.has_edge(a, b) or G[a][b]["length"] > w:
        G.add_edge(a, b, length=w)
for line in open(queries):
    name, edge_a, edge_b, off_a, off_b = line.split()
    src = name
    if edge_a == edge_b:
        src = int(edge_a)
    else:
        G.add_edge(name, int(edge_a), length=float(off_a))
        G.add_edge(name, int(edge_b), length=float(off_b))
    d = nx.single_source_dijkstra_path_length(G, src, cutoff=radius, weight="length")
    for n, v in sorted((n, v) for n, v in d.items() if not isinstance(n, str)):
        print(name, n, repr(v))
    if edge_a != edge_b:
        G.remove_node(name)
"#;

#[test]
fn dijkstra_equals_networkx_on_the_bundled_streets() {
    if !have_networkx() {
        return;
    }
    let net = streets();
    assert!(net.edges().len() > 30_000, "{}", net.edges().len());
    let dir = tmp("nx");
    let graph = dir.join("graph.txt");
    let mut f = std::fs::File::create(&graph).unwrap();
    for e in net.edges() {
        writeln!(f, "{} {} {:?}", e.a, e.b, e.length).unwrap();
    }
    drop(f);
    // Sources: five nodes spread over the network, and three points in the middle of edges.
    let n = net.nodes().len();
    let mut sources: Vec<(String, Snap)> = Vec::new();
    for k in 0..5 {
        let c = net.nodes()[k * n / 5 + 17];
        let s = net.snap(Point::from(c)).unwrap();
        assert!(s.distance < 1e-6, "a node snaps onto itself");
        sources.push((format!("n{k}"), s));
    }
    for k in 0..3 {
        let e = &net.edges()[k * net.edges().len() / 3 + 5];
        let (p, q) = (e.line.0[0], e.line.0[1]);
        let mid = Point::new((p.x + q.x) / 2.0, (p.y + q.y) / 2.0);
        let s = net.snap(mid).unwrap();
        sources.push((format!("m{k}"), s));
    }
    let queries = dir.join("queries.txt");
    let mut f = std::fs::File::create(&queries).unwrap();
    for (name, s) in &sources {
        let e = &net.edges()[s.edge as usize];
        // A source at a node is that node; a source inside an edge is a new node joined to
        // both ends (the edge itself stays, as the direct link between them).
        let at_node = if s.offset == 0.0 {
            Some(e.a)
        } else if s.offset == e.length {
            Some(e.b)
        } else {
            None
        };
        match at_node {
            Some(v) => writeln!(f, "{name} {v} {v} 0 0").unwrap(),
            None => writeln!(
                f,
                "{name} {} {} {:?} {:?}",
                e.a,
                e.b,
                s.offset,
                e.length - s.offset
            )
            .unwrap(),
        }
    }
    drop(f);
    let radius = 1200.0;
    let out = Command::new("python3")
        .args(["-c", NX])
        .arg(&graph)
        .arg(&queries)
        .arg(radius.to_string())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut want: HashMap<String, HashMap<u32, f64>> = HashMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let mut it = line.split_whitespace();
        let (name, node, d) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
        want.entry(name.to_string())
            .or_default()
            .insert(node.parse().unwrap(), d.parse().unwrap());
    }
    let mut compared = 0;
    for (name, s) in &sources {
        let got: HashMap<u32, f64> = net.node_distances(s, radius).into_iter().collect();
        let w = &want[name];
        assert!(w.len() > 20, "{name}: only {} nodes within {radius} m", w.len());
        for (node, d) in w {
            match got.get(node) {
                Some(g) => assert!((g - d).abs() < 1e-6, "{name} node {node}: {g} vs networkx {d}"),
                None => assert!(radius - d < 1e-6, "{name} node {node} at {d} m not reached"),
            }
            compared += 1;
        }
        for (node, g) in &got {
            assert!(
                w.contains_key(node) || radius - g < 1e-6,
                "{name}: node {node} at {g} m unknown to networkx"
            );
        }
    }
    assert!(compared > 500, "{compared}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn run_preset(out: &Path, threads: usize) -> serde_json::Value {
    let st = Command::new(env!("CARGO_BIN_EXE_careblock"))
        .args(["--threads", &threads.to_string(), "run"])
        .arg(root().join("examples/bogota_network.toml"))
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert_eq!(
        st.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let stdout = String::from_utf8_lossy(&st.stdout);
    assert!(
        stdout.contains("walking vs circles (800 m, same sites)"),
        "{stdout}"
    );
    serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap()
}

#[test]
fn network_preset_covers_less_than_circles_and_draws_street_catchments() {
    let out = tmp("preset");
    let run = run_preset(&out, 2);
    // Byte-identical whatever the thread count.
    let one = tmp("preset-1");
    run_preset(&one, 1);
    for f in [
        "catchments.geojson",
        "sites.geojson",
        "assignments.csv",
        "units.csv",
        "run.json",
    ] {
        let (a, b) = (
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(one.join(f)).unwrap(),
        );
        assert!(!a.is_empty() && a == b, "{f} differs between 1 and 2 threads");
    }
    let _ = std::fs::remove_dir_all(&one);
    let n = &run["siting"]["network"];
    let (net, eu) = (
        n["covered_network"].as_f64().unwrap(),
        n["covered_euclidean"].as_f64().unwrap(),
    );
    assert!(net < eu * 0.999, "walking {net} vs circles {eu}");
    // Per district: walking never covers more than the circles of the same sites (a walk is
    // never shorter than the straight line), and it covers less somewhere.
    let districts = n["districts"].as_array().unwrap();
    assert_eq!(districts.len(), 116);
    let mut less = 0;
    for d in districts {
        let (a, b) = (
            d["covered_network"].as_f64().unwrap(),
            d["covered_euclidean"].as_f64().unwrap(),
        );
        assert!(a <= b + 1e-9 * b.max(1.0), "{d}");
        if a < b - 1e-6 {
            less += 1;
        }
    }
    assert!(less >= 5, "{less} districts");
    // The fallbacks are said, never silent.
    let notes: Vec<String> = run["siting"]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("unit centroids use straight-line distance")
                && n.contains("streets_gap.geojson")),
        "{notes:?}"
    );
    assert!(n["fallback_units"].as_u64().unwrap() > 0);
    // Catchments: street catchments of the sites on the network are smaller than 800 m circles.
    // Site ids repeat across kinds: read the features by index.
    let mut fc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("catchments.geojson")).unwrap()).unwrap();
    for f in fc["features"].as_array_mut().unwrap() {
        f.as_object_mut().unwrap().remove("id");
    }
    let by_index = out.join("catchments_by_index.geojson");
    std::fs::write(&by_index, fc.to_string()).unwrap();
    let (cl, _) = read_layer(&by_index, &ReadOptions::default()).unwrap();
    let cl = project_into(cl, Crs::from_epsg(9377).unwrap()).unwrap();
    let circle = std::f64::consts::PI * 800.0 * 800.0;
    let areas: Vec<f64> = cl
        .geometries
        .iter()
        .map(|g| match g {
            Some(Geometry::MultiPolygon(m)) => m.unsigned_area(),
            other => panic!("catchment is not a MultiPolygon: {other:?}"),
        })
        .collect();
    let status = cl.text_column("status").unwrap();
    let street: Vec<f64> = areas
        .iter()
        .zip(&status)
        .filter(|(a, s)| s.as_deref() != Some("bus") && (**a - circle).abs() > 0.01 * circle)
        .map(|(a, _)| *a)
        .collect();
    assert!(street.len() >= 10, "{} street catchments", street.len());
    let mean = street.iter().sum::<f64>() / street.len() as f64;
    assert!(
        mean < 0.8 * circle,
        "mean street catchment {mean} m² vs circle {circle} m²"
    );
    assert!(street.iter().all(|a| *a > 0.0 && *a < 1.2 * circle));
    // The street layer and its gap are part of the inputs' checksums.
    let inputs = run["inputs"].to_string();
    assert!(
        inputs.contains("streets_bosa_kennedy_ciudad_bolivar.geojson") && inputs.contains("network.gap"),
        "{inputs}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

/// The fast catchment (sampled streets, small Delaunay triangles filled, buffered) against the
/// exact buffered union of the reached streets, from 40 sites spread over the bundled slice:
/// it holds the exact one (up to the arcs' chords), adds a few per cent, and stays within the
/// reach.
#[test]
fn fast_catchments_hold_the_exact_buffered_streets_on_the_bundled_slice() {
    use geo::{BooleanOps, Contains, Distance, Euclidean};
    let net = streets();
    let n = net.nodes().len();
    let (radius, buffer) = (800.0, 50.0);
    let (mut fast_total, mut exact_total, mut worst) = (0.0, 0.0, 0.0f64);
    let (mut t_fast, mut t_exact) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
    for k in 0..40 {
        let c = net.nodes()[k * n / 40 + 11];
        let p = Point::new(c.x + 20.0, c.y);
        let s = net.snap(p).unwrap();
        let cutoff = radius - s.distance;
        let t = std::time::Instant::now();
        let fast = net.catchment(&s, cutoff, buffer);
        t_fast += t.elapsed();
        let t = std::time::Instant::now();
        let exact = net.catchment_exact(&s, cutoff, buffer);
        t_exact += t.elapsed();
        let (fa, ea) = (fast.unsigned_area(), exact.unsigned_area());
        let missing = exact.difference(&fast).unsigned_area();
        assert!(missing <= 1e-3 * ea, "site {k}: {missing} m² of {ea} m² missing");
        // Every reached street vertex is inside.
        for l in &net.reached_lines(&s, cutoff).0 {
            for q in &l.0 {
                assert!(fast.contains(&Point::from(*q)), "site {k}: {q:?} outside");
            }
        }
        // Within the reach plus the buffer.
        for q in fast.0.iter().flat_map(|poly| poly.exterior().0.iter()) {
            assert!(Euclidean.distance(p, Point::from(*q)) <= radius + buffer + 1e-6);
        }
        worst = worst.max(fa / ea - 1.0);
        fast_total += fa;
        exact_total += ea;
    }
    let excess = fast_total / exact_total - 1.0;
    println!(
        "40 catchments: fast {:.2} s, exact {:.2} s; area +{:.2} % overall, worst site +{:.2} %",
        t_fast.as_secs_f64(),
        t_exact.as_secs_f64(),
        100.0 * excess,
        100.0 * worst
    );
    assert!(excess < 0.05 && worst < 0.15, "+{excess} overall, worst +{worst}");
}

/// The shared Puerto Montt street layer (licence not stated: never bundled), or `None` (skip,
/// with a printed line) where the shared data folder is absent.
fn puerto_montt_streets() -> Option<PathBuf> {
    common::shared_data("puerto-montt-calles/puerto_montt_calles.geojson")
}

/// Runs `python3 -c NX` on a graph and `(name, snap)` sources; networkx's distances by source.
fn networkx_distances(
    net: &StreetNetwork,
    sources: &[(String, Snap)],
    radius: f64,
    dir: &Path,
) -> HashMap<String, HashMap<u32, f64>> {
    let graph = dir.join("graph.txt");
    let mut f = std::fs::File::create(&graph).unwrap();
    for e in net.edges() {
        writeln!(f, "{} {} {:?}", e.a, e.b, e.length).unwrap();
    }
    drop(f);
    let queries = dir.join("queries.txt");
    let mut f = std::fs::File::create(&queries).unwrap();
    for (name, s) in sources {
        let e = &net.edges()[s.edge as usize];
        match (s.offset == 0.0, s.offset == e.length) {
            (true, _) => writeln!(f, "{name} {} {} 0 0", e.a, e.a).unwrap(),
            (_, true) => writeln!(f, "{name} {} {} 0 0", e.b, e.b).unwrap(),
            _ => writeln!(
                f,
                "{name} {} {} {:?} {:?}",
                e.a,
                e.b,
                s.offset,
                e.length - s.offset
            )
            .unwrap(),
        }
    }
    drop(f);
    let out = Command::new("python3")
        .args(["-c", NX])
        .arg(&graph)
        .arg(&queries)
        .arg(radius.to_string())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut want: HashMap<String, HashMap<u32, f64>> = HashMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let mut it = line.split_whitespace();
        let (name, node, d) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
        want.entry(name.to_string())
            .or_default()
            .insert(node.parse().unwrap(), d.parse().unwrap());
    }
    want
}

/// The Los Lagos preset (Censo 2017 urban zones, bundled) sited on foot on the shared Puerto
/// Montt street layer: the graph is built and its components reported, walking covers no zone
/// that no circle of the same sites covers, per-comuna demand adds up to the total, and the
/// network distances equal networkx on the Puerto Montt graph.
#[test]
fn los_lagos_walks_on_the_puerto_montt_streets() {
    let Some(streets) = puerto_montt_streets() else {
        return;
    };
    let dir = tmp("los-lagos");
    let data = root().join("data").canonicalize().unwrap();
    let base = std::fs::read_to_string(root().join("examples/los_lagos.toml")).unwrap();
    let mut method = base.replace("\"../data/", &format!("\"{}/", data.display()));
    assert_ne!(method, base, "the preset's paths were not rewritten");
    method.push_str(&format!(
        r#"
[siting]
radius = 800
distance = "network"
coverage = "centroid"
p = 8

[siting.grid]
spacing = 600

[network]
path = "{}"
id = "fid"
snap_tolerance = 2
max_snap = 300
buffer = 50
"#,
        streets.display()
    ));
    let toml = dir.join("los_lagos_network.toml");
    std::fs::write(&toml, &method).unwrap();
    let out = dir.join("out");
    let st = Command::new(env!("CARGO_BIN_EXE_careblock"))
        .args(["--threads", "2", "run"])
        .arg(&toml)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        st.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    let notes: Vec<String> = run["siting"]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    // The graph: built, its dropped components reported.
    let graph = notes
        .iter()
        .find(|n| n.contains("puerto_montt_calles.geojson") && n.contains("largest connected component"))
        .unwrap_or_else(|| panic!("no graph note: {notes:?}"));
    assert!(graph.contains("18510 segment(s) read"), "{graph}");
    assert!(!graph.contains("; 0 other component(s) dropped"), "{graph}");
    // Zones outside Puerto Montt (Osorno, Chiloé...) are far from these streets: said.
    assert!(
        notes
            .iter()
            .any(|n| n.contains("unit centroids use straight-line distance")),
        "{notes:?}"
    );
    let n = &run["siting"]["network"];
    let (walk, circle, total) = (
        n["covered_network"].as_f64().unwrap(),
        n["covered_euclidean"].as_f64().unwrap(),
        run["siting"]["blocks"]["total_demand"].as_f64().unwrap(),
    );
    assert!(
        walk > 0.0 && walk <= circle + 1e-9 * circle,
        "walking {walk} vs circles {circle}"
    );
    // Mass: the index's allocations conserve every total, and the comunas' demand and covered
    // demand add up to the totals.
    let conservation = run["conservation"].as_array().unwrap();
    assert!(!conservation.is_empty());
    for c in conservation {
        assert_eq!(c["missing"].as_u64(), Some(0), "{c}");
        assert!(c["relative_error"].as_f64().unwrap().abs() < 1e-9, "{c}");
    }
    let districts = n["districts"].as_array().unwrap();
    assert!(districts.len() >= 20, "{} comunas", districts.len());
    let sum = |k: &str| districts.iter().map(|d| d[k].as_f64().unwrap()).sum::<f64>();
    assert!(
        (sum("demand") - total).abs() <= 1e-6 * total,
        "{} vs {total}",
        sum("demand")
    );
    assert!((sum("covered_network") - walk).abs() <= 1e-6 * total);
    assert!((sum("covered_euclidean") - circle).abs() <= 1e-6 * total);
    for d in districts {
        let (a, b) = (
            d["covered_network"].as_f64().unwrap(),
            d["covered_euclidean"].as_f64().unwrap(),
        );
        assert!(a <= b + 1e-9 * b.max(1.0), "{d}");
    }
    // Every zone walking covers lies within 800 m of a block in a straight line (a walk is
    // never shorter), so walking coverage ≤ circle coverage in every zone.
    let crs = Crs::from_epsg(32718).unwrap();
    let (zones, _) = read_layer(
        &data.join("chile/zonas_censales_2017_los_lagos.geojson"),
        &ReadOptions {
            id_field: Some("geocodigo".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let zones = project_into(zones, crs).unwrap();
    let centroids = careblock_core::join::centroids(&zones);
    let (sites, _) = read_layer(&out.join("sites.geojson"), &ReadOptions::default()).unwrap();
    let sites = project_into(sites, crs).unwrap();
    let blocks: Vec<Point> = sites
        .geometries
        .iter()
        .filter_map(|g| match g {
            Some(Geometry::Point(p)) => Some(*p),
            _ => None,
        })
        .collect();
    assert_eq!(blocks.len(), 8);
    let units = std::fs::read_to_string(out.join("units.csv")).unwrap();
    let mut lines = units.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (id_col, cov_col) = (col("id"), col("cov_after"));
    let mut covered = 0;
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let cov: f64 = f[cov_col].parse().unwrap();
        if cov <= 0.0 {
            continue;
        }
        covered += 1;
        let k = zones.ids.iter().position(|i| i == f[id_col]).unwrap();
        let c = centroids[k].unwrap();
        let nearest = blocks
            .iter()
            .map(|b| geo::Distance::distance(&geo::Euclidean, c, *b))
            .fold(f64::INFINITY, f64::min);
        assert!(
            nearest <= 800.0 + 1e-6,
            "zone {} covered walking, {nearest} m from a block",
            f[id_col]
        );
    }
    assert!(covered >= 8, "{covered} zones covered");
    // Network distances equal networkx on the Puerto Montt graph.
    if have_networkx() {
        let (layer, _) = read_layer(&streets, &ReadOptions::default()).unwrap();
        let net = StreetNetwork::from_layer(&project_into(layer, crs).unwrap(), &NetworkOptions::default())
            .unwrap();
        assert!(net.report().dropped_components > 0);
        let nn = net.nodes().len();
        let sources: Vec<(String, Snap)> = (0..4)
            .map(|k| {
                let c = net.nodes()[k * nn / 4 + 7];
                let q = Point::new(c.x + 15.0, c.y - 10.0);
                (format!("s{k}"), net.snap(q).unwrap())
            })
            .collect();
        let radius = 1500.0;
        let want = networkx_distances(&net, &sources, radius, &dir);
        let mut compared = 0;
        for (name, s) in &sources {
            let got: HashMap<u32, f64> = net.node_distances(s, radius).into_iter().collect();
            let w = &want[name];
            for (node, d) in w {
                match got.get(node) {
                    Some(g) => assert!((g - d).abs() < 1e-6, "{name} node {node}: {g} vs networkx {d}"),
                    None => assert!(radius - d < 1e-6, "{name} node {node} at {d} m not reached"),
                }
                compared += 1;
            }
            assert!(got.keys().all(|k| w.contains_key(k) || radius - got[k] < 1e-6));
        }
        assert!(compared > 100, "{compared}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `[access] minutes`: walking-time bands of 5/10/15 minutes at 4.8 km/h are the preset's
/// 400/800/1200 m bands, so the units come out byte-identical, and the note says the conversion.
#[test]
fn access_minutes_equal_the_metre_bands_they_convert_to() {
    let dir = tmp("access-minutes");
    let data = root().join("data").canonicalize().unwrap();
    let base = std::fs::read_to_string(root().join("examples/bogota_network.toml")).unwrap();
    let metres = base.replace("\"../data/", &format!("\"{}/", data.display()));
    let bands = "bands = [[400, 1.0], [800, 0.68], [1200, 0.22]]";
    assert!(metres.contains(bands));
    let minutes = metres.replace(bands, "minutes = [[5, 1.0], [10, 0.68], [15, 0.22]]");
    let run = |name: &str, text: &str| {
        let toml = dir.join(format!("{name}.toml"));
        std::fs::write(&toml, text).unwrap();
        let out = dir.join(name);
        let st = Command::new(env!("CARGO_BIN_EXE_careblock"))
            .args(["--threads", "2", "run"])
            .arg(&toml)
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(
            st.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
        out
    };
    let (a, b) = (run("metres", &metres), run("minutes", &minutes));
    let units = |d: &Path| std::fs::read(d.join("units.csv")).unwrap();
    assert!(
        units(&a) == units(&b),
        "units.csv differs between minutes and metres"
    );
    let notes = std::fs::read_to_string(b.join("run.json")).unwrap();
    assert!(
        notes.contains("access: bands of 5/10/15 min at 4.8 km/h = 400/800/1200 m"),
        "{notes}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
