//! Typed errors of the core library. Every variant carries the offending layer, feature id,
//! field or value, so that a message can say exactly what is wrong and where.

use thiserror::Error;

/// What a user can do about an error. The libraries never name a command-line flag or a Python
/// argument in their messages: each front end words the hint in its own terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Hint {
    /// Invalid polygons or unclosed rings that careblock can repair (`--fix-invalid` on the
    /// command line, `fix_invalid=True` in Python).
    FixInvalid,
    /// A CRS careblock cannot recognise from the file: give its EPSG code instead.
    GiveCrs,
    /// A vector format only the optional GDAL/OGR reader reads.
    BuildWithGdal,
    /// A Parquet file without GeoParquet metadata and without a binary column of a usual
    /// geometry name: name the column that holds its WKB geometries, and give their CRS.
    NameGeometryColumn,
}

/// Errors about coordinate reference systems and coordinates.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum CrsError {
    /// An EPSG code that is in no CRS database careblock has.
    #[error(
        "EPSG:{code} is not a CRS code careblock knows (it is in neither its own definitions nor its EPSG database); check the code"
    )]
    UnknownEpsg {
        /// The code as given.
        code: u32,
    },
    /// An EPSG code careblock knows but cannot measure or transform in.
    #[error("EPSG:{code} cannot be used: {reason}")]
    UnsupportedEpsg {
        /// The code as given.
        code: u32,
        /// Why it was refused.
        reason: String,
    },
    /// A CRS text (`EPSG:9377`, `9377`, an OGC URN, a .prj WKT) that could not be understood.
    #[error("cannot understand the CRS {text:?}: {reason}")]
    Unparseable {
        /// The text as given.
        text: String,
        /// Why it was refused.
        reason: &'static str,
        /// What to do about it.
        hint: Option<Hint>,
    },
    /// A layer that declares no CRS and for which none was given.
    #[error(
        "{layer}: the layer has no CRS (no .prj beside the shapefile, no `crs` member, or GeoParquet `crs: null`) and none was given; add the .prj that came with the data, or give the layer's CRS (`crs = <EPSG code>` beside its path in the method file)"
    )]
    Unknown {
        /// The layer (file) name.
        layer: String,
    },
    /// A coordinate that cannot belong to the layer's CRS (e.g. metres in a lon/lat file).
    #[error(
        "{layer}: feature {id:?} has coordinate ({x:?}, {y:?}), which is not plausible for {crs}: {reason}"
    )]
    Implausible {
        /// The layer (file) name.
        layer: String,
        /// The feature id.
        id: String,
        /// The coordinate's x (longitude or easting).
        x: f64,
        /// The coordinate's y (latitude or northing).
        y: f64,
        /// The CRS the layer claims.
        crs: String,
        /// What was expected.
        reason: &'static str,
    },
    /// A lon/lat layer that looks like (lat, lon): outside the other layer, inside it swapped.
    #[error(
        "{layer}: coordinates look like (lat, lon) instead of (lon, lat): the layer lies wholly outside {reference}, but would overlap it with its axes swapped (feature {id:?} has ({x:?}, {y:?})); swap the columns or axes when making the file"
    )]
    SwappedAxes {
        /// The layer (file) name.
        layer: String,
        /// The layer it was compared with.
        reference: String,
        /// The first feature's id.
        id: String,
        /// Its first coordinate's x as read (should be the longitude).
        x: f64,
        /// Its first coordinate's y as read (should be the latitude).
        y: f64,
    },
    /// A coordinate the projection library could not transform.
    #[error("{layer}: feature {id:?}: cannot transform ({x:?}, {y:?}) from {from} to {to}: {reason}")]
    Transform {
        /// The layer (file) name.
        layer: String,
        /// The feature id.
        id: String,
        /// x of the coordinate.
        x: f64,
        /// y of the coordinate.
        y: f64,
        /// Source CRS.
        from: String,
        /// Target CRS.
        to: String,
        /// The projection library's message.
        reason: String,
    },
    /// Distances or areas asked of a layer in a geographic (degree) CRS.
    #[error(
        "{layer}: areas and distances need a projected CRS in metres, but the layer is in {crs}; project it first"
    )]
    NotProjected {
        /// The layer (file) name.
        layer: String,
        /// Its CRS.
        crs: String,
    },
    /// Two layers that must share a CRS do not.
    #[error("{a} is in {crs_a} but {b} is in {crs_b}; project both to the same CRS")]
    Mismatch {
        /// First layer.
        a: String,
        /// Its CRS.
        crs_a: String,
        /// Second layer.
        b: String,
        /// Its CRS.
        crs_b: String,
    },
}

/// Errors about a layer's structure and attributes.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum LayerError {
    /// The id, geometry and attribute arrays have different lengths.
    #[error("{layer}: {ids} ids, {geometries} geometries and {rows} attribute rows; they must be equal")]
    LengthMismatch {
        /// The layer (file) name.
        layer: String,
        /// Number of ids.
        ids: usize,
        /// Number of geometries.
        geometries: usize,
        /// Number of attribute rows.
        rows: usize,
    },
    /// Two features share an id.
    #[error(
        "{layer}: id {id:?}{} is used by features {first} and {second} (ids must be unique)",
        id_source.as_ref().map(|s| format!(" ({s})")).unwrap_or_default()
    )]
    DuplicateId {
        /// The layer (file) name.
        layer: String,
        /// The repeated id.
        id: String,
        /// Where the ids come from, when the reader knows (`field "code"`, `the GeoJSON "id"
        /// member`); `None` from [`crate::Layer::new`].
        id_source: Option<String>,
        /// Index of the first feature with it.
        first: usize,
        /// Index of the second.
        second: usize,
    },
    /// A column that is not in the layer.
    #[error("{layer}: no column {column:?} (columns: {available})")]
    MissingColumn {
        /// The layer (file) name.
        layer: String,
        /// The column asked for.
        column: String,
        /// The columns that exist, comma-separated.
        available: String,
    },
    /// A value that should be a number.
    #[error("{layer}: feature {id:?}, field {column:?}: expected a number, found {value:?}")]
    NotNumeric {
        /// The layer (file) name.
        layer: String,
        /// The feature id.
        id: String,
        /// The column.
        column: String,
        /// The value found.
        value: String,
    },
    /// A count that is negative or not finite.
    #[error("{layer}: feature {id:?}, field {column:?}: expected a finite count >= 0, found {value}")]
    InvalidCount {
        /// The layer (file) name.
        layer: String,
        /// The feature id.
        id: String,
        /// The column.
        column: String,
        /// The value found.
        value: f64,
    },
    /// A feature whose geometry is not of the kind the operation needs.
    #[error("{layer}: feature {id:?} is a {found}, but {expected} geometries are expected")]
    WrongGeometry {
        /// The layer (file) name.
        layer: String,
        /// The feature id.
        id: String,
        /// What was expected ("polygon" or "point").
        expected: &'static str,
        /// What was found.
        found: &'static str,
    },
    /// A column type careblock cannot use.
    #[error("{layer}: column {column:?}: {reason}")]
    Column {
        /// The layer (file) name.
        layer: String,
        /// The column.
        column: String,
        /// What went wrong.
        reason: String,
    },
}

/// Errors of the spatial joins.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum JoinError {
    /// A CRS problem (not projected, mismatch).
    #[error(transparent)]
    Crs(#[from] CrsError),
    /// A layer/attribute problem.
    #[error(transparent)]
    Layer(#[from] LayerError),
    /// Invalid geometries that would make the join wrong; repair them first.
    #[error(
        "{layer}: {count} invalid geometr{plural} (first: feature {first_id:?}: {first_problem}); validate the layer and repair with make-valid"
    )]
    InvalidGeometry {
        /// The layer (file) name.
        layer: String,
        /// How many features are invalid.
        count: usize,
        /// Whether to say "ies" or "y".
        plural: &'static str,
        /// The first invalid feature's id.
        first_id: String,
        /// What is wrong with it.
        first_problem: String,
    },
    /// A distance that is not a finite positive number of metres.
    #[error("radius must be a finite number of metres > 0, got {0}")]
    Radius(f64),
}

impl CrsError {
    /// What the user can do about this error, if careblock knows.
    pub fn hint(&self) -> Option<Hint> {
        match self {
            CrsError::Unparseable { hint, .. } => *hint,
            _ => None,
        }
    }
}

impl JoinError {
    /// What the user can do about this error, if careblock knows.
    pub fn hint(&self) -> Option<Hint> {
        match self {
            JoinError::Crs(e) => e.hint(),
            _ => None,
        }
    }
}
