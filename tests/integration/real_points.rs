//! Point joins on real Bogotá data: the 346 public jardines infantiles (bundled, CRS84) located
//! in the 20 localidades (bundled, MAGNA-SIRGAS), and jardines within 800 m of each
//! census-sector centroid checked against a brute-force search. Also: the schools layer's
//! sentinel coordinate (−1.797e308) is refused naming the feature and the coordinate (a
//! three-feature slice of the layer in `tests/fixtures/bogota_slices/`).

use std::path::{Path, PathBuf};

use careblock_core::join::{Reach, centroids, locate_points, within_distance};
use careblock_core::project::project;
use careblock_core::{Crs, Layer};
use careblock_io::{IoError, ReadOptions, read_layer};

fn bundled(f: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/bogota").join(f)
}

fn load(path: &Path, id: Option<&str>) -> Layer {
    let opts = ReadOptions {
        id_field: id.map(String::from),
        ..Default::default()
    };
    let (layer, _) = read_layer(path, &opts).unwrap();
    project(&layer, Crs::from_epsg(9377).unwrap()).unwrap()
}

fn text(layer: &Layer, column: &str, i: usize) -> String {
    let s = layer
        .attributes
        .column(column)
        .unwrap()
        .as_materialized_series()
        .cast(&careblock_core::polars::prelude::DataType::String)
        .unwrap();
    s.str().unwrap().get(i).unwrap_or_default().to_string()
}

#[test]
fn jardines_fall_in_the_localidad_their_record_names() {
    let jardines = load(&bundled("supply/jardin_infantil.geojson"), None);
    let localidades = load(&bundled("localidades.geojson"), Some("LocCodigo"));
    let a = locate_points(&jardines, &localidades).unwrap();
    assert_eq!(a.polygon.len(), 346);
    assert_eq!(a.unassigned().count(), 0, "every jardín lies in Bogotá");
    let fold = |s: String| s.replace('Í', "I").replace('Á', "A");
    let agree = (0..jardines.len())
        .filter(|&i| {
            let j = a.polygon[i].unwrap() as usize;
            fold(text(&jardines, "LOCNOMBRE", i)) == fold(text(&localidades, "LocNombre", j))
        })
        .count();
    // The records' own localidad names were typed by hand; nearly all must agree.
    assert!(agree >= 340, "only {agree} of 346 agree");
}

#[test]
fn jardines_within_800_m_of_sector_centroids_match_brute_force() {
    let sectors = load(&bundled("sectores_censales.shp"), Some("SETU_CCNCT"));
    let jardines = load(&bundled("supply/jardin_infantil.geojson"), None);
    let n = within_distance(&sectors, &jardines, 800.0, Reach::Centroid).unwrap();
    let c = centroids(&sectors);
    let p = jardines.points().unwrap();
    let mut pairs = 0;
    for (i, ci) in c.iter().enumerate() {
        let mut want: Vec<(u32, f64)> = p
            .iter()
            .enumerate()
            .filter_map(|(j, pj)| {
                let (ci, pj) = (ci.unwrap(), pj.unwrap());
                let d = ((ci.x() - pj.x()).powi(2) + (ci.y() - pj.y()).powi(2)).sqrt();
                (d <= 800.0).then_some((j as u32, d))
            })
            .collect();
        want.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        let got = n.row(i);
        assert_eq!(
            got.iter().map(|e| e.0).collect::<Vec<_>>(),
            want.iter().map(|e| e.0).collect::<Vec<_>>()
        );
        pairs += got.len();
    }
    assert!(
        pairs > 100,
        "a real city has jardines near sector centres ({pairs})"
    );
    // Area reach finds at least what centroid reach finds.
    let by_area = within_distance(&sectors, &jardines, 800.0, Reach::Area).unwrap();
    assert!((0..sectors.len()).all(|i| by_area.row(i).len() >= n.row(i).len()));
}

#[test]
fn the_schools_sentinel_coordinate_is_refused_by_name() {
    let err = read_layer(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bogota_slices/colegios_sentinel.geojson"),
        &ReadOptions::default(),
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, IoError::Crs { .. }), "{err:?}");
    assert!(
        msg.contains("colegios_sentinel.geojson") && msg.contains("e308"),
        "{msg}"
    );
}
