//! Coordinate reference systems: any EPSG code of the `crs-definitions` database (6,000-odd
//! codes, with PROJ.4 and WKT definitions) plus the hand-written definitions careblock has
//! always had (EPSG:9377, which the database lacks, 3116, the UTM zones, and the geographic
//! 4326/4686/4674); parsing of user and file CRS texts, plausibility checks of coordinates,
//! the default UTM zone of a study area, and reprojection with the pure-Rust `proj4rs`.
//!
//! Areas and distances are only ever computed in a [`Crs::Projected`] CRS, whose unit is always
//! the metre: a projected CRS in feet, web Mercator (which distorts areas), geocentric or
//! otherwise unusable definitions are refused by [`Crs::from_epsg`], naming the code and why.

use std::fmt;

use geo::{Coord, Geometry};
use proj4rs::Proj;
use proj4rs::transform::{Transform, TransformClosure, transform};
use rayon::prelude::*;

use crate::error::CrsError;
use crate::layer::{Layer, union_rect};

/// A coordinate reference system careblock can read, measure in, or write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Crs {
    /// Longitude/latitude in degrees (EPSG:4326 WGS 84, 4686 MAGNA-SIRGAS, 4674 SIRGAS 2000, or
    /// any geographic CRS of the EPSG database). Axis order is always (lon, lat), as in GeoJSON
    /// and shapefiles.
    Geographic {
        /// The EPSG code.
        epsg: u32,
    },
    /// A projected CRS in metres (EPSG:9377, 3116, a UTM zone, or any metre-based projected CRS
    /// of the EPSG database that `proj4rs` can compute).
    Projected {
        /// The EPSG code.
        epsg: u32,
    },
}

/// WGS 84, the CRS of RFC 7946 GeoJSON.
pub const WGS84: Crs = Crs::Geographic { epsg: 4326 };

const TOWGS84_ZERO: &str = "+towgs84=0,0,0,0,0,0,0";

impl Crs {
    /// The CRS of an EPSG code: careblock's own definitions first, then the EPSG database.
    ///
    /// ```
    /// use careblock_core::Crs;
    /// assert_eq!(Crs::from_epsg(9377).unwrap(), Crs::Projected { epsg: 9377 });
    /// assert!(Crs::from_epsg(4686).unwrap().is_geographic());
    /// assert_eq!(Crs::from_epsg(6372).unwrap(), Crs::Projected { epsg: 6372 }); // Mexico LCC
    /// assert!(Crs::from_epsg(3857).is_err()); // web mercator distorts distances
    /// assert!(Crs::from_epsg(2263).is_err()); // New York State Plane, in US feet
    /// ```
    pub fn from_epsg(code: u32) -> Result<Crs, CrsError> {
        match code {
            4326 | 4686 | 4674 => Ok(Crs::Geographic { epsg: code }),
            9377 | 3116 | 32601..=32660 | 32701..=32760 | 31971..=31985 => Ok(Crs::Projected { epsg: code }),
            _ => {
                let proj4 = database_proj4(code).ok_or(CrsError::UnknownEpsg { code })?;
                let refuse = |reason: String| CrsError::UnsupportedEpsg { code, reason };
                let param = |key: &str| {
                    proj4
                        .split_whitespace()
                        .find_map(|t| t.strip_prefix(key)?.strip_prefix('='))
                };
                let crs = match param("+proj") {
                    Some("longlat" | "latlong" | "lonlat" | "latlon") => Crs::Geographic { epsg: code },
                    Some("geocent") => {
                        return Err(refuse("it is geocentric (x, y, z), not a map projection".into()));
                    }
                    Some("merc") => {
                        return Err(refuse(
                            "Mercator distorts areas and distances away from the equator; use a UTM zone or the national projected CRS".into(),
                        ));
                    }
                    _ => Crs::Projected { epsg: code },
                };
                if !crs.is_geographic() {
                    let units = param("+units").unwrap_or("m");
                    let to_meter = param("+to_meter").map(|v| v.parse::<f64>().unwrap_or(f64::NAN));
                    if units != "m" || to_meter.is_some_and(|k| k != 1.0) {
                        return Err(refuse(format!(
                            "its unit is {} and careblock measures in metres; reproject the data to a metre-based CRS (e.g. ogr2ogr -t_srs EPSG:<code>) or choose one for the working CRS",
                            match (units, to_meter) {
                                ("us-ft", _) => "the US survey foot".to_string(),
                                ("ft", _) => "the international foot".to_string(),
                                (_, Some(k)) => format!("{k} m"),
                                (u, None) => format!("{u:?}"),
                            }
                        )));
                    }
                }
                if let Err(e) = Proj::from_proj_string(proj4) {
                    return Err(refuse(format!(
                        "the projection library cannot use its definition ({e}): {proj4}"
                    )));
                }
                Ok(crs)
            }
        }
    }

    /// Whether the CRS is one of careblock's own hand-written definitions (the geographic
    /// 4326, 4686 and 4674, and the transverse Mercator 9377, 3116 and UTM zones) rather than
    /// one read from the EPSG database.
    fn is_builtin(&self) -> bool {
        matches!(
            self.epsg(),
            4326 | 4686 | 4674 | 9377 | 3116 | 32601..=32660 | 32701..=32760 | 31971..=31985
        )
    }

    /// Parses `EPSG:9377`, `epsg:9377`, `9377`, an OGC URN (`urn:ogc:def:crs:EPSG::4686`,
    /// `urn:ogc:def:crs:OGC:1.3:CRS84`) or `CRS84`.
    pub fn parse(text: &str) -> Result<Crs, CrsError> {
        let t = text.trim();
        let upper = t.to_ascii_uppercase();
        if upper == "CRS84" || upper.ends_with(":CRS84") || upper == "WGS84" {
            return Ok(WGS84);
        }
        let digits = upper
            .strip_prefix("EPSG:")
            .or_else(|| upper.strip_prefix("URN:OGC:DEF:CRS:EPSG::"))
            .or_else(|| {
                upper
                    .strip_prefix("URN:OGC:DEF:CRS:EPSG:")
                    .and_then(|rest| rest.rsplit(':').next())
            })
            .unwrap_or(&upper);
        let code: u32 = digits.trim().parse().map_err(|_| CrsError::Unparseable {
            text: t.to_string(),
            reason: "expected EPSG:<code>, <code> or an OGC URN",
        })?;
        Crs::from_epsg(code)
    }

    /// Recognises the CRS of an ESRI `.prj` / OGC WKT text. An `AUTHORITY["EPSG",…]` of the
    /// whole CRS wins; otherwise the datum and projection names are matched.
    pub fn from_wkt(wkt: &str) -> Result<Crs, CrsError> {
        let refuse = |reason| CrsError::Unparseable {
            text: wkt.chars().take(120).collect(),
            reason,
        };
        let w = wkt.trim();
        // The CRS's own authority is the last one in WKT1 (it closes the outermost node).
        if let Some(pos) = w.rfind("AUTHORITY[\"EPSG\",") {
            let rest = &w[pos + "AUTHORITY[\"EPSG\",".len()..];
            let code: String = rest
                .chars()
                .skip_while(|c| !c.is_ascii_digit())
                .take_while(|c| c.is_ascii_digit())
                .collect();
            let tail = rest.trim_start_matches(|c: char| c == '"' || c.is_ascii_digit());
            // Only trust it if it closes the outermost node.
            if tail.trim_start_matches(['"', ']', ' ']).is_empty()
                && let Ok(code) = code.parse()
            {
                return Crs::from_epsg(code);
            }
        }
        let upper = w.to_ascii_uppercase().replace(' ', "_");
        if upper.starts_with("GEOGCS") || upper.starts_with("GEOGCRS") {
            if upper.contains("MAGNA") {
                return Ok(Crs::Geographic { epsg: 4686 });
            }
            if upper.contains("SIRGAS") {
                return Ok(Crs::Geographic { epsg: 4674 });
            }
            if upper.contains("WGS_1984") || upper.contains("WGS_84") || upper.contains("WGS84") {
                return Ok(WGS84);
            }
            return Err(refuse(
                "a geographic CRS without an EPSG authority whose datum is not WGS 84, MAGNA-SIRGAS or SIRGAS 2000; give --crs EPSG:<code>",
            ));
        }
        if upper.starts_with("PROJCS") || upper.starts_with("PROJCRS") {
            if upper.contains("ORIGEN-NACIONAL") || upper.contains("ORIGEN_NACIONAL") {
                return Ok(Crs::Projected { epsg: 9377 });
            }
            if upper.contains("MAGNA") && upper.contains("BOGOTA") {
                return Ok(Crs::Projected { epsg: 3116 });
            }
            if let Some(pos) = upper.find("UTM_ZONE_") {
                let rest = &upper[pos + "UTM_ZONE_".len()..];
                let zone: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
                let south = rest[zone.len()..].starts_with('S');
                if let Ok(zone) = zone.parse::<u32>() {
                    if upper.contains("SIRGAS") && (17..=25).contains(&zone) {
                        let code = if south { 31960 + zone } else { 31954 + zone };
                        return Crs::from_epsg(code);
                    }
                    if upper.contains("WGS") && (1..=60).contains(&zone) {
                        return Crs::from_epsg(if south { 32700 } else { 32600 } + zone);
                    }
                }
            }
            return Err(refuse(
                "a projected CRS careblock does not know; give --crs EPSG:<code>",
            ));
        }
        Err(refuse("not a WKT CRS"))
    }

    /// The EPSG code.
    pub fn epsg(&self) -> u32 {
        match *self {
            Crs::Geographic { epsg } | Crs::Projected { epsg } => epsg,
        }
    }

    /// Whether coordinates are lon/lat degrees.
    pub fn is_geographic(&self) -> bool {
        matches!(self, Crs::Geographic { .. })
    }

    /// The PROJ.4 definition used for transformations.
    pub fn proj_string(&self) -> String {
        if !self.is_builtin() {
            // `from_epsg` admits no code outside the database but the built-in ones.
            return database_proj4(self.epsg()).unwrap_or_default().to_string();
        }
        match self.epsg() {
            4326 => "+proj=longlat +datum=WGS84 +no_defs".into(),
            4686 | 4674 => format!("+proj=longlat +ellps=GRS80 {TOWGS84_ZERO} +no_defs"),
            9377 => format!(
                "+proj=tmerc +lat_0=4 +lon_0=-73 +k=0.9992 +x_0=5000000 +y_0=2000000 +ellps=GRS80 {TOWGS84_ZERO} +units=m +no_defs"
            ),
            3116 => format!(
                "+proj=tmerc +lat_0=4.59620041666667 +lon_0=-74.0775079166667 +k=1 +x_0=1000000 +y_0=1000000 +ellps=GRS80 {TOWGS84_ZERO} +units=m +no_defs"
            ),
            code @ 32601..=32660 => {
                format!("+proj=utm +zone={} +datum=WGS84 +units=m +no_defs", code - 32600)
            }
            code @ 32701..=32760 => {
                format!(
                    "+proj=utm +zone={} +south +datum=WGS84 +units=m +no_defs",
                    code - 32700
                )
            }
            code @ 31971..=31976 => format!(
                "+proj=utm +zone={} +ellps=GRS80 {TOWGS84_ZERO} +units=m +no_defs",
                code - 31954
            ),
            code => format!(
                "+proj=utm +zone={} +south +ellps=GRS80 {TOWGS84_ZERO} +units=m +no_defs",
                code - 31960
            ),
        }
    }

    /// The OGC WKT1 definition (GDAL's flavour, with `AUTHORITY["EPSG",…]` nodes on the CRS,
    /// its datum, ellipsoid, prime meridian and units), as stored in a GeoPackage's
    /// `gpkg_spatial_ref_sys` or a shapefile's `.prj`. [`Crs::from_wkt`] reads it back.
    ///
    /// ```
    /// use careblock_core::Crs;
    /// let wkt = Crs::Projected { epsg: 9377 }.wkt();
    /// assert!(wkt.starts_with("PROJCS[\"MAGNA-SIRGAS / Origen-Nacional\""));
    /// assert!(wkt.ends_with("AUTHORITY[\"EPSG\",\"9377\"]]"));
    /// ```
    pub fn wkt(&self) -> String {
        let code = self.epsg();
        if !self.is_builtin() {
            return crs_definitions::from_code(code as u16)
                .map(|d| d.wkt.to_string())
                .unwrap_or_default();
        }
        let tm = |name: &str, geog: u32, lat0: &str, lon0: &str, k: &str, x0: &str, y0: &str, axes: &str| {
            format!(
                "PROJCS[\"{name}\",{},PROJECTION[\"Transverse_Mercator\"],PARAMETER[\"latitude_of_origin\",{lat0}],PARAMETER[\"central_meridian\",{lon0}],PARAMETER[\"scale_factor\",{k}],PARAMETER[\"false_easting\",{x0}],PARAMETER[\"false_northing\",{y0}],UNIT[\"metre\",1,AUTHORITY[\"EPSG\",\"9001\"]],{axes},AUTHORITY[\"EPSG\",\"{code}\"]]",
                geogcs(geog, false)
            )
        };
        const NE: &str = "AXIS[\"Northing\",NORTH],AXIS[\"Easting\",EAST]";
        const EN: &str = "AXIS[\"Easting\",EAST],AXIS[\"Northing\",NORTH]";
        let utm = |datum: &str, geog: u32, zone: u32, south: bool| {
            let lon0 = format!("{}", zone as i32 * 6 - 183);
            let hemi = if south { 'S' } else { 'N' };
            tm(
                &format!("{datum} / UTM zone {zone}{hemi}"),
                geog,
                "0",
                &lon0,
                "0.9996",
                "500000",
                if south { "10000000" } else { "0" },
                EN,
            )
        };
        match code {
            4326 | 4686 | 4674 => geogcs(code, true),
            9377 => tm(
                "MAGNA-SIRGAS / Origen-Nacional",
                4686,
                "4",
                "-73",
                "0.9992",
                "5000000",
                "2000000",
                NE,
            ),
            3116 => tm(
                "MAGNA-SIRGAS / Colombia Bogota zone",
                4686,
                "4.59620041666667",
                "-74.0775079166667",
                "1",
                "1000000",
                "1000000",
                NE,
            ),
            32601..=32660 => utm("WGS 84", 4326, code - 32600, false),
            32701..=32760 => utm("WGS 84", 4326, code - 32700, true),
            31971..=31976 => utm("SIRGAS 2000", 4674, code - 31954, false),
            // `from_epsg` admits no other code: 31977..=31985, zones 17S..25S.
            _ => utm("SIRGAS 2000", 4674, code - 31960, true),
        }
    }

    /// The WGS 84 UTM zone (EPSG:326zz north, 327zz south) that holds a lon/lat point: the
    /// default working CRS for a study area with no CRS given.
    ///
    /// ```
    /// use careblock_core::Crs;
    /// assert_eq!(Crs::utm_for(-74.08, 4.60).epsg(), 32618); // Bogotá
    /// assert_eq!(Crs::utm_for(-72.94, -41.47).epsg(), 32718); // Puerto Montt
    /// ```
    pub fn utm_for(lon: f64, lat: f64) -> Crs {
        let zone = (((lon + 180.0) / 6.0).floor() as i64).clamp(0, 59) as u32 + 1;
        let epsg = if lat < 0.0 { 32700 + zone } else { 32600 + zone };
        Crs::Projected { epsg }
    }

    /// The datum part of the PROJ definition (datum, ellipsoid and shift parameters).
    fn datum(&self) -> String {
        match self.epsg() {
            4326 | 32601..=32660 | 32701..=32760 => "+datum=WGS84".into(),
            _ if self.is_builtin() => "+ellps=GRS80 +towgs84=0,0,0,0,0,0,0".into(),
            _ => self
                .proj_string()
                .split_whitespace()
                .filter(|t| {
                    [
                        "+datum=",
                        "+ellps=",
                        "+towgs84=",
                        "+a=",
                        "+b=",
                        "+rf=",
                        "+R=",
                        "+nadgrids=",
                    ]
                    .iter()
                    .any(|k| t.starts_with(k))
                })
                .collect::<Vec<_>>()
                .join(" "),
        }
    }

    /// Whether the datum is a realisation of ITRF (WGS 84, or GRS 80 with a null shift to it,
    /// as SIRGAS, MAGNA-SIRGAS, ITRF2008, Mexico's ITRF92, POSGAR 2007), for which PROJ itself
    /// uses a null transformation between geographic and projected CRSs.
    fn itrf_like(&self) -> bool {
        let d = self.datum();
        d == "+datum=WGS84"
            || d == "+ellps=WGS84"
            || d == "+ellps=GRS80"
            || d == "+ellps=GRS80 +towgs84=0,0,0,0,0,0,0"
            || d == "+ellps=WGS84 +towgs84=0,0,0,0,0,0,0"
    }

    fn proj(&self) -> Proj {
        // Every definition above is a constant PROJ.4 string that proj4rs parses (unit-tested in
        // `every_known_crs_builds`), so this cannot fail at run time.
        Proj::from_proj_string(&self.proj_string()).expect("built-in PROJ string")
    }
}

/// The PROJ.4 definition of an EPSG code in the `crs-definitions` database.
fn database_proj4(code: u32) -> Option<&'static str> {
    let code = u16::try_from(code).ok()?;
    crs_definitions::from_code(code)
        .map(|d| d.proj4)
        .filter(|p| !p.is_empty())
}

/// The WKT1 GEOGCS of a geographic CRS careblock knows (4326, 4686, 4674), with the EPSG axis
/// order (latitude, longitude) when it stands alone; nested in a PROJCS it has no AXIS nodes.
fn geogcs(code: u32, axes: bool) -> String {
    let (name, datum, datum_code, spheroid) = match code {
        4686 => (
            "MAGNA-SIRGAS",
            "Marco_Geocentrico_Nacional_de_Referencia",
            6686,
            GRS80,
        ),
        4674 => (
            "SIRGAS 2000",
            "Sistema_de_Referencia_Geocentrico_para_las_AmericaS_2000",
            6674,
            GRS80,
        ),
        _ => (
            "WGS 84",
            "WGS_1984",
            6326,
            "SPHEROID[\"WGS 84\",6378137,298.257223563,AUTHORITY[\"EPSG\",\"7030\"]]",
        ),
    };
    format!(
        "GEOGCS[\"{name}\",DATUM[\"{datum}\",{spheroid},AUTHORITY[\"EPSG\",\"{datum_code}\"]],PRIMEM[\"Greenwich\",0,AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],{}AUTHORITY[\"EPSG\",\"{code}\"]]",
        if axes {
            "AXIS[\"Latitude\",NORTH],AXIS[\"Longitude\",EAST],"
        } else {
            ""
        }
    )
}

const GRS80: &str = "SPHEROID[\"GRS 1980\",6378137,298.257222101,AUTHORITY[\"EPSG\",\"7019\"]]";

impl fmt::Display for Crs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EPSG:{}", self.epsg())
    }
}

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
                layer: "--crs".into(),
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

/// A transformation between two CRSs.
pub struct Reprojection {
    from: Crs,
    to: Crs,
    src: Proj,
    dst: Proj,
    /// The direct forward transverse Mercator, for lon/lat to a projected CRS.
    tm: Option<TransverseMercator>,
}

/// The forward (lon/lat → metres) transverse Mercator of every projected CRS careblock knows
/// (EPSG:9377, 3116 and the UTM zones), evaluated directly: the Krüger series in the third
/// flattening n to order 6 (Karney 2011, eq. 35; the Poder/Engsager formulation of
/// proj4rs' `etmerc`), with proj4rs' own constants, coefficients and order of operations, so
/// that it gives proj4rs' results (bit for bit on the study areas; tested) without its
/// per-point pipeline. Points outside its domain go through proj4rs, which reports them.
struct TransverseMercator {
    /// Longitude of origin, radians.
    lam0: f64,
    x0: f64,
    y0: f64,
    /// Semi-major axis.
    a: f64,
    /// Meridian quadrant scaled to the projection (K&W `Qn`) and the northing of the origin.
    qn: f64,
    zb: f64,
    /// Geodetic → Gaussian latitude and Gaussian → ellipsoidal TM coefficients, highest order
    /// first (as Clenshaw summation uses them).
    cbg: [f64; 6],
    gtu: [f64; 6],
}

/// Clenshaw summation of `B + Σ c_k sin(2kB)` (coefficients highest order first).
#[inline]
fn gatg(c: &[f64; 6], b: f64) -> f64 {
    let cos_2b = 2. * (2. * b).cos();
    let (mut h1, mut h2) = (c[0], 0.);
    for &p in &c[1..] {
        let h = -h2 + cos_2b * h1 + p;
        h2 = h1;
        h1 = h;
    }
    b + h1 * (2. * b).sin()
}

/// Complex Clenshaw summation (proj4rs' `clens_cplx`, same operations in the same order).
#[inline]
fn clens_cplx(a: &[f64; 6], arg_r: f64, arg_i: f64) -> (f64, f64) {
    let (sin_r, cos_r) = arg_r.sin_cos();
    let sinh_i = arg_i.sinh();
    let cosh_i = arg_i.cosh();
    let r = 2. * cos_r * cosh_i;
    let i = -2. * sin_r * sinh_i;
    let (mut hi1, mut hi2, mut hr1, mut hr2);
    let (mut hi, mut hr) = (0., a[0]);
    (hi1, hr1) = (0., 0.);
    for &p in &a[1..] {
        hr2 = hr1;
        hi2 = hi1;
        hr1 = hr;
        hi1 = hi;
        hi = -hi2 + i * hr1 + r * hi1;
        hr = -hr2 + r * hr1 - i * hi1 + p;
    }
    let r = sin_r * cosh_i;
    let i = cos_r * sinh_i;
    (r * hr - i * hi, r * hi + i * hr)
}

/// Real Clenshaw summation of `Σ a_k sin(k·arg)` (proj4rs' `clens`).
fn clens(a: &[f64; 6], arg_r: f64) -> f64 {
    let r = 2. * arg_r.cos();
    let (mut hr1, mut hr2);
    let mut hr = a[0];
    hr1 = 0.;
    for &p in &a[1..] {
        hr2 = hr1;
        hr1 = hr;
        hr = -hr2 + r * hr1 + p;
    }
    arg_r.sin() * hr
}

impl TransverseMercator {
    /// The projection of a projected CRS careblock knows, from the parameters proj4rs parsed.
    fn new(crs: Crs, proj: &Proj) -> Option<TransverseMercator> {
        if crs.is_geographic() || !crs.is_builtin() || proj.to_meter() != 1.0 || proj.from_greenwich() != 0.0
        {
            return None;
        }
        // Every projected CRS careblock knows is on GRS 80 or WGS 84, defined by 1/f.
        let rf = match crs.datum().as_str() {
            "+datum=WGS84" => 298.257_223_563,
            _ => 298.257222101,
        };
        let f = 1. / rf;
        let n = f / (2. - f);
        let n2 = n * n;
        #[rustfmt::skip]
        let mut cbg = [
            n * (-2. + n*( 2./3.0 + n*( 4./3.0  + n*(-82./45.0 + n*(32./45.0 + n*(4642./4725.0)))))),
            n2 * (5./3.0 + n*(-16./15.0 + n*(-13./9.0  + n*(904./315.0 + n*(-1522./945.0))))),
            n2 * n * (-26./15.0 + n*(34./21.0 + n*(8./5.0 + n*(-12686./2835.0)))),
            n2 * n2 * (1237./630.0 + n*(-12./5.0 + n*(-24832./14175.0))),
            n2 * n2 * n * (-734./315.0 + n*(109598./31185.0)),
            n2 * n2 * n2 * (444337./155925.0),
        ];
        #[rustfmt::skip]
        let mut gtu = [
            n *( 0.5 + n*(-2./3.0 + n*(5./16.0 + n*(41./180.0 + n*(-127./288.0 + n*(7891./37800.0)))))),
            n2 * (13./48.0 + n*(-3./5.0 + n*(557./1440.0 + n*(281./630.0 + n*(-1983433./1935360.0))))),
            n2 * n * (61./240.0 + n*(-103./140.0 + n*(15061./26880.0 + n*(167603./181440.0)))),
            n2 * n2 * (49561./161280.0 + n*(-179./168.0 + n*(6601661./7257600.0))),
            n2 * n2 * n * (34729./80640.0 + n*(-3418889./1995840.0)),
            n2 * n2 * n2 * (212378941./319334400.0),
        ];
        cbg.reverse();
        gtu.reverse();
        let k0 = proj.scaling_factor();
        let qn = k0 / (1. + n) * (1. + n2 * (1. / 4.0 + n2 * (1. / 64.0 + n2 / 256.0)));
        let z = gatg(&cbg, proj.latitude_of_origin());
        let zb = -qn * (z + clens(&gtu, 2. * z));
        Some(TransverseMercator {
            lam0: proj.longitude_of_origin(),
            x0: proj.false_easting(),
            y0: proj.false_northing(),
            a: proj.ellipse_parameters().0,
            qn,
            zb,
            cbg,
            gtu,
        })
    }

    /// Projects (lon, lat) in radians; `None` where proj4rs would refuse or clamp the point
    /// (near the poles, beyond ±10 rad, or too far from the central meridian).
    #[inline]
    fn forward(&self, lam: f64, phi: f64) -> Option<Coord<f64>> {
        const EPS_12: f64 = 1e-12;
        if phi.abs() - std::f64::consts::FRAC_PI_2 >= -EPS_12 || lam.abs() > 10. {
            return None;
        }
        let mut lam = lam - self.lam0;
        if lam.abs() >= std::f64::consts::PI + EPS_12 {
            return None;
        }
        let cn = gatg(&self.cbg, phi);
        let (sin_cn, cos_cn) = cn.sin_cos();
        let (sin_ce, cos_ce) = lam.sin_cos();
        let cn = sin_cn.atan2(cos_ce * cos_cn);
        lam = (sin_ce * cos_cn).atan2(sin_cn.hypot(cos_cn * cos_ce));
        let ce = lam.tan();
        // proj4rs' asinh
        let ce = (ce.abs() + 1.0f64.hypot(ce)).ln().copysign(ce);
        let (dcn, dce) = clens_cplx(&self.gtu, 2. * cn, 2. * ce);
        let (cn, ce) = (cn + dcn, ce + dce);
        if ce.abs() > 2.623395162778 {
            return None;
        }
        let (x, y) = (self.qn * ce, self.qn * cn + self.zb);
        let out = Coord {
            x: self.a * x + self.x0,
            y: self.a * y + self.y0,
        };
        (out.x.is_finite() && out.y.is_finite()).then_some(out)
    }
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

/// Reprojects a layer to `to` (in parallel over features, in place). The layer's coordinates
/// must have passed [`check_plausible`].
pub fn project_into(mut layer: Layer, to: Crs) -> Result<Layer, CrsError> {
    let r = Reprojection::new(layer.crs, to);
    let name = &layer.name;
    layer
        .geometries
        .par_iter_mut()
        .zip(layer.ids.par_iter())
        .try_for_each_init(ProjCache::default, |cache, (g, id)| match g {
            Some(g) => r.apply_feature(name, id, g, cache),
            None => Ok(()),
        })?;
    layer.crs = to;
    Ok(layer)
}

/// Reprojects a copy of a layer to `to`; see [`project_into`].
pub fn project(layer: &Layer, to: Crs) -> Result<Layer, CrsError> {
    project_into(layer.clone(), to)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn every_known_crs_builds() {
        let codes = [
            4326, 4686, 4674, 9377, 3116, 32618, 32718, 32719, 31972, 31978, 31979,
        ];
        for code in codes
            .into_iter()
            .chain(32601..=32660)
            .chain(32701..=32760)
            .chain(31971..=31985)
        {
            let crs = Crs::from_epsg(code).unwrap();
            Proj::from_proj_string(&crs.proj_string()).unwrap();
        }
    }

    /// Reference values from PROJ 9.1.1 `cs2cs` (recorded in the project's dependency notes).
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
    fn codes_careblock_cannot_measure_in_are_refused_with_the_reason() {
        let reason = |code| match Crs::from_epsg(code) {
            Err(CrsError::UnsupportedEpsg { code: c, reason }) => {
                assert_eq!(c, code);
                reason
            }
            other => panic!("EPSG:{code}: {other:?}"),
        };
        assert!(reason(2263).contains("US survey foot"), "New York State Plane");
        assert!(
            reason(2227).contains("US survey foot"),
            "California State Plane zone 3"
        );
        assert!(reason(3857).contains("Mercator"));
        assert!(reason(4978).contains("geocentric"));
        let msg = Crs::parse("EPSG:99999").unwrap_err().to_string();
        assert!(
            msg.contains("EPSG:99999") && msg.contains("check the code"),
            "{msg}"
        );
        let msg = Crs::from_epsg(2263).unwrap_err().to_string();
        assert!(
            msg.starts_with("EPSG:2263 cannot be used: its unit is the US survey foot"),
            "{msg}"
        );
    }

    /// The direct transverse Mercator gives proj4rs' results over the study areas (Colombia in
    /// EPSG:9377, 3116 and UTM 17N–19N; Chile in UTM 18S/19S and SIRGAS 2000 zones) bit for
    /// bit (the requirement is 1 mm).
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

    #[test]
    fn parses_user_texts() {
        for t in [
            "9377",
            "EPSG:9377",
            "epsg:9377",
            " EPSG:9377 ",
            "urn:ogc:def:crs:EPSG::9377",
        ] {
            assert_eq!(Crs::parse(t).unwrap().epsg(), 9377, "{t}");
        }
        assert_eq!(Crs::parse("urn:ogc:def:crs:OGC:1.3:CRS84").unwrap(), WGS84);
        assert!(matches!(
            Crs::parse("EPSG:abc"),
            Err(CrsError::Unparseable { .. })
        ));
        assert!(matches!(
            Crs::parse("EPSG:1234"),
            Err(CrsError::UnknownEpsg { code: 1234 })
        ));
    }

    #[test]
    fn reads_prj_files() {
        let wgs = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        let magna = r#"GEOGCS["GCS_MAGNA",DATUM["D_MAGNA",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
        let utm = r#"PROJCS["WGS_1984_UTM_Zone_18S",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]]],PROJECTION["Transverse_Mercator"],UNIT["Meter",1.0]]"#;
        let sirgas = r#"PROJCS["SIRGAS 2000 / UTM zone 19S",GEOGCS["SIRGAS 2000"],PROJECTION["Transverse_Mercator"],AUTHORITY["EPSG","31979"]]"#;
        assert_eq!(Crs::from_wkt(wgs).unwrap(), WGS84);
        assert_eq!(Crs::from_wkt(magna).unwrap().epsg(), 4686);
        assert_eq!(Crs::from_wkt(utm).unwrap().epsg(), 32718);
        assert_eq!(Crs::from_wkt(sirgas).unwrap().epsg(), 31979);
        assert!(Crs::from_wkt("LOCAL_CS[\"x\"]").is_err());
    }

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

    #[test]
    fn utm_zone_of_study_areas() {
        assert_eq!(Crs::utm_for(-74.1, 4.65), Crs::Projected { epsg: 32618 });
        assert_eq!(Crs::utm_for(-70.65, -33.45), Crs::Projected { epsg: 32719 });
        assert_eq!(Crs::utm_for(180.0, 0.0).epsg(), 32660);
    }

    /// Every code of the table: the first and last zone of each UTM family and the rest.
    const WKT_CODES: [u32; 15] = [
        4326, 4686, 4674, 9377, 3116, 32601, 32618, 32660, 32701, 32718, 32760, 31971, 31976, 31977, 31985,
    ];

    #[test]
    fn wkt_reads_back_as_the_same_crs() {
        for code in WKT_CODES {
            let crs = Crs::from_epsg(code).unwrap();
            let wkt = crs.wkt();
            assert_eq!(Crs::from_wkt(&wkt).unwrap(), crs, "{wkt}");
            assert_eq!(wkt.matches('[').count(), wkt.matches(']').count(), "{wkt}");
            // Without its own AUTHORITY node the names and parameters must still say which CRS
            // it is (what `from_wkt` does with a .prj that has none).
            let tail = format!(",AUTHORITY[\"EPSG\",\"{code}\"]]");
            let bare = format!("{}]", wkt.strip_suffix(&tail).unwrap());
            assert_eq!(Crs::from_wkt(&bare).unwrap(), crs, "{bare}");
        }
        assert!(Crs::Projected { epsg: 32718 }.wkt().contains("UTM zone 18S"));
        assert!(
            Crs::Projected { epsg: 31985 }
                .wkt()
                .contains("PARAMETER[\"central_meridian\",-33]")
        );
    }

    /// GDAL (gdalsrsinfo, from gdal-bin) identifies each WKT as its EPSG code and reads the same
    /// projection from it as from its own EPSG database. Skipped (with a line) when gdalsrsinfo
    /// is missing, unless CI is set.
    #[test]
    fn gdal_recognises_every_wkt() {
        let run = |args: &[&str]| std::process::Command::new("gdalsrsinfo").args(args).output();
        if run(&["--version"]).is_err() {
            assert!(std::env::var_os("CI").is_none(), "gdalsrsinfo is missing on CI");
            println!("gdalsrsinfo not found: skipping the GDAL check of Crs::wkt");
            return;
        }
        let text = |args: &[&str]| {
            let out = run(args).unwrap();
            assert!(out.status.success(), "gdalsrsinfo {args:?}: {out:?}");
            assert!(
                out.stderr.is_empty(),
                "gdalsrsinfo {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap().trim().to_string()
        };
        for code in WKT_CODES {
            let wkt = Crs::from_epsg(code).unwrap().wkt();
            let epsg = format!("EPSG:{code}");
            let identified = text(&["-e", &wkt]);
            assert_eq!(
                identified.lines().next(),
                Some(epsg.as_str()),
                "{wkt}\n{identified}"
            );
            assert_eq!(
                text(&["-o", "proj4", &wkt]),
                text(&["-o", "proj4", &epsg]),
                "{wkt}"
            );
            // The content alone (no AUTHORITY on the CRS) is matched to the code with certainty.
            let tail = format!(",AUTHORITY[\"EPSG\",\"{code}\"]]");
            let bare = format!("{}]", wkt.strip_suffix(&tail).unwrap());
            let identified = text(&["-e", &bare]);
            assert!(identified.contains(&epsg), "{bare}\n{identified}");
        }
    }
}
