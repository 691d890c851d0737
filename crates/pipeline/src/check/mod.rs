//! Lenient checking of a method file and every input it names, for `careblock validate`.
//!
//! [`check_method`] reads everything [`crate::load_inputs`] reads, but never stops at the first
//! problem: a layer that cannot be read (an implausible coordinate, a duplicate id, a missing
//! file) is reported with its one-line error and the other inputs are still checked. It reuses
//! the library's own checks — [`careblock_method::Method::problems`] (every one, where `run` stops at the first) for the method's
//! structure, [`careblock_core::project::check_plausible`] (inside the readers),
//! [`careblock_core::validate::validate`] and [`careblock_core::validate::repair`], and the
//! data checks `careblock run` makes ([`careblock_core::checks`]: every column through
//! [`careblock_core::Layer::checked_column`], the population rule, and the coverage of units by
//! districts from the same area table) — and computes neither the index nor the siting.
//!
//! Every problem is an [`Severity::Error`] (the run would fail) or a [`Severity::Warning`] (the
//! run goes on and the features listed get the documented treatment), with the complete list
//! of the feature ids concerned. The warnings about the data are the
//! [`careblock_core::checks::Finding`]s `careblock run` prints as notes, word for word.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use careblock_core::Hint;

use self::checker::{Checker, Loaded, project_loaded};
use self::units::{UnitColumns, check_units, coverage};
use careblock_io::read_method_problems;

mod checker;
mod inputs;
mod units;

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// `careblock run` would fail.
    Error,
    /// The run goes on; the features listed get a documented treatment.
    Warning,
}

impl Severity {
    /// `"error"` or `"warning"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem, with every feature id it concerns.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// The file concerned (an input path or the method file).
    pub source: String,
    /// What is wrong and, for a warning, what the run does about it (errors stay English).
    pub message: careblock_text::Msg,
    /// The feature ids (or table keys) concerned, complete, in file order.
    pub ids: Vec<String>,
    /// What the user can do about it, for the front end to word.
    pub hint: Option<Hint>,
}

/// Missing values of one column the method uses.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSummary {
    /// The column.
    pub column: String,
    /// The method key that uses it (e.g. `indicators[2].numerator`).
    pub used_by: String,
    /// Whether it exists and is numeric.
    pub numeric: bool,
    /// Features whose value is null (or NaN, empty).
    pub nulls: Vec<String>,
    /// Features whose value is the census mask `"*"`.
    pub masked: Vec<String>,
}

/// What was read from one input file.
#[derive(Debug, Clone, PartialEq)]
pub struct InputSummary {
    /// Its role in the method (`units`, `districts`, `coarse localidades`, `supply NAME`, ...).
    pub role: String,
    /// The path (resolved against the method file's directory).
    pub path: String,
    /// Whether it could be read at all.
    pub read: bool,
    /// Number of features read.
    pub features: usize,
    /// Its CRS, as declared or assumed.
    pub crs: Option<String>,
    /// Whether every coordinate is plausible for the CRS (finite, degrees within ±180/±90,
    /// metres not degree-like); `false` when the reader refused one.
    pub plausible: bool,
    /// Geometry kinds and how many features have each (`null` for no geometry).
    pub geometry: BTreeMap<String, usize>,
    /// The attribute table joined to it, if any: (path, rows matched).
    pub table: Option<(String, usize)>,
    /// The columns of this input the method uses.
    pub columns: Vec<ColumnSummary>,
}

/// The outcome of [`check_method`].
#[derive(Debug, Clone, PartialEq)]
pub struct CheckReport {
    /// The method file.
    pub method: String,
    /// The method's `name` (in one language or several), if it could be read.
    pub name: Option<careblock_method::Label>,
    /// The method's `lang` (English when the method could not be read).
    pub lang: careblock_text::Lang,
    /// The working CRS the run would use.
    pub working_crs: Option<String>,
    /// Dimensions (name, weight) and the number of indicators, when the method parsed.
    pub dimensions: Vec<(String, f64)>,
    /// Number of indicators.
    pub indicators: usize,
    /// Every input, in the method's order.
    pub inputs: Vec<InputSummary>,
    /// Every problem, in the order found.
    pub problems: Vec<Problem>,
}

impl CheckReport {
    /// Number of errors.
    pub fn errors(&self) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
            .count()
    }

    /// Number of warnings.
    pub fn warnings(&self) -> usize {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
            .count()
    }
}

/// Reads and checks a method file and every input it names, without computing the index or
/// the siting. Never fails: every problem, including an unreadable method file, is in the
/// report.
pub fn check_method(path: &Path) -> CheckReport {
    let file = path.display().to_string();
    let mut report = CheckReport {
        method: file.clone(),
        name: None,
        lang: careblock_text::Lang::En,
        working_crs: None,
        dimensions: Vec::new(),
        indicators: 0,
        inputs: Vec::new(),
        problems: Vec::new(),
    };
    let method = match read_method_problems(path) {
        Ok((m, problems)) if problems.is_empty() => m,
        Ok((m, problems)) => {
            report.lang = m.spec.lang;
            // The method's own checks, every one (`careblock run` stops at the first): the
            // inputs are read only from a method that passes them.
            report.problems.extend(problems.into_iter().map(|e| Problem {
                severity: Severity::Error,
                source: file.clone(),
                message: careblock_text::msg!("common.error_text", text = e.to_string()),
                ids: Vec::new(),
                hint: None,
            }));
            return report;
        }
        Err(e) => {
            report.problems.push(Problem {
                severity: Severity::Error,
                source: file,
                message: careblock_text::msg!("common.error_text", text = e.to_string()),
                ids: Vec::new(),
                hint: e.hint(),
            });
            return report;
        }
    };
    report.lang = method.spec.lang;
    report.name = method.spec.name.clone();
    report.dimensions = method.dimensions().into_iter().map(|(n, w, _)| (n, w)).collect();
    report.indicators = method.spec.indicators.len();
    let base = path.parent().unwrap_or(Path::new(""));
    let mut c = Checker {
        method: &method,
        base,
        report,
    };
    let spec = &method.spec;

    let read = inputs::read_inputs(&mut c, spec);
    inputs::layer_columns(&mut c, spec, &read);
    inputs::axis_order(&mut c, &read);
    let crs = inputs::working(&mut c, &method, &read);
    let inputs::Read {
        units,
        districts,
        coarse,
        supply,
        candidates,
        existing,
    } = read;
    c.report.working_crs = crs.map(|c| c.to_string());
    let units = project_loaded(&mut c, units, crs);
    let districts = project_loaded(&mut c, districts, crs);
    let coarse: Vec<Option<Loaded>> = coarse
        .into_iter()
        .map(|l| project_loaded(&mut c, l, crs).filter(|l| l.valid))
        .collect();
    for l in supply.into_iter().chain(candidates).chain(existing) {
        project_loaded(&mut c, l, crs);
    }

    // Unit columns, expressions and the population rule.
    if let Some(u) = &units {
        let unit_polys = (u.valid && crs.is_some())
            .then(|| u.layer.polygons().ok())
            .flatten();
        let mut cols = UnitColumns {
            units: u,
            unit_polys,
            coarse,
            values: HashMap::new(),
        };
        let population = check_units(&mut c, &mut cols);
        if let (Some(d), Some(upolys)) = (&districts, &cols.unit_polys)
            && d.valid
        {
            coverage(&mut c, &u.layer, upolys, &d.layer, population.as_deref());
        }
    }
    c.report
}
