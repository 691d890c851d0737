//! Writers: RFC 7946 GeoJSON and CSV, both atomic (a temporary file in the same directory,
//! renamed over the target only when complete).

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use careblock_core::crs::{ProjCache, Reprojection};
use careblock_core::{LayerView, WGS84};
use geo::orient::{Direction, Orient};
use geo::{Coord, Geometry, LineString, Polygon};
use polars::prelude::*;
use polars_arrow::array::{BooleanArray, PrimitiveArray, StaticArray, Utf8ViewArray};
use polars_arrow::datatypes::ArrowDataType;
use rayon::prelude::*;

use crate::{IoError, path_name};

/// Creates (exclusively) a new temporary file in the directory of `path`, named after it
/// (`.NAME.PID-N.tmp`), for a writer that renames it to `path` when complete.
pub(crate) fn temp_file(path: &Path) -> Result<(PathBuf, File), IoError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path_name(path);
    let Some(file_name) = path.file_name() else {
        return Err(IoError::format(&name, "not a file path"));
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let tmp = dir.join(format!(
        ".{}.{}-{}.tmp",
        file_name.to_string_lossy(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(|e| IoError::io(&name, e))?;
    Ok((tmp, file))
}

/// A file being written that hands its pages to the disk as it grows (Linux: every
/// [`OutFile::STEP`] bytes, `sync_file_range` starts their writeback and returns), so that the
/// `fsync` that ends [`atomic_write`] waits for the last pages only, not for a national layer's
/// hundreds of MB at once (0.1 s of a 500,000-unit run's FlatGeobuf on the 2-core machine).
pub(crate) struct OutFile {
    file: File,
    /// The write position.
    pos: u64,
    /// Where writeback has been started up to.
    started: u64,
}

impl OutFile {
    /// Bytes written between two writebacks started.
    const STEP: u64 = 8 << 20;

    fn new(file: File) -> OutFile {
        OutFile {
            file,
            pos: 0,
            started: 0,
        }
    }

    /// Starts the writeback of what was written since the last one, once there is a step of it
    /// (a failure only leaves it to the final `fsync`).
    fn start_writeback(&mut self) {
        if self.pos < self.started + Self::STEP {
            return;
        }
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: a plain system call on our open file descriptor, with a range of the
            // file; it reads or writes no memory of ours.
            #[allow(unsafe_code)]
            unsafe {
                libc::sync_file_range(
                    self.file.as_raw_fd(),
                    self.started as libc::off64_t,
                    (self.pos - self.started) as libc::off64_t,
                    libc::SYNC_FILE_RANGE_WRITE,
                );
            }
        }
        self.started = self.pos;
    }
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.pos += n as u64;
        self.start_writeback();
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

impl std::io::Seek for OutFile {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.pos = self.file.seek(to)?;
        // Writing again before the started range (the FlatGeobuf index) starts no writeback
        // until the position is past it.
        Ok(self.pos)
    }
}

/// Writes `body` to a temporary file beside `path`, then renames it to `path`. On any error the
/// temporary file is removed and `path` is left as it was.
pub(crate) fn atomic_write(
    path: &Path,
    body: impl FnOnce(&mut BufWriter<OutFile>) -> Result<(), IoError>,
) -> Result<(), IoError> {
    let name = path_name(path);
    let (tmp, file) = temp_file(path)?;
    let mut w = BufWriter::with_capacity(1 << 20, OutFile::new(file));
    let result = body(&mut w)
        .and_then(|()| w.flush().map_err(|e| IoError::io(&name, e)))
        .and_then(|()| w.get_ref().file.sync_all().map_err(|e| IoError::io(&name, e)));
    drop(w);
    let result = result.and_then(|()| std::fs::rename(&tmp, path).map_err(|e| IoError::io(&name, e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes a text file (e.g. a JSON report), atomically.
pub fn write_text(path: &Path, text: &str) -> Result<(), IoError> {
    let name = path_name(path);
    atomic_write(path, |w| {
        w.write_all(text.as_bytes()).map_err(|e| IoError::io(&name, e))
    })
}

/// Writes a DataFrame as CSV (with a header row), atomically.
pub fn write_csv(path: &Path, df: &mut DataFrame) -> Result<(), IoError> {
    let name = path_name(path);
    atomic_write(path, |w| {
        CsvWriter::new(w)
            .include_header(true)
            .finish(df)
            .map_err(|e| IoError::table(&name, e))
    })
}

/// A layer's geometries in lon/lat (EPSG:4326): its own when it is in lon/lat, else a copy
/// reprojected once (each geometry by one task), which a writer's passes then share.
pub(crate) fn lonlat_geometries<'a>(
    layer: LayerView<'a>,
    name: &str,
) -> Result<std::borrow::Cow<'a, [Option<Geometry<f64>>]>, IoError> {
    if layer.crs == WGS84 {
        return Ok(std::borrow::Cow::Borrowed(layer.geometries));
    }
    careblock_core::project::project_geometries(layer, WGS84)
        .map(std::borrow::Cow::Owned)
        .map_err(|e| IoError::crs(name, e))
}

/// One attribute column, typed for writing: one contiguous arrow array (a writer reads it row
/// by row, which a chunked column would answer by finding the chunk first).
pub(crate) enum Values {
    Int(PrimitiveArray<i64>),
    Float(PrimitiveArray<f64>),
    Bool(BooleanArray),
    Str(Utf8ViewArray),
    Null,
}

/// A column's values as one array (its only chunk, else its chunks joined).
fn one<T: PolarsDataType>(ca: &ChunkedArray<T>, dtype: ArrowDataType) -> T::Array
where
    T::Array: Clone,
{
    let ca = ca.rechunk();
    match ca.downcast_iter().next() {
        Some(a) => a.clone(),
        None => T::Array::full_null(0, dtype),
    }
}

/// The typed values of a column (unsigned 64-bit integers as floats: they may not fit an i64).
pub(crate) fn values(name: &str, col: &Column) -> Result<Values, IoError> {
    let s = col.as_materialized_series();
    let fail = |e: PolarsError| IoError::table(name, format!("column {:?}: {e}", col.name()));
    let dt = s.dtype();
    Ok(if dt.is_integer() && dt != &DataType::UInt64 {
        let ca = s.cast(&DataType::Int64).map_err(fail)?;
        Values::Int(one(ca.i64().map_err(fail)?, ArrowDataType::Int64))
    } else if dt.is_primitive_numeric() {
        let ca = s.cast(&DataType::Float64).map_err(fail)?;
        Values::Float(one(ca.f64().map_err(fail)?, ArrowDataType::Float64))
    } else if dt.is_bool() {
        Values::Bool(one(s.bool().map_err(fail)?, ArrowDataType::Boolean))
    } else if dt == &DataType::Null {
        Values::Null
    } else {
        let ca = s.cast(&DataType::String).map_err(fail)?;
        Values::Str(one(ca.str().map_err(fail)?, ArrowDataType::Utf8View))
    })
}

fn json_err(name: &str) -> impl Fn(serde_json::Error) -> IoError + '_ {
    move |e| IoError::format(name, e.to_string())
}

/// Writes a layer as RFC 7946 GeoJSON, atomically: coordinates reprojected to EPSG:4326 with 7
/// decimals, no `crs` member, exterior rings counter-clockwise and holes clockwise, the layer
/// id as each feature's `id`, and the attributes as properties (numbers as JSON numbers, nulls
/// and NaN as `null`).
///
/// Features are formatted in parallel, a batch at a time, and written in order, so the file is
/// the same whatever the thread count; each geometry is reprojected on its own copy, so the
/// layer is never copied whole.
pub fn write_geojson<'a>(path: &Path, layer: impl Into<LayerView<'a>>) -> Result<(), IoError> {
    let layer: LayerView<'a> = layer.into();
    /// Features per task; a batch is a few tasks per thread (a few MB of text).
    const CHUNK: usize = 2048;
    let name = path_name(path);
    let to_wgs84 = (layer.crs != WGS84).then(|| Reprojection::new(layer.crs, WGS84));
    let columns = layer
        .attributes
        .columns()
        .iter()
        .map(|c| {
            let key = serde_json::to_string(c.name().as_str()).map_err(json_err(&name))?;
            Ok((key, values(&name, c)?))
        })
        .collect::<Result<Vec<_>, IoError>>()?;
    let feature = |buf: &mut String, cache: &mut ProjCache, i: usize| -> Result<(), IoError> {
        buf.push_str(if i == 0 { "\n" } else { ",\n" });
        buf.push_str("{\"type\":\"Feature\",\"id\":");
        buf.push_str(&serde_json::to_string(&layer.ids[i]).map_err(json_err(&name))?);
        buf.push_str(",\"properties\":{");
        for (c, (key, vals)) in columns.iter().enumerate() {
            if c > 0 {
                buf.push(',');
            }
            buf.push_str(key);
            buf.push(':');
            match vals {
                Values::Int(ca) => match ca.get(i) {
                    Some(x) => {
                        let _ = write!(buf, "{x}");
                    }
                    None => buf.push_str("null"),
                },
                Values::Float(ca) => match ca.get(i).filter(|x| x.is_finite()) {
                    Some(x) => buf.push_str(&serde_json::to_string(&x).map_err(json_err(&name))?),
                    None => buf.push_str("null"),
                },
                Values::Bool(ca) => match ca.get(i) {
                    Some(b) => buf.push_str(if b { "true" } else { "false" }),
                    None => buf.push_str("null"),
                },
                Values::Str(ca) => match ca.get(i) {
                    Some(s) => buf.push_str(&serde_json::to_string(s).map_err(json_err(&name))?),
                    None => buf.push_str("null"),
                },
                Values::Null => buf.push_str("null"),
            }
        }
        buf.push_str("},\"geometry\":");
        match (&layer.geometries[i], &to_wgs84) {
            (None, _) => buf.push_str("null"),
            (Some(g), None) => geometry(buf, g),
            (Some(g), Some(r)) => {
                let mut g = g.clone();
                r.apply_feature(layer.name, &layer.ids[i], &mut g, cache)
                    .map_err(|e| IoError::crs(&name, e))?;
                geometry(buf, &g);
            }
        }
        buf.push('}');
        Ok(())
    };
    let io = |e: std::io::Error| IoError::io(&name, e);
    atomic_write(path, |w| {
        w.write_all(b"{\"type\":\"FeatureCollection\",\"features\":[")
            .map_err(io)?;
        let n = layer.len();
        let batch = CHUNK * 4 * rayon::current_num_threads().max(1);
        for start in (0..n).step_by(batch) {
            let end = (start + batch).min(n);
            let texts = (start..end)
                .step_by(CHUNK)
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(|from| {
                    let mut buf = String::with_capacity(CHUNK * 512);
                    let mut cache = ProjCache::default();
                    for i in from..(from + CHUNK).min(end) {
                        feature(&mut buf, &mut cache, i)?;
                    }
                    Ok(buf)
                })
                // In order, so that the first failing feature is the one named.
                .collect::<Vec<Result<String, IoError>>>()
                .into_iter()
                .collect::<Result<Vec<String>, IoError>>()?;
            for t in texts {
                w.write_all(t.as_bytes()).map_err(io)?;
            }
        }
        w.write_all(b"\n]}\n").map_err(io)
    })
}

fn num(buf: &mut String, v: f64) {
    let start = buf.len();
    let _ = write!(buf, "{v:.7}");
    if buf[start..].contains('.') {
        let trimmed = buf[start..].trim_end_matches('0').trim_end_matches('.').len();
        buf.truncate(start + trimmed);
    }
    if &buf[start..] == "-0" {
        buf.truncate(start);
        buf.push('0');
    }
}

fn position(buf: &mut String, c: Coord) {
    buf.push('[');
    num(buf, c.x);
    buf.push(',');
    num(buf, c.y);
    buf.push(']');
}

/// Positions in a run above which the run is formatted in parallel (a coastline of a million
/// vertices is one feature, so batching features alone would leave it to one thread).
const PARALLEL_RUN: usize = 1 << 15;

fn positions(buf: &mut String, cs: &[Coord]) {
    let run = |buf: &mut String, cs: &[Coord]| {
        for (i, &c) in cs.iter().enumerate() {
            if i > 0 {
                buf.push(',');
            }
            position(buf, c);
        }
    };
    buf.push('[');
    if cs.len() < PARALLEL_RUN {
        run(buf, cs);
    } else {
        let parts: Vec<String> = cs
            .par_chunks(PARALLEL_RUN / 2)
            .map(|chunk| {
                let mut s = String::with_capacity(chunk.len() * 24);
                run(&mut s, chunk);
                s
            })
            .collect();
        for (i, part) in parts.iter().enumerate() {
            if i > 0 {
                buf.push(',');
            }
            buf.push_str(part);
        }
    }
    buf.push(']');
}

fn rings(buf: &mut String, p: &Polygon) {
    let p = p.orient(Direction::Default);
    buf.push('[');
    let mut first = true;
    let all: Vec<&LineString> = std::iter::once(p.exterior())
        .filter(|e| !e.0.is_empty())
        .chain(p.interiors())
        .collect();
    for r in all {
        if !first {
            buf.push(',');
        }
        first = false;
        positions(buf, &r.0);
    }
    buf.push(']');
}

fn list<T>(buf: &mut String, items: &[T], mut f: impl FnMut(&mut String, &T)) {
    buf.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            buf.push(',');
        }
        f(buf, item);
    }
    buf.push(']');
}

fn geometry(buf: &mut String, g: &Geometry<f64>) {
    let head = |buf: &mut String, kind: &str| {
        buf.push_str("{\"type\":\"");
        buf.push_str(kind);
        buf.push_str("\",\"coordinates\":");
    };
    match g {
        Geometry::Point(p) => {
            head(buf, "Point");
            position(buf, p.0);
        }
        Geometry::MultiPoint(mp) => {
            head(buf, "MultiPoint");
            list(buf, &mp.0, |b, p| position(b, p.0));
        }
        Geometry::Line(l) => {
            head(buf, "LineString");
            positions(buf, &[l.start, l.end]);
        }
        Geometry::LineString(ls) => {
            head(buf, "LineString");
            positions(buf, &ls.0);
        }
        Geometry::MultiLineString(mls) => {
            head(buf, "MultiLineString");
            list(buf, &mls.0, |b, l| positions(b, &l.0));
        }
        Geometry::Polygon(p) => {
            head(buf, "Polygon");
            rings(buf, p);
        }
        Geometry::Rect(r) => {
            head(buf, "Polygon");
            rings(buf, &r.to_polygon());
        }
        Geometry::Triangle(t) => {
            head(buf, "Polygon");
            rings(buf, &t.to_polygon());
        }
        Geometry::MultiPolygon(mp) => {
            head(buf, "MultiPolygon");
            list(buf, &mp.0, rings);
        }
        Geometry::GeometryCollection(gc) => {
            buf.push_str("{\"type\":\"GeometryCollection\",\"geometries\":");
            list(buf, &gc.0, geometry);
        }
    }
    buf.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_run_is_formatted_as_a_short_one() {
        let cs: Vec<Coord> = (0..PARALLEL_RUN * 2 + 3)
            .map(|i| Coord {
                x: -74.0 + i as f64 * 1e-6,
                y: 4.6 - i as f64 * 3e-7,
            })
            .collect();
        let mut parallel = String::new();
        positions(&mut parallel, &cs);
        let mut serial = String::from("[");
        for (i, &c) in cs.iter().enumerate() {
            if i > 0 {
                serial.push(',');
            }
            position(&mut serial, c);
        }
        serial.push(']');
        assert_eq!(parallel, serial);
    }

    #[test]
    fn numbers_have_seven_decimals_at_most() {
        let mut b = String::new();
        for v in [-74.06463471234, 4.5, -0.00000001, 12.0, 1e-7] {
            num(&mut b, v);
            b.push(' ');
        }
        assert_eq!(b, "-74.0646347 4.5 0 12 0.0000001 ");
    }
}
