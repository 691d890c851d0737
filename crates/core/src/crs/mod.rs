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

use proj4rs::Proj;

use crate::error::{CrsError, Hint};

mod reproject;
mod tmerc;

pub use reproject::{ProjCache, Reprojection};

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
            hint: None,
        })?;
        Crs::from_epsg(code)
    }

    /// Recognises the CRS of an ESRI `.prj` / OGC WKT text. An `AUTHORITY["EPSG",…]` of the
    /// whole CRS wins; otherwise the datum and projection names are matched.
    pub fn from_wkt(wkt: &str) -> Result<Crs, CrsError> {
        let refuse = |reason, hint| CrsError::Unparseable {
            text: wkt.chars().take(120).collect(),
            reason,
            hint,
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
                "a geographic CRS without an EPSG authority whose datum is not WGS 84, MAGNA-SIRGAS or SIRGAS 2000",
                Some(Hint::GiveCrs),
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
                "a projected CRS careblock does not know",
                Some(Hint::GiveCrs),
            ));
        }
        Err(refuse("not a WKT CRS", None))
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

#[cfg(test)]
mod tests;
