//! The index sections: `[[dimensions]]`, `[[indicators]]`, `[treatment]`, `[normalisation]`,
//! `[aggregation]`, `[classification]` and `[uncertainty]`.

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// A dimension's weight and label.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionSpec {
    /// Weight (> 0); default 1.
    pub weight: Option<Spanned<f64>>,
    /// Human-readable name, in one language or per language.
    pub label: Option<crate::Label>,
}

/// How an indicator is built from columns.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum IndicatorKind {
    /// `numerator / denominator`, a part of a whole (e.g. children 0–9 / persons).
    Share,
    /// `numerator / denominator`, any ratio (e.g. dependency ratio).
    Ratio,
    /// `count / area in km²` (projected area).
    Density,
    /// A count as is.
    Count,
    /// Supply gap from E2SFCA access: `1 − A / max(A)`.
    AccessGap,
}

/// `"+"`/`"-"` (or `positive`/`negative`) in the file.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
pub enum DirectionSpec {
    /// More of it, more need.
    #[serde(rename = "+", alias = "positive")]
    Positive,
    /// More of it, less need.
    #[serde(rename = "-", alias = "negative")]
    Negative,
}

/// One indicator.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorSpec {
    /// Short name (output column prefix).
    pub name: Spanned<String>,
    /// Human-readable description, in one language or per language.
    pub label: Option<crate::Label>,
    /// The dimension it belongs to.
    pub dimension: Spanned<String>,
    /// How it is built.
    pub kind: IndicatorKind,
    /// For `share`/`ratio`: the numerator expression.
    pub numerator: Option<Spanned<String>>,
    /// For `share`/`ratio`: the denominator expression.
    pub denominator: Option<Spanned<String>>,
    /// For `density`/`count`: the count expression.
    pub count: Option<Spanned<String>>,
    /// `"+"` (default) or `"-"`.
    pub direction: Option<DirectionSpec>,
    /// Weight within its dimension (> 0, default 1).
    pub weight: Option<Spanned<f64>>,
    /// Goalposts `[low, high]` in raw units, for `normalisation.method = "goalposts"`.
    pub goalposts: Option<Spanned<[f64; 2]>>,
    /// Whether this is the documented criterion or a stated proxy, in words (for reports).
    pub basis: Option<String>,
}

/// Data treatment.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TreatmentSpec {
    /// Winsorisation percentiles `[low, high]`, or `false` for none. Default `[1, 99]`.
    pub winsorise: WinsoriseSpec,
    /// Units with fewer people get no shares/ratios and no index. Default 30.
    pub min_population: f64,
    /// Minimum share of a dimension's indicators (and of the index's dimensions) that must be
    /// present for a score. Default 0.5.
    pub min_available: f64,
}

impl Default for TreatmentSpec {
    fn default() -> Self {
        TreatmentSpec {
            winsorise: WinsoriseSpec::Percentiles([1.0, 99.0]),
            min_population: 30.0,
            min_available: 0.5,
        }
    }
}

/// `winsorise = [1, 99]` or `winsorise = false`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum WinsoriseSpec {
    /// Percentiles.
    Percentiles([f64; 2]),
    /// `false`: no winsorisation (`true` means the default `[1, 99]`).
    Flag(bool),
}

impl WinsoriseSpec {
    /// The percentiles to clip at, if any.
    pub fn percentiles(&self) -> Option<(f64, f64)> {
        match self {
            WinsoriseSpec::Percentiles([a, b]) => Some((*a, *b)),
            WinsoriseSpec::Flag(true) => Some((1.0, 99.0)),
            WinsoriseSpec::Flag(false) => None,
        }
    }
}

/// Normalisation method names in the file.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum NormalisationName {
    /// Min-max to 0–100.
    #[default]
    MinMax,
    /// z-scores.
    ZScore,
    /// Percentile ranks 0–100.
    Rank,
    /// Goalposts from each indicator's `goalposts`, 0–100.
    Goalposts,
}

/// `[normalisation]`.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct NormalisationSpec {
    /// `min-max` (default), `z-score`, `rank` or `goalposts`.
    pub method: NormalisationName,
}

/// Aggregation method names in the file.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum AggregationName {
    /// Weighted arithmetic mean.
    #[default]
    Arithmetic,
    /// Weighted geometric mean (scores rescaled to 1–100 first).
    Geometric,
    /// Mazziotta–Pareto index.
    MazziottaPareto,
}

/// `[aggregation]`.
#[derive(Debug, Clone, Deserialize, Serialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AggregationSpec {
    /// `arithmetic` (default), `geometric` or `mazziotta-pareto`.
    pub method: AggregationName,
}

/// Classification method names in the file.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ClassificationName {
    /// Quantiles (mapclassify `Quantiles`).
    #[default]
    Quantiles,
    /// Fisher–Jenks natural breaks (mapclassify `FisherJenks`).
    Jenks,
    /// Equal intervals (mapclassify `EqualInterval`).
    EqualInterval,
}

/// `[classification]`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClassificationSpec {
    /// `quantiles` (default), `jenks` or `equal-interval`.
    pub method: ClassificationName,
    /// Number of classes (default 5; class `k` is the highest need).
    pub classes: Spanned<usize>,
}

impl Default for ClassificationSpec {
    fn default() -> Self {
        ClassificationSpec {
            method: ClassificationName::Quantiles,
            classes: Spanned::new(0..0, 5),
        }
    }
}

/// `[uncertainty]`: Monte Carlo over weights, normalisation and aggregation.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct UncertaintySpec {
    /// Number of draws (default 1000; 0 turns the analysis off).
    pub draws: usize,
    /// Seed of the random draws (default 2018, the census year).
    pub seed: u64,
    /// Each weight is multiplied by `1 + noise·U(−1, 1)` (default 0.25).
    pub weight_noise: Spanned<f64>,
    /// Normalisations to draw from (default `["min-max", "z-score", "rank"]`).
    pub normalisations: Vec<NormalisationName>,
    /// Aggregations to draw from (default `["arithmetic", "geometric"]`).
    pub aggregations: Vec<AggregationName>,
    /// The levels whose index gets the analysis (default `["units", "districts"]`). Each draw
    /// ranks every row of a level, and the per-row percentiles keep one rank per draw and row
    /// (4 bytes each: 2 GB for 1,000 draws over 500,000 units), so a national run can keep
    /// the analysis to the districts.
    pub levels: Vec<LevelName>,
}

/// The two levels of the index, as named in the method file.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum LevelName {
    /// The census units.
    Units,
    /// The districts.
    Districts,
}

impl UncertaintySpec {
    /// Whether the Monte Carlo runs on this level.
    pub fn covers(&self, level: LevelName) -> bool {
        self.draws > 0 && self.levels.contains(&level)
    }
}

impl Default for UncertaintySpec {
    fn default() -> Self {
        UncertaintySpec {
            draws: 1000,
            seed: 2018,
            weight_noise: Spanned::new(0..0, 0.25),
            normalisations: vec![
                NormalisationName::MinMax,
                NormalisationName::ZScore,
                NormalisationName::Rank,
            ],
            aggregations: vec![AggregationName::Arithmetic, AggregationName::Geometric],
            levels: vec![LevelName::Units, LevelName::Districts],
        }
    }
}
