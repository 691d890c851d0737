//! Layers and their CRS: the plausibility of a layer's coordinates for its declared CRS, the
//! lon/lat axis order against a reference layer, the working CRS of a study area, and the
//! reprojection of whole layers (in parallel over features).

use geo::{Coord, Geometry};
use rayon::prelude::*;

use crate::crs::{Crs, ProjCache, Reprojection};
use crate::error::CrsError;
use crate::layer::{Layer, LayerView, union_rect};

/// Checks that every coordinate of a layer is plausible for its CRS: finite, and within
/// |lon| <= 180, |lat| <= 90 for a geographic CRS (catching metres in a "WGS 84" file), or
/// within ±1e8 m for a projected one (catching degrees in a projected file: every coordinate
/// within ±180 of the origin is refused too).
pub fn check_plausible(layer: &Layer) -> Result<(), CrsError> {
    let geographic = layer.crs.is_geographic();
    let problem = |c: Coord| -> Option<&'static str> {
        if !c.x.is_finite() || !c.y.is_finite() {
            Some("coordinates must be finite numbers")
        } else if geographic && (c.x.abs() > 180.0 || c.y.abs() > 90.0) {
            Some(
                "lon/lat degrees must satisfy |lon| <= 180 and |lat| <= 90 (are these metres in a projected CRS?)",
            )
        } else if !geographic && (c.x.abs() > 1e8 || c.y.abs() > 1e8) {
            Some("projected metres must be within ±1e8")
        } else {
            None
        }
    };
    let implausible = |i: usize, c: Coord, reason| CrsError::Implausible {
        layer: layer.name.clone(),
        id: layer.ids[i].clone(),
        x: c.x,
        y: c.y,
        crs: layer.crs.to_string(),
        reason,
    };
    // The first offending feature in file order, whatever the thread count.
    let bad = layer.geometries.par_iter().enumerate().find_map_first(|(i, g)| {
        let g = g.as_ref()?;
        geo::CoordsIter::coords_iter(g).find_map(|c| problem(c).map(|reason| (i, c, reason)))
    });
    if let Some((i, c, reason)) = bad {
        return Err(implausible(i, c, reason));
    }
    if !geographic {
        let all_small = layer.geometries.par_iter().all(|g| {
            g.as_ref().is_none_or(|g| {
                geo::CoordsIter::coords_iter(g).all(|c| c.x.abs() <= 180.0 && c.y.abs() <= 90.0)
            })
        });
        let first = layer.geometries.iter().enumerate().find_map(|(i, g)| {
            let c = g.as_ref().and_then(|g| geo::CoordsIter::coords_iter(g).next())?;
            Some((i, c))
        });
        if let (true, Some((i, c))) = (all_small, first) {
            return Err(implausible(
                i,
                c,
                "every coordinate is within ±180/±90: these look like lon/lat degrees, not metres",
            ));
        }
    }
    Ok(())
}

/// Refuses a lon/lat layer whose coordinates look like (lat, lon): it lies wholly outside the
/// `reference` layer's extent, but would overlap it with its axes swapped (a common mistake in
/// CSV-derived files). Both layers must be in the same geographic CRS; otherwise, or when either
/// is empty, nothing is checked.
pub fn check_axis_order(layer: &Layer, reference: &Layer) -> Result<(), CrsError> {
    if !layer.crs.is_geographic() || layer.crs != reference.crs {
        return Ok(());
    }
    let (Some(a), Some(b)) = (layer.bounding_rect(), reference.bounding_rect()) else {
        return Ok(());
    };
    let overlaps = |a: geo::Rect, b: geo::Rect| {
        a.min().x <= b.max().x && b.min().x <= a.max().x && a.min().y <= b.max().y && b.min().y <= a.max().y
    };
    let swapped = geo::Rect::new(
        Coord {
            x: a.min().y,
            y: a.min().x,
        },
        Coord {
            x: a.max().y,
            y: a.max().x,
        },
    );
    if overlaps(a, b) || !overlaps(swapped, b) {
        return Ok(());
    }
    let first = layer.geometries.iter().enumerate().find_map(|(i, g)| {
        let c = g.as_ref().and_then(|g| geo::CoordsIter::coords_iter(g).next())?;
        Some((i, c))
    });
    match first {
        Some((i, c)) => Err(CrsError::SwappedAxes {
            layer: layer.name.clone(),
            reference: reference.name.clone(),
            id: layer.ids[i].clone(),
            x: c.x,
            y: c.y,
        }),
        None => Ok(()),
    }
}

/// The working CRS for a set of layers: the given one, or the UTM zone of the centre of their
/// joint bounding box (in lon/lat; projected layers keep their own CRS).
pub fn working_crs(given: Option<Crs>, layers: &[&Layer]) -> Result<Crs, CrsError> {
    if let Some(crs) = given {
        if crs.is_geographic() {
            return Err(CrsError::NotProjected {
                layer: "the working CRS given".into(),
                crs: crs.to_string(),
            });
        }
        return Ok(crs);
    }
    if let Some(l) = layers.iter().find(|l| !l.crs.is_geographic()) {
        return Ok(l.crs);
    }
    let rect = layers.iter().filter_map(|l| l.bounding_rect()).reduce(union_rect);
    match rect {
        Some(r) => Ok(Crs::utm_for(r.center().x, r.center().y)),
        None => Err(CrsError::Unknown {
            layer: layers.first().map(|l| l.name.clone()).unwrap_or_default(),
        }),
    }
}

/// Reprojects a layer to `to` (in parallel over features, in place). The layer's coordinates
/// must have passed [`check_plausible`].
pub fn project_into(mut layer: Layer, to: Crs) -> Result<Layer, CrsError> {
    let r = Reprojection::new(layer.crs, to);
    let (name, ids) = (&layer.name, &layer.ids);
    // The first feature in file order that cannot be converted is the one named.
    crate::par::try_for_each_mut_init(&mut layer.geometries, ProjCache::default, |cache, i, g| match g {
        Some(g) => r.apply_feature(name, &ids[i], g, cache),
        None => Ok(()),
    })?;
    layer.crs = to;
    Ok(layer)
}

/// Reprojects a copy of a layer to `to`; see [`project_into`].
pub fn project(layer: &Layer, to: Crs) -> Result<Layer, CrsError> {
    Ok(Layer {
        name: layer.name.clone(),
        ids: layer.ids.clone(),
        geometries: project_geometries(layer.view(), to)?,
        attributes: layer.attributes.clone(),
        crs: to,
    })
}

/// A copy of a layer's geometries reprojected to `to`, each copied and reprojected by one task
/// (in parallel, no copy of the whole layer first); the error names the first feature in
/// input order that cannot be converted.
pub fn project_geometries(layer: LayerView<'_>, to: Crs) -> Result<Vec<Option<Geometry<f64>>>, CrsError> {
    let r = Reprojection::new(layer.crs, to);
    crate::par::try_map_init(layer.geometries, ProjCache::default, |cache, i, g| match g {
        Some(g) => {
            let mut g = g.clone();
            r.apply_feature(layer.name, &layer.ids[i], &mut g, cache)?;
            Ok(Some(g))
        }
        None => Ok(None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::WGS84;

    #[test]
    fn implausible_coordinates_name_the_first_feature_in_file_order() {
        use geo::point;
        use polars::prelude::DataFrame;
        let layer = |crs, pts: Vec<(f64, f64)>| {
            let n = pts.len();
            Layer::new(
                "pts.geojson",
                (0..n).map(|i| format!("p{i}")).collect(),
                pts.into_iter()
                    .map(|(x, y)| Some(point!(x: x, y: y).into()))
                    .collect(),
                DataFrame::empty_with_height(n),
                crs,
            )
            .unwrap()
        };
        let metres = layer(WGS84, vec![(-74.1, 4.6), (4880248.0, 2066385.0), (5e6, 2e6)]);
        let err = check_plausible(&metres).unwrap_err().to_string();
        assert!(
            err.contains("\"p1\"") && err.contains("4880248.0") && err.contains("metres"),
            "{err}"
        );
        let nan = layer(WGS84, vec![(f64::NAN, 4.6)]);
        assert!(check_plausible(&nan).unwrap_err().to_string().contains("finite"));
        let degrees = layer(Crs::Projected { epsg: 9377 }, vec![(-74.1, 4.6), (-74.0, 4.7)]);
        assert!(
            check_plausible(&degrees)
                .unwrap_err()
                .to_string()
                .contains("look like lon/lat")
        );
        assert!(
            check_plausible(&layer(
                Crs::Projected { epsg: 9377 },
                vec![(4880248.0, 2066385.0)]
            ))
            .is_ok()
        );
        assert!(check_plausible(&layer(WGS84, vec![(-74.1, 4.6)])).is_ok());
    }

    #[test]
    fn swapped_axes_are_caught_against_a_reference_layer() {
        use geo::point;
        use polars::prelude::DataFrame;
        let layer = |name: &str, pts: Vec<(f64, f64)>| {
            let n = pts.len();
            Layer::new(
                name,
                (0..n).map(|i| format!("p{i}")).collect(),
                pts.into_iter()
                    .map(|(x, y)| Some(point!(x: x, y: y).into()))
                    .collect(),
                DataFrame::empty_with_height(n),
                WGS84,
            )
            .unwrap()
        };
        let bogota = layer("upz.geojson", vec![(-74.2, 4.5), (-74.0, 4.8)]);
        let swapped = layer("sectors.geojson", vec![(4.61, -74.09), (4.62, -74.08)]);
        let err = check_axis_order(&swapped, &bogota).unwrap_err().to_string();
        assert!(
            err.contains("sectors.geojson") && err.contains("(lat, lon)") && err.contains("\"p0\""),
            "{err}"
        );
        // Right order, or far away in both orders (another city): nothing to say.
        assert!(check_axis_order(&layer("ok.geojson", vec![(-74.09, 4.61)]), &bogota).is_ok());
        assert!(check_axis_order(&layer("lima.geojson", vec![(-77.0, -12.0)]), &bogota).is_ok());
    }
}
