//! careblock's errors as Python exceptions: `CareblockError` ⊃ `InputError`, `CrsError`,
//! `GeometryError`, `MethodError`, `InfeasibleError`, chosen by the error's variant; the message
//! is the one line the CLI prints (the error and its causes joined by ": ", as anyhow's `{:#}`).

use careblock_core::{CrsError as CoreCrsError, Hint, JoinError, LayerError};
use careblock_index::IndexError;
use careblock_io::IoError;
use careblock_method::MethodError as CoreMethodError;
use careblock_pipeline::PipelineError;
use careblock_siting::SitingError;
use careblock_siting::plan::PlanError;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    careblock,
    CareblockError,
    PyException,
    "Base class of every careblock error."
);
create_exception!(
    careblock,
    InputError,
    CareblockError,
    "A file or table that cannot be read or used: missing file, bad JSON, missing or non-numeric column, duplicate id or key."
);
create_exception!(
    careblock,
    CrsError,
    CareblockError,
    "A CRS problem: unknown or missing CRS, coordinates implausible for it, swapped axes, layers in degrees."
);
create_exception!(
    careblock,
    GeometryError,
    CareblockError,
    "Invalid geometries (self-intersections, bad rings) or a geometry of the wrong kind."
);
create_exception!(
    careblock,
    MethodError,
    CareblockError,
    "A bad method (unknown key, bad weight, unparseable expression, a column the data lacks) or bad settings."
);
create_exception!(
    careblock,
    InfeasibleError,
    CareblockError,
    "Nothing can be sited: no eligible candidate, more sites than candidates, no demand (the CLI's exit code 1)."
);

/// Which Python exception an error becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Input,
    Crs,
    Geometry,
    Method,
    Infeasible,
}

/// An error on its way to Python: its class and its one-line message.
#[derive(Debug)]
pub struct Failure {
    pub kind: Kind,
    pub message: String,
}

impl Failure {
    pub fn new(kind: Kind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
        }
    }
}

/// The error and its causes on one line, as the CLI prints them (anyhow's `{:#}`).
pub fn one_line(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

fn layer_kind(e: &LayerError) -> Kind {
    match e {
        LayerError::WrongGeometry { .. } => Kind::Geometry,
        _ => Kind::Input,
    }
}

fn join_kind(e: &JoinError) -> Kind {
    match e {
        JoinError::Crs(_) => Kind::Crs,
        JoinError::Layer(l) => layer_kind(l),
        JoinError::InvalidGeometry { .. } => Kind::Geometry,
        JoinError::Radius(_) => Kind::Method,
        _ => Kind::Input,
    }
}

fn io_kind(e: &IoError) -> Kind {
    match e {
        IoError::Method { .. } => Kind::Method,
        IoError::InvalidGeometry { .. } => Kind::Geometry,
        IoError::Crs { .. } => Kind::Crs,
        IoError::Layer { error, .. } => layer_kind(error),
        _ => Kind::Input,
    }
}

fn siting_kind(e: &SitingError) -> Kind {
    match e {
        SitingError::NoEligible { .. } | SitingError::TooFewCandidates { .. } => Kind::Infeasible,
        // A bad row of the user's cost table is bad data.
        SitingError::CostRow { .. } => Kind::Input,
        _ => Kind::Method,
    }
}

/// The hint in Python's terms (the arguments of the `careblock` functions), after "; ".
fn hint_words(hint: Hint) -> &'static str {
    match hint {
        Hint::FixInvalid => "pass fix_invalid=True to repair them",
        Hint::GiveCrs => {
            "give the layer's EPSG code (`crs = <code>` beside its path in the method, or the crs/epsg argument)"
        }
        Hint::BuildWithGdal => {
            "the careblock package reads GeoJSON, shapefiles, GeoParquet and FlatGeobuf: convert the file first (e.g. geopandas.read_file(path).to_parquet(...))"
        }
        Hint::NameGeometryColumn => {
            "name its WKB column and CRS (careblock.read(path, geometry=\"<column>\", crs=<code>), or `geometry = \"<column>\"` and `crs = <code>` beside its path in the method), or write it as GeoParquet (GeoDataFrame.to_parquet)"
        }
        _ => "",
    }
}

/// The message with the hint in Python's terms.
fn with_hint(message: String, hint: Option<Hint>) -> String {
    match hint.map(hint_words) {
        Some(w) if !w.is_empty() => format!("{message}; {w}"),
        _ => message,
    }
}

macro_rules! failure_from {
    ($t:ty, $kind:expr) => {
        failure_from!($t, $kind, |_: &$t| None);
    };
    ($t:ty, $kind:expr, $hint:expr) => {
        impl From<$t> for Failure {
            fn from(e: $t) -> Failure {
                #[allow(clippy::redundant_closure_call)]
                let kind = ($kind)(&e);
                #[allow(clippy::redundant_closure_call)]
                let hint = ($hint)(&e);
                Failure {
                    kind,
                    message: with_hint(one_line(&e), hint),
                }
            }
        }
    };
}

failure_from!(IoError, io_kind, IoError::hint);
failure_from!(LayerError, layer_kind);
failure_from!(JoinError, join_kind, JoinError::hint);
failure_from!(SitingError, siting_kind);
failure_from!(CoreCrsError, |_: &CoreCrsError| Kind::Crs, CoreCrsError::hint);
failure_from!(CoreMethodError, |_: &CoreMethodError| Kind::Method);
failure_from!(
    IndexError,
    |e: &IndexError| match e {
        IndexError::Method(_) | IndexError::Access(_) => Kind::Method,
        // A refused value (non-numeric text, a negative or non-finite count) is bad data.
        IndexError::Layer(l) | IndexError::Value { error: l, .. } => layer_kind(l),
        IndexError::Join(j) => join_kind(j),
        _ => Kind::Input,
    },
    IndexError::hint
);
failure_from!(
    PlanError,
    |e: &PlanError| match e {
        PlanError::Method(_) => Kind::Method,
        PlanError::Layer(l) => layer_kind(l),
        PlanError::Join(j) => join_kind(j),
        PlanError::Siting(s) => siting_kind(s),
        PlanError::Infeasible(_) => Kind::Infeasible,
        PlanError::Key { .. } => Kind::Method,
        _ => Kind::Input,
    },
    PlanError::hint
);

impl From<PipelineError> for Failure {
    fn from(e: PipelineError) -> Failure {
        match e {
            PipelineError::Io(e) => e.into(),
            PipelineError::Index(e) => e.into(),
            PipelineError::Plan(e) => e.into(),
            other => Failure {
                kind: Kind::Input,
                message: one_line(&other),
            },
        }
    }
}

impl From<Failure> for PyErr {
    fn from(f: Failure) -> PyErr {
        match f.kind {
            Kind::Input => InputError::new_err(f.message),
            Kind::Crs => CrsError::new_err(f.message),
            Kind::Geometry => GeometryError::new_err(f.message),
            Kind::Method => MethodError::new_err(f.message),
            Kind::Infeasible => InfeasibleError::new_err(f.message),
        }
    }
}

/// Adds the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("CareblockError", py.get_type::<CareblockError>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("CrsError", py.get_type::<CrsError>())?;
    m.add("GeometryError", py.get_type::<GeometryError>())?;
    m.add("MethodError", py.get_type::<MethodError>())?;
    m.add("InfeasibleError", py.get_type::<InfeasibleError>())?;
    Ok(())
}
