//! The method file: a TOML document that declares the inputs, the indicators and every choice
//! of the index (treatment, normalisation, aggregation, classification, uncertainty).
//!
//! [`Method::from_toml`] parses and checks the file's structure: unknown keys, missing keys,
//! wrong types, weights ≤ 0, an indicator without the fields its kind needs, a dimension
//! without indicators, unparseable expressions. Every error names the file, the key and the
//! line. Checks that need the data (a column that does not exist or is not numeric, a
//! denominator that sums to zero) are made by `careblock-index`'s `assess` before any computation.
//!
//! Paths are kept as written; the reader (careblock-io) resolves them relative to the method
//! file.

#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![allow(
    clippy::result_large_err,
    reason = "errors carry the file, feature id, field and value they concern; they are built once per failed run, never in a hot loop"
)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use toml::Spanned;

mod access;
pub mod bands;
mod check;
pub mod expr;
mod index;
mod inputs;
mod label;
mod network;
pub mod output;
mod siting;
pub mod sweep;

pub use access::AccessSpec;
pub use careblock_text::Lang;
pub use index::{
    AggregationName, AggregationSpec, ClassificationName, ClassificationSpec, DimensionSpec, DirectionSpec,
    IndicatorKind, IndicatorSpec, LevelName, NormalisationName, NormalisationSpec, TreatmentSpec,
    UncertaintySpec, WinsoriseSpec,
};
pub use inputs::{CoarseInput, CoarseRate, CrsSpec, LayerInput, SupplyInput, TableInput, UnitsInput};
pub use label::Label;
pub use network::{DistanceRule, NetworkSpec};
pub use siting::{
    AnchorSpec, BusSpec, CandidateInput, Capacity, CostsSpec, CoverageRule, EquitySpec, ExistingInput,
    FilterSpec, GridSpec, PhasesSpec, SitingSpec,
};

use expr::Expr;

/// A parsed and structurally checked method file.
#[derive(Debug, Clone)]
pub struct Method {
    /// Name of the file, for messages.
    pub file: String,
    /// The file's text (to turn byte spans into line numbers in later messages).
    text: String,
    /// The declaration, as read.
    pub spec: MethodSpec,
}

/// Errors of a method file. Each names the file, and where it can the key and line.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum MethodError {
    /// The TOML is malformed, a key is unknown, a value has the wrong type, or a required key is
    /// missing.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// The method file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// A value that parses but is not acceptable.
    #[error("{file}:{line}: {key}: {message}")]
    Invalid {
        /// The method file.
        file: String,
        /// 1-based line of the offending value (0 when the key is absent).
        line: usize,
        /// The key, as a path (e.g. `indicators[2].weight`).
        key: String,
        /// What is wrong and what was expected.
        message: String,
    },
    /// An indicator or expression that names a column the data lacks or that is not numeric,
    /// or a denominator that sums to zero.
    #[error("{file}:{line}: {key}: {message}")]
    Data {
        /// The method file.
        file: String,
        /// 1-based line of the key.
        line: usize,
        /// The key, as a path.
        key: String,
        /// What is wrong, naming the layer and column.
        message: String,
    },
}

/// The whole method declaration (the TOML document).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MethodSpec {
    /// A title for reports, in one language or per language.
    pub name: Option<Label>,
    /// The language of what the run writes for people: terminal summary and notes, report,
    /// QGIS titles, legends and aliases, `explain` and `validate` (`en`, `es`; default `en`).
    #[serde(default)]
    pub lang: Lang,
    /// Working CRS (`9377`, `"EPSG:9377"`); default: the UTM zone of the study area.
    pub crs: Option<CrsSpec>,
    /// The census units (the finest level).
    pub units: UnitsInput,
    /// The districts the index is also computed for (UPZ, UPL, comunas, ...).
    pub districts: Option<LayerInput>,
    /// Coarser layers whose rates are allocated to units (`[[coarse]]`).
    #[serde(default)]
    pub coarse: Vec<CoarseInput>,
    /// Existing care facilities (`[[supply]]`), for the supply-gap indicator.
    #[serde(default)]
    pub supply: Vec<SupplyInput>,
    /// Derived unit columns: `name = "expression"` over unit columns (counts).
    #[serde(default)]
    pub derived: BTreeMap<String, Spanned<String>>,
    /// Counts estimated from a coarse layer's rate (`[[coarse_rates]]`).
    #[serde(default)]
    pub coarse_rates: Vec<CoarseRate>,
    /// E2SFCA settings for `access_gap` indicators.
    #[serde(default)]
    pub access: AccessSpec,
    /// The dimensions and their weights (`[dimensions.NAME]`); a dimension used by an indicator
    /// and not listed here gets weight 1.
    #[serde(default)]
    pub dimensions: BTreeMap<String, DimensionSpec>,
    /// The indicators (`[[indicators]]`), in output order.
    pub indicators: Vec<IndicatorSpec>,
    /// Data treatment.
    #[serde(default)]
    pub treatment: TreatmentSpec,
    /// Normalisation.
    #[serde(default)]
    pub normalisation: NormalisationSpec,
    /// Aggregation.
    #[serde(default)]
    pub aggregation: AggregationSpec,
    /// Classification.
    #[serde(default)]
    pub classification: ClassificationSpec,
    /// Monte Carlo uncertainty analysis.
    #[serde(default)]
    pub uncertainty: UncertaintySpec,
    /// Siting of care blocks (`[siting]`), optional.
    pub siting: Option<SitingSpec>,
    /// The street network for walking distances (`[network]`), used by `distance = "network"`
    /// in `[siting]` and `[access]`.
    pub network: Option<NetworkSpec>,
    /// The formats of the output layers (`[output]`).
    #[serde(default)]
    pub output: output::OutputSpec,
}

impl Method {
    /// Parses and structurally checks a method file. `file` is its name for messages.
    pub fn from_toml(file: &str, text: &str) -> Result<Method, MethodError> {
        let method = Method::parse(file, text)?;
        method.check()?;
        Ok(method)
    }

    /// Parses a method file without its checks: only a syntax or type error fails. The
    /// problems the checks find are [`Method::problems`].
    pub fn parse(file: &str, text: &str) -> Result<Method, MethodError> {
        let spec: MethodSpec = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
            MethodError::Syntax {
                file: file.to_string(),
                line,
                column,
                message: e.message().trim().replace('\n', " "),
            }
        })?;
        Ok(Method {
            file: file.to_string(),
            text: text.to_string(),
            spec,
        })
    }

    /// The file's text, as read (for a sweep scenario's method, the text its overrides rewrote).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The 1-based line of a byte offset in the file (0 for a default value with no span).
    pub fn line_of(&self, span: std::ops::Range<usize>) -> usize {
        if span.is_empty() && span.start == 0 {
            0
        } else {
            line_col(&self.text, span.start).0
        }
    }

    /// An [`MethodError::Invalid`] at a span.
    pub fn invalid(
        &self,
        span: std::ops::Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> MethodError {
        MethodError::Invalid {
            file: self.file.clone(),
            line: self.line_of(span),
            key: key.into(),
            message: message.into(),
        }
    }

    /// A [`MethodError::Data`] at a span.
    pub fn data_error(
        &self,
        span: std::ops::Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> MethodError {
        MethodError::Data {
            file: self.file.clone(),
            line: self.line_of(span),
            key: key.into(),
            message: message.into(),
        }
    }

    /// The dimensions in output order: first appearance among the indicators, with weights and
    /// labels (in the method's language).
    pub fn dimensions(&self) -> Vec<(String, f64, Option<String>)> {
        let mut out: Vec<(String, f64, Option<String>)> = Vec::new();
        for ind in &self.spec.indicators {
            let d = ind.dimension.get_ref();
            if out.iter().any(|(n, _, _)| n == d) {
                continue;
            }
            let spec = self.spec.dimensions.get(d);
            let w = spec
                .and_then(|s| s.weight.as_ref())
                .map(|w| *w.get_ref())
                .unwrap_or(1.0);
            out.push((
                d.clone(),
                w,
                spec.and_then(|s| s.label.as_ref())
                    .map(|l| l.get(self.spec.lang).to_string()),
            ));
        }
        out
    }

    /// Parses an expression field, naming the key and line on error.
    pub fn parse_expr(&self, e: &Spanned<String>, key: &str) -> Result<Expr, MethodError> {
        Expr::parse(e.get_ref()).map_err(|err| self.invalid(e.span(), key, err.to_string()))
    }
}

/// 1-based (line, column) of a byte offset.
/// A weight is a finite number > 0.
pub(crate) fn weight_ok(w: f64) -> bool {
    w.is_finite() && w > 0.0
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
[units]
path = "u.geojson"
population = "pop"

[[indicators]]
name = "young"
dimension = "demand"
kind = "share"
numerator = "pop_0_9"
denominator = "pop"
"#;

    fn err(text: &str) -> String {
        Method::from_toml("m.toml", text).unwrap_err().to_string()
    }

    #[test]
    fn a_derived_column_that_reads_itself_back_is_refused_with_its_cycle() {
        let e = err(&format!(
            "{BASE}[derived]\na = \"b + 1\"\nb = \"c * 2\"\nc = \"a\"\nd = \"pop\"\n"
        ));
        assert!(
            e.contains("derived.c") && e.contains("\"a\" refers to itself (cycle: a → b → c → a)"),
            "{e}"
        );
        let e = err(&format!(
            "{BASE}[derived]\nx = \"est\"\n[[coarse]]\nname = \"loc\"\npath = \"l.geojson\"\nid = \"ID\"\n\
             [[coarse_rates]]\nname = \"est\"\nlayer = \"loc\"\nrate = \"r\"\nbase = \"x\"\n"
        ));
        assert!(
            e.contains("coarse_rates[0].base") && e.contains("cycle: x → est → x"),
            "{e}"
        );
        // Shared columns read twice are no cycle.
        let m = Method::from_toml(
            "m.toml",
            &format!("{BASE}[derived]\na = \"b + c\"\nb = \"c\"\nc = \"pop\"\n"),
        );
        assert!(m.is_ok(), "{:?}", m.err());
    }

    #[test]
    fn access_minutes_are_walking_time_bands_on_the_network() {
        let net = "[network]\npath = \"s.geojson\"\nwalking_speed = 6\n";
        let m = Method::from_toml(
            "m.toml",
            &format!("{BASE}[access]\ndistance = \"network\"\nminutes = [[5, 1.0], [10, 0.5]]\n{net}"),
        )
        .unwrap();
        // 6 km/h = 100 m per minute.
        assert_eq!(
            m.spec.access.band_metres(m.spec.network.as_ref()),
            Some(vec![(500.0, 1.0), (1000.0, 0.5)])
        );
        let e = err(&format!(
            "{BASE}[access]\ndistance = \"network\"\nbands = [[400, 1.0]]\nminutes = [[5, 1.0]]\n{net}"
        ));
        assert!(
            e.contains("m.toml:15: access.minutes") && e.contains("not both"),
            "{e}"
        );
        let e = err(&format!("{BASE}[access]\nminutes = [[5, 1.0]]\n"));
        assert!(
            e.contains("access.minutes") && e.contains("distance = \"network\""),
            "{e}"
        );
        let e = err(&format!(
            "{BASE}[access]\ndistance = \"network\"\nminutes = [[10, 1.0], [5, 0.5]]\n{net}"
        ));
        assert!(
            e.contains("access.minutes") && e.contains("5.0 min does not exceed the previous bound 10.0 min"),
            "{e}"
        );
    }

    #[test]
    fn network_options_are_checked_with_key_and_line() {
        let siting = "[siting]\np = 1\ngrid = { spacing = 500 }\ndistance = \"network\"\n";
        let e = err(&format!("{BASE}{siting}"));
        assert!(
            e.contains("m.toml:15: siting.distance") && e.contains("[network]"),
            "{e}"
        );
        let e = err(&format!("{BASE}[access]\ndistance = \"network\"\n"));
        assert!(e.contains("m.toml:13: access.distance"), "{e}");
        let net = "[network]\npath = \"streets.geojson\"\nsnap_tolerance = -1\n";
        let e = err(&format!("{BASE}{siting}{net}"));
        assert!(
            e.contains("m.toml:18: network.snap_tolerance") && e.contains("> 0"),
            "{e}"
        );
        let e = err(&format!(
            "{BASE}{siting}[network]\npath = \"s.geojson\"\nspeed = 4\n"
        ));
        assert!(e.contains("unknown field `speed`"), "{e}");
        let e = err(&format!("{BASE}[network]\npath = \"s.geojson\"\n"));
        assert!(e.contains("network: the [network] is not used"), "{e}");
        let e = err(&format!(
            "{BASE}{siting}radius = 900\n[network]\npath = \"s.geojson\"\nminutes = 10\n"
        ));
        assert!(e.contains("network.minutes") && e.contains("not both"), "{e}");
        let e = err(&format!(
            "{BASE}{siting}coverage = \"area\"\n[network]\npath = \"s.geojson\"\n"
        ));
        assert!(e.contains("siting.coverage"), "{e}");
        let m = Method::from_toml(
            "m.toml",
            &format!("{BASE}{siting}[network]\npath = \"s.geojson\"\nminutes = 10\n"),
        )
        .unwrap();
        let st = m.spec.siting.as_ref().unwrap();
        assert_eq!(st.distance(), DistanceRule::Network);
        assert_eq!(st.effective_radius(m.spec.network.as_ref()), 800.0);
        let n = m.spec.network.as_ref().unwrap();
        assert_eq!(
            (
                n.snap_tolerance(),
                n.walking_speed(),
                n.buffer(),
                n.max_snap(800.0)
            ),
            (2.0, 4.8, 50.0, 800.0)
        );
        assert_eq!(m.spec.access.distance(), DistanceRule::Euclidean);
        assert_eq!(m.spec.access.band_metres(m.spec.network.as_ref()), None);
    }

    #[test]
    fn a_minimal_method_gets_the_documented_defaults() {
        let m = Method::from_toml("m.toml", BASE).unwrap();
        let s = &m.spec;
        assert_eq!(s.treatment.winsorise.percentiles(), Some((1.0, 99.0)));
        assert_eq!(s.treatment.min_population, 30.0);
        assert_eq!(s.normalisation.method, NormalisationName::MinMax);
        assert_eq!(s.aggregation.method, AggregationName::Arithmetic);
        assert_eq!(s.classification.method, ClassificationName::Quantiles);
        assert_eq!(*s.classification.classes.get_ref(), 5);
        assert_eq!(s.uncertainty.draws, 1000);
        assert!(s.uncertainty.covers(LevelName::Units) && s.uncertainty.covers(LevelName::Districts));
        assert_eq!(m.dimensions(), vec![("demand".to_string(), 1.0, None)]);
    }

    #[test]
    fn the_monte_carlo_can_be_kept_to_one_level() {
        let m = Method::from_toml(
            "m.toml",
            &format!("{BASE}\n[uncertainty]\ndraws = 10\nlevels = [\"districts\"]\n"),
        )
        .unwrap();
        let u = &m.spec.uncertainty;
        assert!(u.covers(LevelName::Districts) && !u.covers(LevelName::Units));
        let e = err(&format!("{BASE}\n[uncertainty]\nlevels = []\n"));
        assert!(e.contains("uncertainty.levels"), "{e}");
        let e = err(&format!("{BASE}\n[uncertainty]\nlevels = [\"blocks\"]\n"));
        assert!(e.contains("blocks"), "{e}");
    }

    #[test]
    fn structural_errors_name_key_and_line() {
        let e = err(&BASE.replace("kind = \"share\"", "kind = \"shares\""));
        assert!(e.starts_with("m.toml:9:8:"), "{e}");
        let e = err(&format!("{BASE}weight = -1\n"));
        assert!(e.contains("m.toml:12: indicators[0].weight"), "{e}");
        let e = err(&BASE.replace("numerator = \"pop_0_9\"\n", ""));
        assert!(
            e.contains("indicators[0].numerator") && e.contains("needs"),
            "{e}"
        );
        let e = err(&format!("{BASE}count = \"pop\"\n"));
        assert!(e.contains("does not use `count`"), "{e}");
        let e = err(&format!("{BASE}[dimensions.other]\nweight = 2\n"));
        assert!(e.contains("dimension \"other\" has no indicator"), "{e}");
        let e = err(&format!(
            "{BASE}[[indicators]]\nname = \"young\"\ndimension = \"d\"\nkind = \"count\"\ncount = \"pop\"\n"
        ));
        assert!(e.contains("declared twice"), "{e}");
        let e = err(&BASE.replace("\"pop_0_9\"", "\"pop_0_9 *\""));
        assert!(e.contains("indicators[0].numerator"), "{e}");
        let e = err(&format!("{BASE}[normalisation]\nmethod = \"goalposts\"\n"));
        assert!(e.contains("goalposts"), "{e}");
        let e = err(&format!(
            "{BASE}[[indicators]]\nname = \"gap\"\ndimension = \"s\"\nkind = \"access_gap\"\n"
        ));
        assert!(e.contains("no [[supply]]"), "{e}");
        let e = err(&format!("{BASE}[uncertainty]\nweight_noise = 1.5\n"));
        assert!(e.contains("uncertainty.weight_noise"), "{e}");
    }

    const SITING: &str = "[siting]\np = 2\n[siting.grid]\nspacing = 500\n";

    #[test]
    fn equity_options_are_checked_with_key_and_line() {
        let with = |equity: &str| {
            format!("{BASE}[districts]\npath = \"d.geojson\"\n{SITING}[siting.equity]\n{equity}")
        };
        let m = Method::from_toml("m.toml", &with("layer = \"districts\"\n")).unwrap();
        let e = m.spec.siting.as_ref().unwrap().equity.as_ref().unwrap();
        assert_eq!(
            (*e.min.get_ref(), e.max.is_none(), e.layer_name()),
            (1, true, Some("districts"))
        );
        // min > max, on the line of max.
        let text = with("layer = \"districts\"\nmin = 2\nmax = 1\n");
        let line = text.lines().position(|l| l == "max = 1").unwrap() + 1;
        let msg = err(&text);
        assert!(
            msg.contains(&format!("m.toml:{line}: siting.equity.max")) && msg.contains("below the minimum 2"),
            "{msg}"
        );
        // An unknown layer names the layers there are.
        let text = with("layer = \"localidades\"\n");
        let line = text.lines().position(|l| l.starts_with("layer = ")).unwrap() + 1;
        let msg = err(&text);
        assert!(
            msg.contains(&format!("m.toml:{line}: siting.equity.layer")) && msg.contains("\"localidades\""),
            "{msg}"
        );
        assert!(err(&with("")).contains("siting.equity.layer"));
        assert!(err(&with("layer = \"districts\"\npath = \"x.geojson\"\n")).contains("not both"));
        assert!(err(&with("layer = \"districts\"\nid = \"x\"\n")).contains("go with `path`"));
        assert!(err(&with("layer = \"districts\"\nmin_if_need_above = nan\n")).contains("min_if_need_above"));
        assert!(err(&with("layer = \"districts\"\nminimum = 1\n")).contains("unknown field"));
        // Without [districts], "districts" is unknown; a coarse layer or a path is fine.
        let msg = err(&format!("{BASE}{SITING}[siting.equity]\nlayer = \"districts\"\n"));
        assert!(msg.contains("no [districts]"), "{msg}");
        let coarse = format!(
            "{BASE}[[coarse]]\nname = \"loc\"\npath = \"l.geojson\"\n{SITING}[siting.equity]\nlayer = \"loc\"\nmax = 3\n"
        );
        assert!(Method::from_toml("m.toml", &coarse).is_ok());
        let own = format!(
            "{BASE}{SITING}[siting.equity]\npath = \"l.geojson\"\nid = \"c\"\nmin_if_need_above = 60\n"
        );
        assert!(Method::from_toml("m.toml", &own).is_ok());
    }

    #[test]
    fn coarse_rates_must_name_a_coarse_layer() {
        let e = err(&format!(
            "{BASE}[[coarse_rates]]\nname = \"w\"\nlayer = \"localidades\"\nrate = \"r\"\nbase = \"pop\"\n"
        ));
        assert!(e.contains("no [[coarse]] layer is named \"localidades\""), "{e}");
    }
}
