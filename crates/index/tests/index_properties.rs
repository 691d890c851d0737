//! Property tests of the index (`index::assess`) on small synthetic layers: unit and district
//! results do not depend on the order of the features nor on the thread count (rayon pools of
//! 1 and 2 threads), and raising a need count in one unit never lowers its district's rank
//! under min-max normalisation and arithmetic aggregation.

use std::collections::HashMap;

use careblock_core::{Crs, Layer};
use careblock_index::{Assessment, Inputs, Level, assess};
use careblock_method::Method;
use geo::{Coord, Geometry, LineString, Polygon};
use polars::prelude::*;
use proptest::prelude::*;

const M: Crs = Crs::Projected { epsg: 9377 };
const COLS: usize = 6;
const ROWS: usize = 4;
const N: usize = COLS * ROWS;

const METHOD: &str = r#"name = "properties"
crs = 9377

[units]
path = "units.geojson"
id = "code"
population = "pop"

[districts]
path = "districts.geojson"
id = "d"

[treatment]
winsorise = [0, 100]

[normalisation]
method = "min-max"

[aggregation]
method = "arithmetic"

[uncertainty]
draws = 20

[[indicators]]
name = "kids_share"
dimension = "care_demand"
kind = "share"
numerator = "kids"
denominator = "pop"

[[indicators]]
name = "old_share"
dimension = "care_demand"
kind = "share"
numerator = "old"
denominator = "pop"

[[indicators]]
name = "women_density"
dimension = "women_caregivers"
kind = "density"
count = "women"
"#;

fn square(x: f64, y: f64, s: f64) -> Geometry<f64> {
    let ring = vec![
        Coord { x, y },
        Coord { x: x + s, y },
        Coord { x: x + s, y: y + s },
        Coord { x, y: y + s },
        Coord { x, y },
    ];
    Polygon::new(LineString(ring), vec![]).into()
}

/// One unit's data: population and the three need counts.
#[derive(Debug, Clone, Copy)]
struct Unit {
    pop: f64,
    kids: f64,
    old: f64,
    women: f64,
}

fn unit() -> impl Strategy<Value = Unit> {
    (50u32..2000, 0.0f64..0.4, 0.0f64..0.3, 0.2f64..0.6).prop_map(|(p, k, o, w)| {
        let pop = f64::from(p);
        Unit {
            pop,
            kids: (pop * k).round(),
            old: (pop * o).round(),
            women: (pop * w).round(),
        }
    })
}

/// A 6×4 grid of 100 m units (ids u0..u23, row by row) in the order `order`.
fn units_layer(data: &[Unit], order: &[usize]) -> Layer {
    let col = |f: fn(&Unit) -> f64| order.iter().map(|&i| f(&data[i])).collect::<Vec<f64>>();
    let df = DataFrame::new(
        order.len(),
        vec![
            Column::new("pop".into(), col(|u| u.pop)),
            Column::new("kids".into(), col(|u| u.kids)),
            Column::new("old".into(), col(|u| u.old)),
            Column::new("women".into(), col(|u| u.women)),
        ],
    )
    .unwrap();
    let ids = order.iter().map(|i| format!("u{i}")).collect();
    let geoms = order
        .iter()
        .map(|&i| {
            Some(square(
                (i % COLS) as f64 * 100.0,
                (i / COLS) as f64 * 100.0,
                100.0,
            ))
        })
        .collect();
    Layer::new("units", ids, geoms, df, M).unwrap()
}

/// Six 200 m × 200 m districts tiling the grid (d0..d5: 3 columns × 2 rows), in `order`.
fn districts_layer(order: &[usize]) -> Layer {
    let ids = order.iter().map(|i| format!("d{i}")).collect();
    let geoms = order
        .iter()
        .map(|&i| Some(square((i % 3) as f64 * 200.0, (i / 3) as f64 * 200.0, 200.0)))
        .collect();
    Layer::new(
        "districts",
        ids,
        geoms,
        DataFrame::empty_with_height(order.len()),
        M,
    )
    .unwrap()
}

/// The district of unit `i`.
fn district_of(i: usize) -> String {
    format!("d{}", (i % COLS) / 2 + 3 * ((i / COLS) / 2))
}

fn run(data: &[Unit], unit_order: &[usize], district_order: &[usize]) -> Assessment {
    let method = Method::from_toml("properties.toml", METHOD).unwrap();
    let units = units_layer(data, unit_order);
    let districts = districts_layer(district_order);
    let inputs = Inputs {
        units: &units,
        districts: Some(&districts),
        coarse: &[],
        supply: &[],
        network: None,
        network_gap: None,
        prepared_network: None,
        validated: false,
    };
    assess(&method, inputs).unwrap()
}

/// Everything per row of a level, keyed by id, as exact bit patterns (so "equal" means
/// byte-identical output).
type Row = (Vec<Option<u64>>, Option<u32>, Option<u32>, Vec<Option<u64>>);

fn by_id(level: &Level) -> HashMap<String, Row> {
    let bits = |v: Option<f64>| v.map(f64::to_bits);
    let s = &level.scores;
    level
        .ids
        .iter()
        .enumerate()
        .map(|(k, id)| {
            let mut values: Vec<Option<u64>> = vec![bits(s.index[k])];
            values.extend(s.normalised.iter().map(|c| bits(c[k])));
            values.extend(s.dimensions.iter().map(|c| bits(c[k])));
            values.extend(level.raw.iter().map(|c| bits(c[k])));
            values.extend(s.contributions.iter().map(|c| bits(c[k])));
            let mc: Vec<Option<u64>> = match &level.uncertainty {
                Some(u) => vec![
                    bits(u.median_rank[k]),
                    bits(u.p05_rank[k]),
                    bits(u.p95_rank[k]),
                    bits(u.p_top_class[k]),
                    bits(u.mean_abs_shift[k]),
                ],
                None => Vec::new(),
            };
            (id.clone(), (values, s.rank[k], s.class[k], mc))
        })
        .collect()
}

fn district_rank(a: &Assessment, id: &str) -> Option<u32> {
    let d = a.districts.as_ref().unwrap();
    let k = d.ids.iter().position(|x| x == id).unwrap();
    d.scores.rank[k]
}

/// Results computed in a rayon pool of `n` threads.
fn in_pool(n: usize, f: impl FnOnce() -> Assessment + Send) -> Assessment {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .unwrap()
        .install(f)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn results_do_not_depend_on_feature_order(
        data in prop::collection::vec(unit(), N),
        unit_order in Just((0..N).collect::<Vec<usize>>()).prop_shuffle(),
        district_order in Just((0..6).collect::<Vec<usize>>()).prop_shuffle(),
    ) {
        let identity: Vec<usize> = (0..N).collect();
        let a = run(&data, &identity, &[0, 1, 2, 3, 4, 5]);
        let b = run(&data, &unit_order, &district_order);
        prop_assert_eq!(by_id(&a.units), by_id(&b.units));
        let (da, db) = (a.districts.as_ref().unwrap(), b.districts.as_ref().unwrap());
        prop_assert_eq!(by_id(da), by_id(db));
        // Every unit and every district has its row.
        prop_assert_eq!(a.units.ids.len(), N);
        prop_assert_eq!(da.ids.len(), 6);
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count(data in prop::collection::vec(unit(), N)) {
        let identity: Vec<usize> = (0..N).collect();
        let order = [0, 1, 2, 3, 4, 5];
        let one = in_pool(1, || run(&data, &identity, &order));
        let two = in_pool(2, || run(&data, &identity, &order));
        prop_assert_eq!(by_id(&one.units), by_id(&two.units));
        prop_assert_eq!(
            by_id(one.districts.as_ref().unwrap()),
            by_id(two.districts.as_ref().unwrap())
        );
        prop_assert_eq!(format!("{:?}", one.conservation), format!("{:?}", two.conservation));
    }

    #[test]
    fn more_need_in_a_unit_never_lowers_its_district_rank(
        data in prop::collection::vec(unit(), N),
        which in 0..N,
        field in 0usize..3,
        extra in 1u32..500,
    ) {
        let identity: Vec<usize> = (0..N).collect();
        let order = [0, 1, 2, 3, 4, 5];
        let before = run(&data, &identity, &order);
        let mut more = data.clone();
        let u = &mut more[which];
        match field {
            0 => u.kids += f64::from(extra),
            1 => u.old += f64::from(extra),
            _ => u.women += f64::from(extra),
        }
        let after = run(&more, &identity, &order);
        let d = district_of(which);
        let (rb, ra) = (district_rank(&before, &d), district_rank(&after, &d));
        prop_assert!(rb.is_some() && ra.is_some(), "{d} is ranked");
        // Rank 1 = highest need: more need means the same or a smaller rank number.
        prop_assert!(ra <= rb, "{d}: rank {rb:?} -> {ra:?} after adding {extra} to field {field} of u{which}");
    }
}

#[test]
fn the_district_of_a_unit_is_the_one_containing_it() {
    // Checks the helper the monotonicity test relies on against the geometry.
    let data = vec![
        Unit {
            pop: 100.0,
            kids: 10.0,
            old: 5.0,
            women: 50.0
        };
        N
    ];
    let identity: Vec<usize> = (0..N).collect();
    let mut more = data.clone();
    more[7].kids += 1000.0; // u7 is in column 1, row 1 → d0
    let a = run(&more, &identity, &[0, 1, 2, 3, 4, 5]);
    assert_eq!(district_of(7), "d0");
    assert_eq!(district_rank(&a, "d0"), Some(1));
}
