//! GeoPackage writer (OGC 12-128, GeoPackage 1.3): every layer of a run in one SQLite file, in
//! the layers' own (projected) CRS, with typed attribute columns, an R-tree spatial index per
//! layer and the QGIS style of each layer in a `layer_styles` table, so QGIS opens the file
//! with the styled map.
//!
//! The file is built in a temporary file beside the target and renamed when complete, so a
//! failed write leaves no half-written GeoPackage. Nothing in it depends on the clock:
//! `last_change` and `update_time` are the Unix epoch, so the same layers give a
//! byte-identical file.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use careblock_core::{Crs, LayerView, WGS84};
use geo::orient::{Direction, Orient};
use geo::{Coord, CoordsIter, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Polygon};
use polars::prelude::StaticArray;
use rusqlite::Connection;
use rusqlite::types::Value as Sql;

use crate::write::{Values, temp_file, values};
use crate::{IoError, path_name};

/// One layer to write into a GeoPackage.
#[derive(Debug, Clone, Copy)]
pub struct GpkgLayer<'a> {
    /// The table name: ASCII letters, digits and `_`, not starting with a digit, `gpkg_`,
    /// `rtree_` or `sqlite_`; unique (ignoring case) in the file.
    pub name: &'a str,
    /// The features, written in the layer's CRS (`layer.crs`).
    pub layer: LayerView<'a>,
    /// The QGIS style (QML document) stored as the layer's default style in `layer_styles`.
    pub style: Option<&'a str>,
}

/// The geometry column of every feature table.
pub const GEOMETRY_COLUMN: &str = "geom";
/// `PRAGMA application_id` of a GeoPackage: "GPKG".
pub const APPLICATION_ID: i32 = 0x4750_4B47;
/// `PRAGMA user_version` of GeoPackage 1.3.
pub const USER_VERSION: i32 = 10300;
/// The fixed timestamp of `last_change` / `update_time` (the Unix epoch, in the spec's format),
/// so that the file does not change between runs.
pub const TIMESTAMP: &str = "1970-01-01T00:00:00.000Z";

/// Writes `layers` into a new GeoPackage at `path` (replacing any file there), atomically.
///
/// Each layer becomes a feature table `name` with `fid INTEGER PRIMARY KEY AUTOINCREMENT`
/// (1-based feature order), a geometry column `geom` holding StandardGeoPackageBinary, and one
/// column per attribute: integers as INTEGER, floats as REAL (NaN and infinities as NULL),
/// booleans as BOOLEAN, everything else as TEXT; nulls as NULL. A layer whose attributes have
/// no `id` column gets one (TEXT) with the layer ids. Polygons and multipolygons mixed in one
/// layer are all written as multipolygons (likewise points and lines); other mixtures as
/// GEOMETRY. A null geometry is a NULL `geom`.
pub fn write_gpkg(path: &Path, layers: &[GpkgLayer<'_>]) -> Result<(), IoError> {
    let name = path_name(path);
    let plans = layers
        .iter()
        .map(|l| TablePlan::new(&name, l))
        .collect::<Result<Vec<_>, _>>()?;
    check_names(&name, layers)?;
    let (tmp, file) = temp_file(path)?;
    drop(file);
    let built = build(&tmp, layers, &plans)
        .map_err(|e| gpkg_error(&name, e))
        .and_then(|()| {
            File::open(&tmp)
                .and_then(|f| f.sync_all())
                .map_err(|e| IoError::io(&name, e))
        })
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| IoError::io(&name, e)));
    if built.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    built
}

/// What SQLite refused, and what was being done.
struct BuildError(String, rusqlite::Error);

fn gpkg_error(path: &str, BuildError(what, e): BuildError) -> IoError {
    IoError::Gpkg {
        path: path.to_string(),
        message: format!("{what}: {e}"),
    }
}

/// Adds what was being done to a SQLite error.
trait Context<T> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T, BuildError>;
}

impl<T> Context<T> for Result<T, rusqlite::Error> {
    fn doing(self, what: impl FnOnce() -> String) -> Result<T, BuildError> {
        self.map_err(|e| BuildError(what(), e))
    }
}

fn check_names(path: &str, layers: &[GpkgLayer<'_>]) -> Result<(), IoError> {
    let refuse = |message: String| IoError::Gpkg {
        path: path.to_string(),
        message,
    };
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for l in layers {
        let n = l.name;
        let lower = n.to_ascii_lowercase();
        let valid = n
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(refuse(format!(
                "layer name {n:?}: expected ASCII letters, digits and '_', not starting with a digit"
            )));
        }
        if ["gpkg_", "rtree_", "sqlite_"]
            .iter()
            .any(|p| lower.starts_with(p))
            || lower == "layer_styles"
        {
            return Err(refuse(format!(
                "layer name {n:?} is reserved (gpkg_*, rtree_*, sqlite_*, layer_styles)"
            )));
        }
        if let Some(first) = seen.insert(lower, n) {
            return Err(refuse(format!(
                "two layers named {first:?} and {n:?} (table names ignore case)"
            )));
        }
    }
    Ok(())
}

/// A GeoPackage geometry type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Point = 1,
    LineString = 2,
    Polygon = 3,
    MultiPoint = 4,
    MultiLineString = 5,
    MultiPolygon = 6,
    GeometryCollection = 7,
    /// Any geometry (a mixed layer, or one without geometries).
    Geometry = 0,
}

impl Kind {
    fn of(g: &Geometry<f64>) -> Kind {
        match g {
            Geometry::Point(_) => Kind::Point,
            Geometry::Line(_) | Geometry::LineString(_) => Kind::LineString,
            Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => Kind::Polygon,
            Geometry::MultiPoint(_) => Kind::MultiPoint,
            Geometry::MultiLineString(_) => Kind::MultiLineString,
            Geometry::MultiPolygon(_) => Kind::MultiPolygon,
            Geometry::GeometryCollection(_) => Kind::GeometryCollection,
        }
    }

    fn sql_name(self) -> &'static str {
        match self {
            Kind::Point => "POINT",
            Kind::LineString => "LINESTRING",
            Kind::Polygon => "POLYGON",
            Kind::MultiPoint => "MULTIPOINT",
            Kind::MultiLineString => "MULTILINESTRING",
            Kind::MultiPolygon => "MULTIPOLYGON",
            Kind::GeometryCollection => "GEOMETRYCOLLECTION",
            Kind::Geometry => "GEOMETRY",
        }
    }

    /// The multi type of a single type.
    fn multi(self) -> Kind {
        match self {
            Kind::Point => Kind::MultiPoint,
            Kind::LineString => Kind::MultiLineString,
            Kind::Polygon => Kind::MultiPolygon,
            k => k,
        }
    }

    /// The declared type of a layer: the common type, a multi type when singles and multis of
    /// one family are mixed, else GEOMETRY.
    fn of_layer(geometries: &[Option<Geometry<f64>>]) -> Kind {
        let mut kinds = geometries.iter().flatten().map(Kind::of);
        let Some(first) = kinds.next() else {
            return Kind::Geometry;
        };
        kinds.fold(first, |acc, k| {
            if acc == k {
                acc
            } else if acc.multi() == k.multi() && acc.multi() != Kind::GeometryCollection {
                acc.multi()
            } else {
                Kind::Geometry
            }
        })
    }
}

/// A geometry as written in a column declared `kind`: Rect/Triangle/Line become their
/// Polygon/LineString, and a single geometry in a multi column becomes a one-part multi.
fn conform(g: &Geometry<f64>, kind: Kind) -> Geometry<f64> {
    let g = match g {
        Geometry::Rect(r) => Geometry::Polygon(r.to_polygon()),
        Geometry::Triangle(t) => Geometry::Polygon(t.to_polygon()),
        Geometry::Line(l) => Geometry::LineString(LineString::new(vec![l.start, l.end])),
        g => g.clone(),
    };
    match (kind, g) {
        (Kind::MultiPoint, Geometry::Point(p)) => Geometry::MultiPoint(MultiPoint::new(vec![p])),
        (Kind::MultiLineString, Geometry::LineString(l)) => {
            Geometry::MultiLineString(MultiLineString::new(vec![l]))
        }
        (Kind::MultiPolygon, Geometry::Polygon(p)) => Geometry::MultiPolygon(MultiPolygon::new(vec![p])),
        (_, g) => g,
    }
}

/// The envelope `[min_x, max_x, min_y, max_y]` of a geometry; `None` if it has no coordinates.
fn envelope(g: &Geometry<f64>) -> Option<[f64; 4]> {
    g.coords_iter().fold(None, |env, c| {
        Some(match env {
            None => [c.x, c.x, c.y, c.y],
            Some([a, b, d, e]) => [a.min(c.x), b.max(c.x), d.min(c.y), e.max(c.y)],
        })
    })
}

/// A geometry as StandardGeoPackageBinary: "GP", version 0, flags (little-endian, envelope
/// [minx, maxx, miny, maxy], or the empty flag and no envelope), the srs_id, then ISO WKB.
pub(crate) fn geometry_blob(g: &Geometry<f64>, srs_id: i32) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + 16 * g.coords_count());
    out.extend_from_slice(b"GP");
    out.push(0);
    let env = envelope(g);
    // Bit 0: little-endian; bits 1-3: envelope code 1 ([minx, maxx, miny, maxy]); bit 4: empty.
    out.push(if env.is_some() { 0b0000_0011 } else { 0b0001_0001 });
    out.extend_from_slice(&srs_id.to_le_bytes());
    if let Some(env) = env {
        for v in env {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    wkb(&mut out, g);
    out
}

fn wkb_head(out: &mut Vec<u8>, kind: Kind) {
    out.push(1); // little-endian
    out.extend_from_slice(&(kind as u32).to_le_bytes());
}

fn wkb_count(out: &mut Vec<u8>, n: usize) {
    // WKB counts are u32; a layer part with more than 4 billion items cannot be held in memory
    // as geo coordinates (64 GiB) anyway, so saturating never happens in practice.
    out.extend_from_slice(&u32::try_from(n).unwrap_or(u32::MAX).to_le_bytes());
}

fn wkb_coord(out: &mut Vec<u8>, c: Coord<f64>) {
    out.extend_from_slice(&c.x.to_le_bytes());
    out.extend_from_slice(&c.y.to_le_bytes());
}

fn wkb_coords(out: &mut Vec<u8>, l: &LineString<f64>) {
    wkb_count(out, l.0.len());
    for &c in &l.0 {
        wkb_coord(out, c);
    }
}

fn wkb_polygon(out: &mut Vec<u8>, p: &Polygon<f64>) {
    wkb_head(out, Kind::Polygon);
    // Exterior counter-clockwise, holes clockwise (the simple-features convention).
    let p = p.orient(Direction::Default);
    if p.exterior().0.is_empty() {
        wkb_count(out, 0);
        return;
    }
    wkb_count(out, 1 + p.interiors().len());
    wkb_coords(out, p.exterior());
    for r in p.interiors() {
        wkb_coords(out, r);
    }
}

fn wkb(out: &mut Vec<u8>, g: &Geometry<f64>) {
    match g {
        Geometry::Point(p) => {
            wkb_head(out, Kind::Point);
            wkb_coord(out, p.0);
        }
        Geometry::Line(l) => wkb(out, &Geometry::LineString(LineString::new(vec![l.start, l.end]))),
        Geometry::LineString(l) => {
            wkb_head(out, Kind::LineString);
            wkb_coords(out, l);
        }
        Geometry::Polygon(p) => wkb_polygon(out, p),
        Geometry::Rect(r) => wkb_polygon(out, &r.to_polygon()),
        Geometry::Triangle(t) => wkb_polygon(out, &t.to_polygon()),
        Geometry::MultiPoint(mp) => {
            wkb_head(out, Kind::MultiPoint);
            wkb_count(out, mp.0.len());
            for p in &mp.0 {
                wkb_head(out, Kind::Point);
                wkb_coord(out, p.0);
            }
        }
        Geometry::MultiLineString(ml) => {
            wkb_head(out, Kind::MultiLineString);
            wkb_count(out, ml.0.len());
            for l in &ml.0 {
                wkb_head(out, Kind::LineString);
                wkb_coords(out, l);
            }
        }
        Geometry::MultiPolygon(mp) => {
            wkb_head(out, Kind::MultiPolygon);
            wkb_count(out, mp.0.len());
            for p in &mp.0 {
                wkb_polygon(out, p);
            }
        }
        Geometry::GeometryCollection(gc) => {
            wkb_head(out, Kind::GeometryCollection);
            wkb_count(out, gc.0.len());
            for g in &gc.0 {
                wkb(out, g);
            }
        }
    }
}

/// One attribute column of a feature table.
struct ColumnPlan {
    name: String,
    sql_type: &'static str,
    values: ColumnValues,
}

enum ColumnValues {
    Typed(Values),
    /// The layer ids, for a layer without an `id` attribute.
    Ids,
}

/// The SQL type of a column of values.
fn sql_type(v: &Values) -> &'static str {
    match v {
        Values::Int(_) => "INTEGER",
        Values::Float(_) => "REAL",
        Values::Bool(_) => "BOOLEAN",
        Values::Str(_) | Values::Null => "TEXT",
    }
}

/// The SQL value of row `i`.
fn sql_value(v: &ColumnValues, ids: &[String], i: usize) -> Sql {
    match v {
        ColumnValues::Ids => Sql::Text(ids[i].clone()),
        ColumnValues::Typed(v) => match v {
            Values::Int(ca) => ca.get(i).map_or(Sql::Null, Sql::Integer),
            Values::Float(ca) => ca.get(i).filter(|x| x.is_finite()).map_or(Sql::Null, Sql::Real),
            Values::Bool(ca) => ca.get(i).map_or(Sql::Null, |b| Sql::Integer(i64::from(b))),
            Values::Str(ca) => ca.get(i).map_or(Sql::Null, |s| Sql::Text(s.to_string())),
            Values::Null => Sql::Null,
        },
    }
}

/// What will be written for one layer.
struct TablePlan {
    kind: Kind,
    columns: Vec<ColumnPlan>,
}

impl TablePlan {
    fn new(path: &str, l: &GpkgLayer<'_>) -> Result<TablePlan, IoError> {
        let mut columns = Vec::new();
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for reserved in ["fid", GEOMETRY_COLUMN] {
            seen.insert(reserved.to_string(), format!("the GeoPackage's {reserved}"));
        }
        for c in l.layer.attributes.columns() {
            let name = c.name().to_string();
            if let Some(first) = seen.insert(name.to_ascii_lowercase(), name.clone()) {
                return Err(IoError::Gpkg {
                    path: path.to_string(),
                    message: format!(
                        "layer {:?}: column {name:?} clashes with {first:?} (GeoPackage column names ignore case)",
                        l.name
                    ),
                });
            }
            let v = values(path, c)?;
            columns.push(ColumnPlan {
                name,
                sql_type: sql_type(&v),
                values: ColumnValues::Typed(v),
            });
        }
        if !seen.contains_key("id") {
            columns.insert(
                0,
                ColumnPlan {
                    name: "id".into(),
                    sql_type: "TEXT",
                    values: ColumnValues::Ids,
                },
            );
        }
        Ok(TablePlan {
            kind: Kind::of_layer(l.layer.geometries),
            columns,
        })
    }
}

/// A quoted SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The srs_id of a CRS: its EPSG code (the GeoPackage convention for EPSG CRSs).
fn srs_id(crs: Crs) -> i32 {
    // EPSG codes of the table in `Crs::from_epsg` are all below 40,000.
    i32::try_from(crs.epsg()).unwrap_or(i32::MAX)
}

/// The name of a WKT CRS (its first quoted string).
fn wkt_name(wkt: &str) -> &str {
    wkt.split('"').nth(1).unwrap_or("")
}

const CORE_TABLES: &str = "
CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  description TEXT
);
CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE,
  min_y DOUBLE,
  max_x DOUBLE,
  max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
);
CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);
CREATE TABLE gpkg_extensions (
  table_name TEXT,
  column_name TEXT,
  extension_name TEXT NOT NULL,
  definition TEXT NOT NULL,
  scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
);
";

/// The `layer_styles` table as QGIS creates it (through OGR) in a GeoPackage.
const LAYER_STYLES: &str = "
CREATE TABLE layer_styles (
  id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
  f_table_catalog TEXT(256),
  f_table_schema TEXT(256),
  f_table_name TEXT(256),
  f_geometry_column TEXT(256),
  styleName TEXT(30),
  styleQML TEXT,
  styleSLD TEXT,
  useAsDefault BOOLEAN,
  description TEXT,
  owner TEXT(30),
  ui TEXT(30),
  update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
);
";

/// The triggers of the R-tree extension (GeoPackage 1.3, annex F.3) for table `t`, column `c`.
fn rtree_triggers(t: &str, c: &str) -> String {
    let r = format!("rtree_{t}_{c}");
    let values = format!(
        "NEW.fid, ST_MinX(NEW.\"{c}\"), ST_MaxX(NEW.\"{c}\"), ST_MinY(NEW.\"{c}\"), ST_MaxY(NEW.\"{c}\")"
    );
    format!(
        "CREATE TRIGGER \"{r}_insert\" AFTER INSERT ON \"{t}\"
  WHEN (new.\"{c}\" NOT NULL AND NOT ST_IsEmpty(NEW.\"{c}\"))
BEGIN
  INSERT OR REPLACE INTO \"{r}\" VALUES ({values});
END;
CREATE TRIGGER \"{r}_update1\" AFTER UPDATE OF \"{c}\" ON \"{t}\"
  WHEN OLD.fid = NEW.fid AND (NEW.\"{c}\" NOTNULL AND NOT ST_IsEmpty(NEW.\"{c}\"))
BEGIN
  INSERT OR REPLACE INTO \"{r}\" VALUES ({values});
END;
CREATE TRIGGER \"{r}_update2\" AFTER UPDATE OF \"{c}\" ON \"{t}\"
  WHEN OLD.fid = NEW.fid AND (NEW.\"{c}\" ISNULL OR ST_IsEmpty(NEW.\"{c}\"))
BEGIN
  DELETE FROM \"{r}\" WHERE id = OLD.fid;
END;
CREATE TRIGGER \"{r}_update3\" AFTER UPDATE ON \"{t}\"
  WHEN OLD.fid != NEW.fid AND (NEW.\"{c}\" NOTNULL AND NOT ST_IsEmpty(NEW.\"{c}\"))
BEGIN
  DELETE FROM \"{r}\" WHERE id = OLD.fid;
  INSERT OR REPLACE INTO \"{r}\" VALUES ({values});
END;
CREATE TRIGGER \"{r}_update4\" AFTER UPDATE ON \"{t}\"
  WHEN OLD.fid != NEW.fid AND (NEW.\"{c}\" ISNULL OR ST_IsEmpty(NEW.\"{c}\"))
BEGIN
  DELETE FROM \"{r}\" WHERE id IN (OLD.fid, NEW.fid);
END;
CREATE TRIGGER \"{r}_delete\" AFTER DELETE ON \"{t}\"
  WHEN old.\"{c}\" NOT NULL
BEGIN
  DELETE FROM \"{r}\" WHERE id = OLD.fid;
END;
"
    )
}

fn build(tmp: &Path, layers: &[GpkgLayer<'_>], plans: &[TablePlan]) -> Result<(), BuildError> {
    let conn = Connection::open(tmp).doing(|| "opening".into())?;
    // No rollback journal: a failed build is deleted whole, never rolled back. A 32 MiB page
    // cache (SQLite's default is 2 MiB) keeps the spatial index's nodes in memory.
    let _: String = conn
        .query_row("PRAGMA journal_mode = OFF", [], |r| r.get(0))
        .doing(|| "setting the journal mode".into())?;
    conn.execute_batch(&format!(
        "PRAGMA synchronous = OFF; PRAGMA cache_size = -32768; PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {USER_VERSION}; BEGIN;"
    ))
    .doing(|| "setting the GeoPackage header".into())?;
    conn.execute_batch(CORE_TABLES)
        .doing(|| "creating the GeoPackage tables".into())?;
    let rtree: bool = conn
        .query_row("SELECT sqlite_compileoption_used('ENABLE_RTREE')", [], |r| {
            r.get(0)
        })
        .doing(|| "checking for RTREE".into())?;

    // The mandatory rows, then every CRS of the layers.
    let mut srs: BTreeMap<i32, (String, String, i64, String, String)> = BTreeMap::new();
    srs.insert(
        -1,
        (
            "Undefined cartesian SRS".into(),
            "NONE".into(),
            -1,
            "undefined".into(),
            "undefined cartesian coordinate reference system".into(),
        ),
    );
    srs.insert(
        0,
        (
            "Undefined geographic SRS".into(),
            "NONE".into(),
            0,
            "undefined".into(),
            "undefined geographic coordinate reference system".into(),
        ),
    );
    for crs in std::iter::once(WGS84).chain(layers.iter().map(|l| l.layer.crs)) {
        let wkt = crs.wkt();
        let description = if crs == WGS84 {
            "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid".to_string()
        } else {
            crs.to_string()
        };
        srs.insert(
            srs_id(crs),
            (
                wkt_name(&wkt).to_string(),
                "EPSG".into(),
                i64::from(crs.epsg()),
                wkt,
                description,
            ),
        );
    }
    for (id, (name, org, code, def, desc)) in &srs {
        conn.execute(
            "INSERT INTO gpkg_spatial_ref_sys VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            rusqlite::params![name, id, org, code, def, desc],
        )
        .doing(|| format!("writing the CRS {id}"))?;
    }

    for (l, plan) in layers.iter().zip(plans) {
        write_table(&conn, l, plan, rtree)?;
    }

    let styled: Vec<&GpkgLayer<'_>> = layers.iter().filter(|l| l.style.is_some()).collect();
    if !styled.is_empty() {
        conn.execute_batch(LAYER_STYLES)
            .doing(|| "creating layer_styles".into())?;
        conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id)
             VALUES ('layer_styles', 'attributes', 'layer_styles', 'QGIS styles of the layers', ?1, NULL)",
            [TIMESTAMP],
        )
        .doing(|| "registering layer_styles".into())?;
        for (i, l) in styled.iter().enumerate() {
            conn.execute(
                "INSERT INTO layer_styles VALUES (?1, '', '', ?2, ?3, ?2, ?4, '', 1, ?5, '', NULL, ?6)",
                rusqlite::params![
                    i as i64 + 1,
                    l.name,
                    GEOMETRY_COLUMN,
                    l.style.unwrap_or_default(),
                    format!("careblock style of {}", l.name),
                    TIMESTAMP
                ],
            )
            .doing(|| format!("writing the style of {}", l.name))?;
        }
    }
    conn.execute_batch("COMMIT;").doing(|| "committing".into())?;
    conn.close().map_err(|(_, e)| BuildError("closing".into(), e))
}

fn write_table(
    conn: &Connection,
    l: &GpkgLayer<'_>,
    plan: &TablePlan,
    rtree: bool,
) -> Result<(), BuildError> {
    let t = l.name;
    let layer = l.layer;
    let srs = srs_id(layer.crs);
    let mut ddl = format!(
        "CREATE TABLE \"{t}\" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, \"{GEOMETRY_COLUMN}\" {}",
        plan.kind.sql_name()
    );
    for c in &plan.columns {
        ddl.push_str(&format!(", {} {}", ident(&c.name), c.sql_type));
    }
    ddl.push(')');
    conn.execute_batch(&ddl).doing(|| format!("creating table {t}"))?;
    if rtree {
        conn.execute_batch(&format!(
            "CREATE VIRTUAL TABLE \"rtree_{t}_{GEOMETRY_COLUMN}\" USING rtree(id, minx, maxx, miny, maxy)"
        ))
        .doing(|| format!("creating the spatial index of {t}"))?;
    }

    let mut insert_sql = format!("INSERT INTO \"{t}\" (fid, \"{GEOMETRY_COLUMN}\"");
    for c in &plan.columns {
        insert_sql.push_str(", ");
        insert_sql.push_str(&ident(&c.name));
    }
    insert_sql.push_str(") VALUES (?1, ?2");
    for k in 0..plan.columns.len() {
        insert_sql.push_str(&format!(", ?{}", k + 3));
    }
    insert_sql.push(')');
    let mut insert = conn.prepare(&insert_sql).doing(|| format!("writing {t}"))?;
    let mut index = if rtree {
        let sql = format!("INSERT INTO \"rtree_{t}_{GEOMETRY_COLUMN}\" VALUES (?1, ?2, ?3, ?4, ?5)");
        Some(conn.prepare(&sql).doing(|| format!("indexing {t}"))?)
    } else {
        None
    };
    let mut bbox: Option<[f64; 4]> = None;
    let mut row: Vec<Sql> = Vec::with_capacity(plan.columns.len() + 2);
    // The geometry blobs of the next block of features are encoded on another thread while
    // SQLite inserts the current block. (Not with rayon: the caller may be rayon's only worker,
    // waiting here for the block.)
    const BLOCK: usize = 16_384;
    /// A feature's geometry blob and envelope (`None`: null geometry).
    type Encoded = Option<(Vec<u8>, Option<[f64; 4]>)>;
    let encode = |from: usize| -> Vec<Encoded> {
        let to = (from + BLOCK).min(layer.len());
        layer.geometries[from..to]
            .iter()
            .map(|g| {
                g.as_ref().map(|g| {
                    let g = conform(g, plan.kind);
                    (geometry_blob(&g, srs), envelope(&g))
                })
            })
            .collect()
    };
    std::thread::scope(|scope| -> Result<(), BuildError> {
        let mut next = Some(scope.spawn(|| encode(0)));
        for from in (0..layer.len()).step_by(BLOCK) {
            let block = next
                .take()
                .expect("a block is always being encoded")
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            if from + BLOCK < layer.len() {
                next = Some(scope.spawn(move || encode(from + BLOCK)));
            }
            for (k, encoded) in block.into_iter().enumerate() {
                let i = from + k;
                let fid = i as i64 + 1;
                row.clear();
                row.push(Sql::Integer(fid));
                let env = match encoded {
                    None => {
                        row.push(Sql::Null);
                        None
                    }
                    Some((blob, env)) => {
                        row.push(Sql::Blob(blob));
                        env
                    }
                };
                for c in &plan.columns {
                    row.push(sql_value(&c.values, layer.ids, i));
                }
                insert
                    .execute(rusqlite::params_from_iter(row.iter()))
                    .doing(|| format!("writing feature {:?} of {t}", layer.ids[i]))?;
                if let Some(e) = env {
                    if let Some(index) = index.as_mut() {
                        index
                            .execute(rusqlite::params![fid, e[0], e[1], e[2], e[3]])
                            .doing(|| format!("indexing feature {:?} of {t}", layer.ids[i]))?;
                    }
                    bbox = Some(match bbox {
                        None => e,
                        Some(b) => [b[0].min(e[0]), b[1].max(e[1]), b[2].min(e[2]), b[3].max(e[3])],
                    });
                }
            }
        }
        Ok(())
    })?;
    drop(insert);
    drop(index);
    conn.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, min_x, min_y, max_x, max_y, srs_id)
         VALUES (?1, 'features', ?1, '', ?2, ?3, ?4, ?5, ?6, ?7)",
        rusqlite::params![
            t,
            TIMESTAMP,
            bbox.map(|b| b[0]),
            bbox.map(|b| b[2]),
            bbox.map(|b| b[1]),
            bbox.map(|b| b[3]),
            srs
        ],
    )
    .doing(|| format!("registering {t}"))?;
    conn.execute(
        "INSERT INTO gpkg_geometry_columns VALUES (?1, ?2, ?3, ?4, 0, 0)",
        rusqlite::params![t, GEOMETRY_COLUMN, plan.kind.sql_name(), srs],
    )
    .doing(|| format!("registering the geometry column of {t}"))?;
    if rtree {
        conn.execute(
            "INSERT INTO gpkg_extensions VALUES (?1, ?2, 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
            rusqlite::params![t, GEOMETRY_COLUMN],
        )
        .doing(|| format!("registering the spatial index of {t}"))?;
        // After the rows: the triggers call ST_* functions that only a GeoPackage-aware SQLite
        // (GDAL, QGIS) provides.
        conn.execute_batch(&rtree_triggers(t, GEOMETRY_COLUMN))
            .doing(|| format!("creating the spatial index triggers of {t}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use careblock_core::Layer;
    use geo::{LineString, Point, polygon};
    use polars::prelude::{Column, DataFrame};

    /// A test-only ISO WKB reader (little-endian, 2D), the inverse of [`wkb`].
    fn read_wkb(b: &[u8], pos: &mut usize) -> Geometry<f64> {
        let u32_at = |pos: &mut usize| {
            let v = u32::from_le_bytes(b[*pos..*pos + 4].try_into().unwrap());
            *pos += 4;
            v
        };
        let f64_at = |pos: &mut usize| {
            let v = f64::from_le_bytes(b[*pos..*pos + 8].try_into().unwrap());
            *pos += 8;
            v
        };
        assert_eq!(b[*pos], 1, "little-endian");
        *pos += 1;
        let kind = u32_at(pos);
        let coord = |pos: &mut usize| Coord {
            x: f64_at(pos),
            y: f64_at(pos),
        };
        let line = |pos: &mut usize| {
            let n = u32_at(pos);
            LineString::new((0..n).map(|_| coord(pos)).collect())
        };
        let polygon = |pos: &mut usize| {
            let n = u32_at(pos);
            let mut rings: Vec<LineString<f64>> = (0..n).map(|_| line(pos)).collect();
            let exterior = if rings.is_empty() {
                LineString::new(vec![])
            } else {
                rings.remove(0)
            };
            Polygon::new(exterior, rings)
        };
        match kind {
            1 => Geometry::Point(Point(coord(pos))),
            2 => Geometry::LineString(line(pos)),
            3 => Geometry::Polygon(polygon(pos)),
            4..=7 => {
                let n = u32_at(pos);
                let parts: Vec<Geometry<f64>> = (0..n).map(|_| read_wkb(b, pos)).collect();
                match kind {
                    4 => Geometry::MultiPoint(MultiPoint::new(
                        parts.into_iter().map(|g| Point::try_from(g).unwrap()).collect(),
                    )),
                    5 => Geometry::MultiLineString(MultiLineString::new(
                        parts
                            .into_iter()
                            .map(|g| LineString::try_from(g).unwrap())
                            .collect(),
                    )),
                    6 => Geometry::MultiPolygon(MultiPolygon::new(
                        parts.into_iter().map(|g| Polygon::try_from(g).unwrap()).collect(),
                    )),
                    _ => Geometry::GeometryCollection(geo::GeometryCollection::new_from(parts)),
                }
            }
            k => panic!("unexpected WKB type {k}"),
        }
    }

    /// Splits a GeoPackage blob into (flags, srs_id, envelope, geometry) after checking the
    /// magic and version; the WKB must be consumed exactly.
    fn read_blob(b: &[u8]) -> (u8, i32, Option<[f64; 4]>, Geometry<f64>) {
        assert_eq!(&b[..3], b"GP\0");
        let flags = b[3];
        let srs = i32::from_le_bytes(b[4..8].try_into().unwrap());
        let (env, start) = match (flags >> 1) & 0b111 {
            0 => (None, 8),
            1 => {
                let d = |k: usize| f64::from_le_bytes(b[8 + 8 * k..16 + 8 * k].try_into().unwrap());
                (Some([d(0), d(1), d(2), d(3)]), 40)
            }
            e => panic!("unexpected envelope code {e}"),
        };
        let mut pos = start;
        let g = read_wkb(b, &mut pos);
        assert_eq!(pos, b.len(), "trailing bytes");
        (flags, srs, env, g)
    }

    #[test]
    fn point_blob_round_trips() {
        let g = Geometry::Point(Point::new(4_880_000.5, 2_070_000.25));
        let b = geometry_blob(&g, 9377);
        // Header: magic, version 0, flags 0b011 (little-endian, envelope code 1), srs_id.
        assert_eq!(&b[..8], &[b'G', b'P', 0, 0b011, 0xa1, 0x24, 0, 0]);
        let (flags, srs, env, back) = read_blob(&b);
        assert_eq!((flags, srs), (3, 9377));
        assert_eq!(env, Some([4_880_000.5, 4_880_000.5, 2_070_000.25, 2_070_000.25]));
        assert_eq!(back, g);
        // Point WKB: byte order, type 1, x, y.
        assert_eq!(b.len(), 8 + 32 + 1 + 4 + 16);
        assert_eq!(&b[40..45], &[1, 1, 0, 0, 0]);
    }

    #[test]
    fn polygon_with_hole_round_trips_oriented() {
        // Exterior clockwise and hole counter-clockwise: written the other way round.
        let exterior = LineString::from(vec![
            (0.0, 0.0),
            (0.0, 10.0),
            (10.0, 10.0),
            (10.0, 0.0),
            (0.0, 0.0),
        ]);
        let hole = LineString::from(vec![(2.0, 2.0), (4.0, 2.0), (4.0, 4.0), (2.0, 4.0), (2.0, 2.0)]);
        let p = Polygon::new(exterior, vec![hole]);
        let (_, srs, env, back) = read_blob(&geometry_blob(&Geometry::Polygon(p.clone()), 3116));
        assert_eq!(srs, 3116);
        assert_eq!(env, Some([0.0, 10.0, 0.0, 10.0]));
        let Geometry::Polygon(q) = back else {
            panic!("not a polygon")
        };
        assert_eq!(q, p.orient(Direction::Default));
        assert_eq!(q.interiors().len(), 1);
        use geo::Winding;
        assert!(q.exterior().is_ccw());
        assert!(q.interiors()[0].is_cw());
    }

    #[test]
    fn multipolygon_round_trips_and_empty_is_flagged() {
        let mp = MultiPolygon::new(vec![
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 0.0)],
            polygon![(x: 5.0, y: -3.0), (x: 7.0, y: -3.0), (x: 7.0, y: 2.0), (x: 5.0, y: -3.0)],
        ]);
        let g = Geometry::MultiPolygon(mp);
        let (flags, _, env, back) = read_blob(&geometry_blob(&g, 4326));
        assert_eq!(flags, 3);
        assert_eq!(env, Some([0.0, 7.0, -3.0, 2.0]));
        assert_eq!(back, g);
        let empty = Geometry::MultiPolygon(MultiPolygon::new(vec![]));
        let b = geometry_blob(&empty, 4326);
        let (flags, _, env, back) = read_blob(&b);
        assert_eq!(flags, 0b1_0001, "empty flag, no envelope, little-endian");
        assert_eq!(env, None);
        assert_eq!(back, empty);
    }

    #[test]
    fn layer_types_are_unified() {
        let pt = Some(Geometry::Point(Point::new(0.0, 0.0)));
        let poly = Some(Geometry::Polygon(
            polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0)],
        ));
        let mpoly = Some(Geometry::MultiPolygon(MultiPolygon::new(vec![])));
        assert_eq!(Kind::of_layer(&[pt.clone(), None, pt.clone()]), Kind::Point);
        assert_eq!(Kind::of_layer(&[poly.clone(), mpoly.clone()]), Kind::MultiPolygon);
        assert_eq!(Kind::of_layer(&[pt.clone(), poly.clone()]), Kind::Geometry);
        assert_eq!(Kind::of_layer(&[None]), Kind::Geometry);
        let Geometry::MultiPolygon(m) = conform(poly.as_ref().unwrap(), Kind::MultiPolygon) else {
            panic!("not promoted")
        };
        assert_eq!(m.0.len(), 1);
    }

    fn temp_dir(tag: &str) -> crate::test_dir::TestDir {
        crate::test_dir::TestDir::new(&format!("gpkg-{tag}"))
    }

    fn sample_layer() -> Layer {
        let attributes = DataFrame::new(
            3,
            vec![
                Column::new("id".into(), ["a", "b", "c"]),
                Column::new("rank".into(), [Some(1u32), None, Some(3)]),
                Column::new("index".into(), [Some(12.5), None, Some(f64::NAN)]),
                Column::new("ranked".into(), [Some(true), Some(false), None]),
                Column::new("label".into(), [Some("Usaquén \"norte\""), None, Some("x")]),
                Column::new("big".into(), [Some(5i64), Some(-7), None]),
            ],
        )
        .unwrap();
        Layer::new(
            "sample",
            vec!["a".into(), "b".into(), "c".into()],
            vec![
                Some(Geometry::Polygon(polygon![
                    (x: 4.0e6, y: 2.0e6), (x: 4.0e6 + 10.0, y: 2.0e6), (x: 4.0e6, y: 2.0e6 + 5.0)
                ])),
                None,
                Some(Geometry::MultiPolygon(MultiPolygon::new(vec![polygon![
                    (x: 4.1e6, y: 2.1e6), (x: 4.1e6 + 1.0, y: 2.1e6), (x: 4.1e6, y: 2.1e6 + 1.0)
                ]]))),
            ],
            attributes,
            Crs::Projected { epsg: 9377 },
        )
        .unwrap()
    }

    #[test]
    fn writes_typed_columns_nulls_and_the_gpkg_tables() {
        let dir = temp_dir("typed");
        let path = dir.join("t.gpkg");
        let layer = sample_layer();
        let points = Layer::new(
            "pts",
            vec!["p1".into()],
            vec![Some(Geometry::Point(Point::new(4.0e6, 2.0e6)))],
            DataFrame::new(1, vec![Column::new("kind".into(), ["x"])]).unwrap(),
            Crs::Projected { epsg: 9377 },
        )
        .unwrap();
        let style = "<qgis version=\"3.28.0-Firenze\"/>";
        write_gpkg(
            &path,
            &[
                GpkgLayer {
                    name: "units",
                    layer: layer.view(),
                    style: Some(style),
                },
                GpkgLayer {
                    name: "sites",
                    layer: points.view(),
                    style: None,
                },
            ],
        )
        .unwrap();
        let conn = Connection::open(&path).unwrap();
        let pragma = |p: &str| {
            conn.query_row(&format!("PRAGMA {p}"), [], |r| r.get::<_, i64>(0))
                .unwrap()
        };
        assert_eq!(pragma("application_id"), 0x4750_4B47);
        assert_eq!(pragma("user_version"), 10300);
        let types: Vec<(String, String)> = conn
            .prepare("SELECT name, type FROM pragma_table_info('units') ORDER BY cid")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let expect = [
            ("fid", "INTEGER"),
            ("geom", "MULTIPOLYGON"),
            ("id", "TEXT"),
            ("rank", "INTEGER"),
            ("index", "REAL"),
            ("ranked", "BOOLEAN"),
            ("label", "TEXT"),
            ("big", "INTEGER"),
        ];
        let got: Vec<(&str, &str)> = types.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(got, expect);
        // Null geometry and null attributes are NULL; NaN is NULL.
        let row = |fid: i64| {
            conn.query_row(
                "SELECT typeof(geom), typeof(rank), typeof(\"index\"), typeof(ranked), typeof(label), typeof(big), label FROM units WHERE fid = ?1",
                [fid],
                |r| Ok((0..6).map(|k| r.get::<_, String>(k).unwrap()).collect::<Vec<_>>().join(" ") + " " + &r.get::<_, Option<String>>(6)?.unwrap_or_default()),
            )
            .unwrap()
        };
        assert_eq!(row(1), "blob integer real integer text integer Usaquén \"norte\"");
        assert_eq!(row(2), "null null null integer null integer ");
        assert_eq!(row(3), "blob integer null null text null x");
        let g: Vec<u8> = conn
            .query_row("SELECT geom FROM units WHERE fid = 1", [], |r| r.get(0))
            .unwrap();
        let (_, srs, env, back) = read_blob(&g);
        assert_eq!(srs, 9377);
        assert_eq!(env, Some([4.0e6, 4.0e6 + 10.0, 2.0e6, 2.0e6 + 5.0]));
        assert!(matches!(back, Geometry::MultiPolygon(ref m) if m.0.len() == 1));
        // The registration rows.
        let contents: (String, String, f64, f64, f64, f64, i64, String) = conn
            .query_row(
                "SELECT data_type, identifier, min_x, min_y, max_x, max_y, srs_id, last_change FROM gpkg_contents WHERE table_name = 'units'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?)),
            )
            .unwrap();
        assert_eq!(
            contents,
            (
                "features".into(),
                "units".into(),
                4.0e6,
                2.0e6,
                4.1e6 + 1.0,
                2.1e6 + 1.0,
                9377,
                TIMESTAMP.into()
            )
        );
        let srs: Vec<i64> = conn
            .prepare("SELECT srs_id FROM gpkg_spatial_ref_sys ORDER BY srs_id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(srs, [-1, 0, 4326, 9377]);
        let def: String = conn
            .query_row(
                "SELECT definition FROM gpkg_spatial_ref_sys WHERE srs_id = 9377",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(def, Crs::Projected { epsg: 9377 }.wkt());
        let kinds: Vec<(String, String)> = conn
            .prepare("SELECT table_name, geometry_type_name FROM gpkg_geometry_columns ORDER BY table_name")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            kinds,
            [
                ("sites".into(), "POINT".into()),
                ("units".into(), "MULTIPOLYGON".into())
            ]
        );
        // The R-tree holds the two non-null geometries of units; a window query finds one.
        let n: i64 = conn
            .query_row("SELECT count(*) FROM rtree_units_geom", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
        let hit: i64 = conn
            .query_row("SELECT id FROM rtree_units_geom WHERE minx >= 4.05e6", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(hit, 3);
        let ext: i64 = conn
            .query_row(
                "SELECT count(*) FROM gpkg_extensions WHERE extension_name = 'gpkg_rtree_index'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(ext, 2);
        // One default style, for units only; sites got an `id` column from the layer ids.
        let styles: Vec<(String, String, bool)> = conn
            .prepare("SELECT f_table_name, styleQML, useAsDefault FROM layer_styles")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(styles, [("units".into(), style.into(), true)]);
        let site_id: String = conn.query_row("SELECT id FROM sites", [], |r| r.get(0)).unwrap();
        assert_eq!(site_id, "p1");
        drop(conn);
    }

    /// GDAL (in this process, through the `gdal` feature) reads the file back: the layer, its
    /// CRS, ids, null geometry and values.
    #[cfg(feature = "gdal")]
    #[test]
    fn ogr_reads_the_geopackage_back() {
        let dir = temp_dir("ogr");
        let path = dir.join("t.gpkg");
        let layer = sample_layer();
        write_gpkg(
            &path,
            &[GpkgLayer {
                name: "units",
                layer: layer.view(),
                style: Some("<qgis/>"),
            }],
        )
        .unwrap();
        let opts = crate::ReadOptions {
            id_field: Some("id".into()),
            ..Default::default()
        };
        let (back, _) = crate::read_ogr(&path, Some("units"), &opts).unwrap();
        assert_eq!(back.crs, Crs::Projected { epsg: 9377 });
        assert_eq!(back.ids, layer.ids);
        assert!(back.geometries[1].is_none());
        assert_eq!(back.numeric_column("index").unwrap(), [Some(12.5), None, None]);
        assert_eq!(back.numeric_column("rank").unwrap(), [Some(1.0), None, Some(3.0)]);
        let Some(Geometry::MultiPolygon(m)) = &back.geometries[2] else {
            panic!("not a multipolygon: {:?}", back.geometries[2])
        };
        assert_eq!(m.0[0].exterior().0.len(), 4);
    }

    #[test]
    fn same_layers_give_the_same_bytes_and_failures_leave_nothing() {
        let dir = temp_dir("determinism");
        let layer = sample_layer();
        let layers = [GpkgLayer {
            name: "units",
            layer: layer.view(),
            style: Some("<qgis/>"),
        }];
        let a = dir.join("a.gpkg");
        let b = dir.join("b.gpkg");
        write_gpkg(&a, &layers).unwrap();
        write_gpkg(&b, &layers).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        // Overwriting works and keeps the bytes.
        write_gpkg(&a, &layers).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());

        let bad = dir.join("bad.gpkg");
        let err = write_gpkg(
            &bad,
            &[GpkgLayer {
                name: "gpkg_units",
                layer: layer.view(),
                style: None,
            }],
        )
        .unwrap_err();
        assert!(err.to_string().contains("reserved"), "{err}");
        let mut clash = layer.clone();
        clash
            .attributes
            .with_column(Column::new("GEOM".into(), [1, 2, 3]))
            .unwrap();
        let err = write_gpkg(
            &bad,
            &[GpkgLayer {
                name: "units",
                layer: clash.view(),
                style: None,
            }],
        )
        .unwrap_err();
        assert!(err.to_string().contains("column \"GEOM\" clashes"), "{err}");
        // Two columns differing only in case would be one SQLite column: refused too.
        let mut dup = layer.clone();
        dup.attributes
            .with_column(Column::new("Rank".into(), [1, 2, 3]))
            .unwrap();
        let err = write_gpkg(
            &bad,
            &[GpkgLayer {
                name: "units",
                layer: dup.view(),
                style: None,
            }],
        )
        .unwrap_err();
        assert!(err.to_string().contains("\"Rank\""), "{err}");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["a.gpkg", "b.gpkg"]);
    }
}
