//! Reprojection of coordinates and geometries between two CRSs: proj4rs, the direct transverse
//! Mercator where it applies, a per-task cache of projected coordinates, and long rings
//! projected in parallel runs.

use geo::{Coord, Geometry};
use proj4rs::Proj;
use proj4rs::transform::{Transform, TransformClosure, transform};
use rayon::prelude::*;

use super::Crs;
use super::tmerc::TransverseMercator;
use crate::error::CrsError;

/// A transformation between two CRSs.
pub struct Reprojection {
    from: Crs,
    to: Crs,
    src: Proj,
    dst: Proj,
    /// The direct forward transverse Mercator, for lon/lat to a projected CRS.
    tm: Option<TransverseMercator>,
}

/// A direct-mapped cache of projected coordinates, keyed by the input's bits (a pure function
/// of the input, so results do not depend on what was cached). It holds 16,384 entries
/// (640 KiB): make one per task, not one per geometry.
pub struct ProjCache {
    entries: Vec<Option<CacheEntry>>,
}

/// The bits of an input coordinate and its projection.
type CacheEntry = ((u64, u64), Coord<f64>);

impl Default for ProjCache {
    fn default() -> Self {
        ProjCache {
            entries: vec![None; 1 << ProjCache::BITS],
        }
    }
}

impl ProjCache {
    const BITS: u32 = 14;

    #[inline]
    fn slot(&self, (x, y): (u64, u64)) -> usize {
        let h = (x ^ y.rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> (64 - Self::BITS)) as usize
    }
}

/// What [`try_for_each_run`] applies to each run of coordinates.
type RunFn<'f, E> = dyn FnMut(&mut [Coord<f64>]) -> Result<(), E> + 'f;

/// Applies `f` to every run of coordinates of a geometry (a line string's or ring's whole
/// list, or a single point), in place, in order, stopping at the first error.
fn try_for_each_run<E>(g: &mut Geometry<f64>, f: &mut RunFn<'_, E>) -> Result<(), E> {
    fn polygon<E>(p: &mut geo::Polygon<f64>, f: &mut RunFn<'_, E>) -> Result<(), E> {
        let mut result = Ok(());
        p.exterior_mut(|l| result = f(&mut l.0));
        if result.is_ok() {
            p.interiors_mut(|ls| result = ls.iter_mut().try_for_each(|l| f(&mut l.0)));
        }
        result
    }
    let one = std::slice::from_mut;
    match g {
        Geometry::Point(p) => f(one(&mut p.0)),
        Geometry::Line(l) => {
            f(one(&mut l.start))?;
            f(one(&mut l.end))
        }
        Geometry::LineString(l) => f(&mut l.0),
        Geometry::Polygon(p) => polygon(p, f),
        Geometry::MultiPoint(m) => m.0.iter_mut().try_for_each(|p| f(one(&mut p.0))),
        Geometry::MultiLineString(m) => m.0.iter_mut().try_for_each(|l| f(&mut l.0)),
        Geometry::MultiPolygon(m) => m.0.iter_mut().try_for_each(|p| polygon(p, f)),
        Geometry::GeometryCollection(c) => c.0.iter_mut().try_for_each(|g| try_for_each_run(g, f)),
        Geometry::Rect(r) => {
            let mut corners = [r.min(), r.max()];
            f(&mut corners)?;
            *r = geo::Rect::new(corners[0], corners[1]);
            Ok(())
        }
        Geometry::Triangle(t) => {
            let mut v = [t.v1(), t.v2(), t.v3()];
            f(&mut v)?;
            *t = geo::Triangle::new(v[0], v[1], v[2]);
            Ok(())
        }
    }
}

struct Xy<'a>(&'a mut Coord<f64>);

impl Transform for Xy<'_> {
    fn transform_coordinates<F: TransformClosure>(&mut self, f: &mut F) -> proj4rs::errors::Result<()> {
        let (x, y, _) = f(self.0.x, self.0.y, 0.0)?;
        self.0.x = x;
        self.0.y = y;
        Ok(())
    }
}

impl Reprojection {
    /// A transformation from `from` to `to`.
    ///
    /// WGS 84, MAGNA-SIRGAS, SIRGAS 2000 and the other GRS 80 datums with a null shift are
    /// all realisations of ITRF that agree to a few centimetres, and PROJ itself uses a null
    /// transformation between them. So between two such CRSs a geographic one takes the datum
    /// of the projected one: no datum shift (and no round trip through geocentric coordinates)
    /// is computed per point. A datum with a real shift (`+towgs84` parameters, e.g. PSAD56 in
    /// Peru's EPSG:24891) is transformed in full by `proj4rs`.
    pub fn new(from: Crs, to: Crs) -> Reprojection {
        let longlat = |datum: &str| {
            Proj::from_proj_string(&format!("+proj=longlat {datum} +no_defs"))
                .expect("a datum proj4rs parsed")
        };
        let null_shift = from.itrf_like() && to.itrf_like();
        let (src, dst) = match (from.is_geographic(), to.is_geographic()) {
            (true, false) if null_shift => (longlat(&to.datum()), to.proj()),
            (false, true) if null_shift => (from.proj(), longlat(&from.datum())),
            _ => (from.proj(), to.proj()),
        };
        let tm = if from.is_geographic() {
            TransverseMercator::new(to, &dst)
        } else {
            None
        };
        Reprojection {
            from,
            to,
            src,
            dst,
            tm,
        }
    }

    /// Transforms one coordinate (degrees in, degrees out for geographic CRSs).
    pub fn apply(&self, c: Coord<f64>) -> Result<Coord<f64>, String> {
        if self.from == self.to || (self.from.is_geographic() && self.to.is_geographic()) {
            return Ok(c);
        }
        let mut c = c;
        if self.from.is_geographic() {
            c.x = c.x.to_radians();
            c.y = c.y.to_radians();
        }
        if let Some(p) = self.tm.as_ref().and_then(|tm| tm.forward(c.x, c.y)) {
            return Ok(p);
        }
        transform(&self.src, &self.dst, &mut Xy(&mut c)).map_err(|e| e.to_string())?;
        if self.to.is_geographic() {
            c.x = c.x.to_degrees();
            c.y = c.y.to_degrees();
        }
        if c.x.is_finite() && c.y.is_finite() {
            Ok(c)
        } else {
            Err("the result is not finite".into())
        }
    }

    /// Transforms a geometry in place; on error returns the offending coordinate and message
    /// (the geometry is then left partly transformed).
    pub fn apply_geometry(&self, g: &mut Geometry<f64>) -> Result<(), (Coord<f64>, String)> {
        try_for_each_run(g, &mut |cs| {
            cs.iter_mut().try_for_each(|c| {
                *c = self.apply(*c).map_err(|e| (*c, e))?;
                Ok(())
            })
        })
    }

    /// Transforms feature `id` of `layer` in place, remembering recent results in `cache`: the
    /// units of a census layer share most vertices with their neighbours (which come shortly
    /// before them in the file), so most vertices are projected once instead of about four
    /// times; the result is the same as without the cache. The error names the layer, the
    /// feature, the offending coordinate and both CRSs.
    pub fn apply_feature(
        &self,
        layer: &str,
        id: &str,
        g: &mut Geometry<f64>,
        cache: &mut ProjCache,
    ) -> Result<(), CrsError> {
        self.apply_geometry_cached(g, cache)
            .map_err(|(c, reason)| CrsError::Transform {
                layer: layer.to_string(),
                id: id.to_string(),
                x: c.x,
                y: c.y,
                from: self.from.to_string(),
                to: self.to.to_string(),
                reason,
            })
    }

    fn apply_geometry_cached(
        &self,
        g: &mut Geometry<f64>,
        cache: &mut ProjCache,
    ) -> Result<(), (Coord<f64>, String)> {
        // (geo's in-place variant recurses without bound through GeometryCollection's types.)
        try_for_each_run(g, &mut |cs| {
            if cs.len() < Self::PARALLEL_RUN {
                return self.apply_run(cs, cache);
            }
            // A ring of a million vertices (a coastline) is split across the threads, each
            // with its own cache; the first error in coordinate order is the one reported.
            let results: Vec<_> = cs
                .par_chunks_mut(Self::PARALLEL_RUN / 2)
                .map_init(ProjCache::default, |cache, chunk| self.apply_run(chunk, cache))
                .collect();
            results.into_iter().collect()
        })
    }

    /// Coordinates in a run above which the run is reprojected in parallel.
    const PARALLEL_RUN: usize = 1 << 15;

    fn apply_run(&self, cs: &mut [Coord<f64>], cache: &mut ProjCache) -> Result<(), (Coord<f64>, String)> {
        cs.iter_mut().try_for_each(|c| {
            let key = (c.x.to_bits(), c.y.to_bits());
            let slot = cache.slot(key);
            if let Some((k, v)) = cache.entries[slot]
                && k == key
            {
                *c = v;
                return Ok(());
            }
            let v = self.apply(*c).map_err(|e| (*c, e))?;
            cache.entries[slot] = Some((key, v));
            *c = v;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::WGS84;

    #[test]
    fn a_long_ring_is_reprojected_as_point_by_point() {
        let n = Reprojection::PARALLEL_RUN * 2 + 5;
        let ring: Vec<Coord<f64>> = (0..n)
            .map(|i| Coord {
                x: -74.2 + (i % 977) as f64 * 1e-4,
                y: 4.5 + i as f64 * 1e-7,
            })
            .collect();
        let r = Reprojection::new(Crs::from_epsg(4326).unwrap(), Crs::from_epsg(9377).unwrap());
        let mut g = Geometry::LineString(geo::LineString::new(ring.clone()));
        r.apply_feature("l", "a", &mut g, &mut ProjCache::default())
            .unwrap();
        let expected: Vec<Coord<f64>> = ring.iter().map(|&c| r.apply(c).unwrap()).collect();
        let Geometry::LineString(got) = g else {
            unreachable!()
        };
        assert_eq!(got.0, expected);
        // The first failing coordinate in order is the one named, wherever the chunks split.
        let mut bad = ring.clone();
        bad[n - 3].y = 95.0;
        bad[Reprojection::PARALLEL_RUN + 1].y = 95.0;
        let mut g = Geometry::LineString(geo::LineString::new(bad));
        let (c, _) = r
            .apply_geometry_cached(&mut g, &mut ProjCache::default())
            .unwrap_err();
        assert_eq!(c.x, ring[Reprojection::PARALLEL_RUN + 1].x);
    }

    #[test]
    fn matches_cs2cs_to_the_millimetre() {
        let cases = [
            (9377, -74.08, 4.60, 4880248.454, 2066385.761),
            (32719, -70.65, -33.45, 346642.695, 6297606.832),
            (32718, -75.5, -18.5, 447219.331, 7954421.886),
        ];
        for (epsg, lon, lat, e, n) in cases {
            let fwd = Reprojection::new(WGS84, Crs::from_epsg(epsg).unwrap());
            let p = fwd.apply(Coord { x: lon, y: lat }).unwrap();
            assert!(
                (p.x - e).abs() < 1e-3 && (p.y - n).abs() < 1e-3,
                "EPSG:{epsg}: {p:?}"
            );
            let back = Reprojection::new(Crs::from_epsg(epsg).unwrap(), WGS84)
                .apply(p)
                .unwrap();
            assert!((back.x - lon).abs() < 1e-9 && (back.y - lat).abs() < 1e-9);
        }
    }

    /// Codes of the EPSG database outside careblock's own table, against pyproj 3.7.2 (PROJ
    /// 9.x, `Transformer.from_crs(src, dst, always_xy=True)`) to the millimetre: Mexico's LCC,
    /// Brazil's polyconic, Argentina's POSGAR 2007 zone 5, from WGS 84 and from the
    /// MAGNA-SIRGAS and SIRGAS 2000 lon/lat careblock already read; and Peru's PSAD56 / Peru
    /// west zone, whose datum shift (`+towgs84=-288,175,-376`) is applied. For EPSG:5347 and
    /// 24891 the references are PROJ's results for the database's PROJ.4 definitions: from the
    /// EPSG codes PROJ picks other datum transformations (WGS 84 -> POSGAR 2007 0.6 m away,
    /// another of the PSAD56 ones 9 m away).
    #[test]
    fn database_codes_match_pyproj_to_the_millimetre() {
        let cases = [
            (4326, 6372, -99.13, 19.43, 2800504.074, 828777.305),
            (4326, 6372, -106.0, 28.6, 2109405.570, 1842464.969),
            (4326, 5880, -47.93, -15.78, 5650314.885, 8245332.935),
            (4326, 5880, -43.2, -22.9, 6107064.065, 7425917.997),
            (4326, 5347, -58.38, -34.6, 5648609.980, 6170554.410),
            (4326, 5347, -60.7, -31.6, 5433568.505, 6504253.978),
            (4686, 6372, -99.13, 19.43, 2800504.074, 828777.305),
            (4674, 5880, -47.93, -15.78, 5650314.885, 8245332.935),
            (4326, 24891, -80.63, -5.19, 207844.818, 1516770.685),
        ];
        for (from, to, lon, lat, e, n) in cases {
            let (from, to) = (Crs::from_epsg(from).unwrap(), Crs::from_epsg(to).unwrap());
            assert!(!to.is_geographic());
            let p = Reprojection::new(from, to)
                .apply(Coord { x: lon, y: lat })
                .unwrap();
            assert!(
                (p.x - e).abs() < 1e-3 && (p.y - n).abs() < 1e-3,
                "{from} -> {to}: {p:?}, expected ({e}, {n})"
            );
            // Back within 1e-7° (1 cm): the datum shift's geocentric inverse iterates.
            let back = Reprojection::new(to, from).apply(p).unwrap();
            assert!(
                (back.x - lon).abs() < 1e-7 && (back.y - lat).abs() < 1e-7,
                "{to} -> {from}: {back:?}"
            );
        }
        // A geographic CRS of the database with its own datum, and its WKT for the writers.
        let psad56 = Crs::from_epsg(4248).unwrap();
        assert!(psad56.is_geographic() && psad56.wkt().contains("Provisional_South_American"));
        assert!(
            Crs::from_epsg(6372)
                .unwrap()
                .wkt()
                .contains("AUTHORITY[\"EPSG\",\"6372\"]")
        );
        assert_eq!(
            Crs::from_wkt(&Crs::from_epsg(5880).unwrap().wkt())
                .unwrap()
                .epsg(),
            5880
        );
    }

    #[test]
    fn direct_transverse_mercator_matches_proj4rs() {
        type Area = (&'static [u32], (f64, f64), (f64, f64));
        let areas: [Area; 2] = [
            (
                &[9377, 3116, 32617, 32618, 32619, 31972],
                (-79.5, -66.5),
                (-4.5, 13.5),
            ),
            (&[32718, 32719, 31978, 31979], (-76.0, -66.0), (-56.0, -17.0)),
        ];
        let (mut n, mut identical, mut worst) = (0usize, 0usize, 0f64);
        for (codes, (lon_a, lon_b), (lat_a, lat_b)) in areas {
            for &code in codes {
                let to = Crs::from_epsg(code).unwrap();
                for from in [WGS84, Crs::from_epsg(4686).unwrap()] {
                    let r = Reprojection::new(from, to);
                    assert!(r.tm.is_some(), "EPSG:{code}");
                    for i in 0..=60 {
                        for j in 0..=60 {
                            let c = Coord {
                                x: lon_a + (lon_b - lon_a) * f64::from(i) / 60.0 + 1e-7 * f64::from(j),
                                y: lat_a + (lat_b - lat_a) * f64::from(j) / 60.0,
                            };
                            let fast = r.apply(c).unwrap();
                            let mut slow = Coord {
                                x: c.x.to_radians(),
                                y: c.y.to_radians(),
                            };
                            transform(&r.src, &r.dst, &mut Xy(&mut slow)).unwrap();
                            let d = (fast.x - slow.x).abs().max((fast.y - slow.y).abs());
                            worst = worst.max(d);
                            identical += usize::from(fast == slow);
                            n += 1;
                        }
                    }
                }
            }
        }
        assert!(worst < 1e-9, "worst difference {worst} m");
        assert_eq!(identical, n, "bit-identical");
        // Far from the central meridian and at the poles, proj4rs answers (or refuses) as before.
        let r = Reprojection::new(WGS84, Crs::from_epsg(9377).unwrap());
        for (x, y) in [
            (120.0, 0.0),
            (17.0, 0.0),
            (-73.0, 90.0),
            (-73.0, -89.99999),
            (179.9, 10.0),
            (-180.0, 0.0),
        ] {
            let mut slow = Coord {
                x: f64::to_radians(x),
                y: f64::to_radians(y),
            };
            let slow = transform(&r.src, &r.dst, &mut Xy(&mut slow))
                .ok()
                .map(|()| slow)
                .filter(|c| c.x.is_finite() && c.y.is_finite());
            assert_eq!(r.apply(Coord { x, y }).ok(), slow, "({x}, {y})");
        }
        assert!(r.apply(Coord { x: 17.0, y: 0.0 }).is_err());
    }

    #[test]
    fn geometries_are_projected_in_place_like_points() {
        use geo::{LineString, MultiPolygon, Polygon};
        let r = Reprojection::new(WGS84, Crs::from_epsg(9377).unwrap());
        let ring = LineString::from(vec![(-74.1, 4.6), (-74.0, 4.6), (-74.0, 4.7), (-74.1, 4.6)]);
        let hole = LineString::from(vec![
            (-74.06, 4.62),
            (-74.05, 4.62),
            (-74.05, 4.63),
            (-74.06, 4.62),
        ]);
        let mut g =
            Geometry::MultiPolygon(MultiPolygon(vec![Polygon::new(ring.clone(), vec![hole.clone()])]));
        r.apply_geometry(&mut g).unwrap();
        let Geometry::MultiPolygon(mp) = &g else { panic!() };
        let p = &mp.0[0];
        for (got, orig) in p
            .exterior()
            .0
            .iter()
            .zip(&ring.0)
            .chain(p.interiors()[0].0.iter().zip(&hole.0))
        {
            assert_eq!(*got, r.apply(*orig).unwrap());
        }
        let mut bad = Geometry::Point(geo::Point::new(17.0, 0.0));
        assert!(r.apply_geometry(&mut bad).is_err());
    }
}
