//! `careblock sweep` without the writing: the inputs read, validated and projected once, then
//! each scenario's index (the base method's, computed once, when a scenario changes only
//! `[siting]`) and siting. A scenario that fails is an outcome of the sweep, not its end.

use std::sync::Arc;

use careblock_core::join::points::points_in_polygons;
use careblock_index::{Assessment, assess};
use careblock_io::IoError;
use careblock_method::Method;
use careblock_siting::plan::{Plan, PlanInputs, UnitShapes, plan};
use geo::{MultiPolygon, Point};
use polars::prelude::{Column, DataFrame};

use crate::load::LoadedInputs;
use crate::run::PipelineError;

/// The scenarios of a sweep over one set of inputs.
pub struct Sweeper<'a> {
    inputs: &'a LoadedInputs,
    base: &'a Method,
    base_assessment: Option<Arc<Assessment>>,
    /// The districts' polygons, to count each scenario's blocks per district.
    districts: Option<Vec<MultiPolygon<f64>>>,
    /// The units' polygons and centroids, computed by the first scenario that sites.
    shapes: Option<Arc<UnitShapes>>,
}

/// What a [`Sweeper`] keeps between scenarios, without its borrows.
#[derive(Default)]
pub struct SweepState {
    base_assessment: Option<Arc<Assessment>>,
    districts: Option<Vec<MultiPolygon<f64>>>,
    shapes: Option<Arc<UnitShapes>>,
}

/// One scenario's outcome.
pub struct ScenarioRun {
    /// The index the siting used (shared with other scenarios when it is the base method's).
    pub assessment: Arc<Assessment>,
    /// Whether the index is the base method's (the scenario changed only `[siting]`).
    pub index_reused: bool,
    /// The siting, when the scenario's method has a `[siting]`.
    pub plan: Option<Plan>,
    /// The district each of the plan's sites lies in (the lowest-index district containing it),
    /// when the method has districts.
    pub site_districts: Vec<Option<String>>,
}

impl<'a> Sweeper<'a> {
    /// A sweep over `inputs`, loaded for `base` (the method the scenarios vary).
    pub fn new(base: &'a Method, inputs: &'a LoadedInputs) -> Result<Sweeper<'a>, PipelineError> {
        let districts = match &inputs.districts {
            Some(d) => Some(d.polygons().map_err(|e| IoError::layer(&d.name, e))?),
            None => None,
        };
        Ok(Sweeper {
            inputs,
            base,
            base_assessment: None,
            districts,
            shapes: None,
        })
    }

    /// A sweep that goes on from `state` (what an earlier [`Sweeper`] over the same `base` and
    /// `inputs` had computed: the base index, the districts' polygons), for a front end that
    /// keeps the inputs between calls (Python's sweep session, one per Dask worker).
    pub fn resume(base: &'a Method, inputs: &'a LoadedInputs, state: SweepState) -> Sweeper<'a> {
        Sweeper {
            inputs,
            base,
            base_assessment: state.base_assessment,
            districts: state.districts,
            shapes: state.shapes,
        }
    }

    /// What this sweep has computed that the next scenarios reuse.
    pub fn into_state(self) -> SweepState {
        SweepState {
            base_assessment: self.base_assessment,
            districts: self.districts,
            shapes: self.shapes,
        }
    }

    /// Runs one scenario: `method` is the base method with the scenario's overrides, whose
    /// keys are `keys` (a scenario whose keys all start with `siting.` reuses the base index).
    pub fn run(&mut self, method: &Method, keys: &[String]) -> Result<ScenarioRun, PipelineError> {
        let siting_only = !keys.is_empty() && keys.iter().all(|k| k.starts_with("siting."));
        let (assessment, index_reused) = if siting_only {
            let a = match &self.base_assessment {
                Some(a) => a.clone(),
                None => {
                    let a = Arc::new(assess(self.base, self.inputs.inputs())?);
                    self.base_assessment = Some(a.clone());
                    a
                }
            };
            (a, true)
        } else {
            (Arc::new(assess(method, self.inputs.inputs())?), false)
        };
        let plan = match &method.spec.siting {
            None => None,
            Some(_) => {
                let shapes = match &self.shapes {
                    Some(s) => s.clone(),
                    None => {
                        let s = Arc::new(UnitShapes::of(&self.inputs.units).map_err(PipelineError::from)?);
                        self.shapes = Some(s.clone());
                        s
                    }
                };
                let inputs = PlanInputs {
                    unit_shapes: Some(&shapes),
                    ..self.inputs.plan_inputs()
                };
                Some(plan(method, inputs, &assessment)?)
            }
        };
        let site_districts = match (&plan, &self.districts, &self.inputs.districts) {
            (Some(p), Some(polys), Some(layer)) => {
                let points: Vec<Option<Point<f64>>> = p.sites.iter().map(|s| Some(s.point)).collect();
                points_in_polygons(&points, polys)
                    .polygon
                    .into_iter()
                    .map(|d| d.map(|d| layer.ids[d as usize].clone()))
                    .collect()
            }
            _ => Vec::new(),
        };
        Ok(ScenarioRun {
            assessment,
            index_reused,
            plan,
            site_districts,
        })
    }
}

/// What a summary table (`sweep.csv`, `regions.csv`) says of a siting.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SitingFigures {
    /// The demand the siting covers (its total).
    pub total_demand: f64,
    /// Demand covered by the existing blocks alone.
    pub covered_before: f64,
    /// Demand covered with the new blocks.
    pub covered_after: f64,
    /// The certified upper bound on it.
    pub bound: f64,
    /// Relative gap between the two.
    pub gap: f64,
    /// Whether the solution is proven optimal.
    pub optimal: bool,
    /// New blocks, existing blocks, care-bus stops.
    pub blocks: (usize, usize, usize),
}

impl SitingFigures {
    /// The figures of a plan.
    pub fn of(p: &Plan) -> SitingFigures {
        use careblock_siting::plan::SiteStatus;
        let count = |st: SiteStatus| p.sites.iter().filter(|s| s.status == st).count();
        SitingFigures {
            total_demand: p.blocks.total_demand,
            covered_before: p.blocks.locked_in,
            covered_after: p.blocks.objective,
            bound: p.blocks.bound,
            gap: p.blocks.gap,
            optimal: p.blocks.optimal,
            blocks: (
                count(SiteStatus::Proposed),
                count(SiteStatus::Existing),
                count(SiteStatus::Bus),
            ),
        }
    }

    /// The columns `demand`, `covered_before`, `covered_after`, `bound` (shares of the demand),
    /// `gap`, `optimal`, `new_blocks`, `existing_blocks` and `bus_stops` of a summary table, one
    /// row per entry of `rows` (`None`: empty cells).
    pub(crate) fn columns(rows: &[Option<&SitingFigures>]) -> Vec<Column> {
        let f = |g: &dyn Fn(&SitingFigures) -> Option<f64>| -> Vec<Option<f64>> {
            rows.iter().map(|r| r.and_then(g)).collect()
        };
        let share = |v: f64, x: &SitingFigures| (x.total_demand > 0.0).then(|| v / x.total_demand);
        let n = |g: &dyn Fn(&SitingFigures) -> usize| -> Vec<Option<u32>> {
            rows.iter().map(|r| r.map(|x| g(x) as u32)).collect()
        };
        vec![
            Column::new("demand".into(), f(&|x| Some(x.total_demand))),
            Column::new("covered_before".into(), f(&|x| share(x.covered_before, x))),
            Column::new("covered_after".into(), f(&|x| share(x.covered_after, x))),
            Column::new("bound".into(), f(&|x| share(x.bound, x))),
            Column::new("gap".into(), f(&|x| Some(x.gap))),
            Column::new(
                "optimal".into(),
                rows.iter().map(|r| r.map(|x| x.optimal)).collect::<Vec<_>>(),
            ),
            Column::new("new_blocks".into(), n(&|x| x.blocks.0)),
            Column::new("existing_blocks".into(), n(&|x| x.blocks.1)),
            Column::new("bus_stops".into(), n(&|x| x.blocks.2)),
        ]
    }
}

/// What the summary table says of one scenario that ran.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Figures {
    /// Its siting's figures.
    #[serde(flatten)]
    pub siting: SitingFigures,
    /// With the equity rule: the demand covered without it.
    pub without_equity: Option<f64>,
    /// Whether the scenario reused the base method's index.
    pub index_reused: bool,
    /// Blocks per district: (district id, existing, new), districts with a block only, by id.
    pub districts: Vec<(String, usize, usize)>,
}

impl ScenarioRun {
    /// The summary of this scenario (`None` without a siting).
    pub fn figures(&self) -> Option<Figures> {
        use careblock_siting::plan::SiteStatus;
        use std::collections::BTreeMap;
        let p = self.plan.as_ref()?;
        let mut districts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for (i, s) in p.sites.iter().enumerate() {
            let Some(d) = self.site_districts.get(i).and_then(|d| d.as_deref()) else {
                continue;
            };
            match s.status {
                SiteStatus::Existing => districts.entry(d).or_default().0 += 1,
                SiteStatus::Proposed => districts.entry(d).or_default().1 += 1,
                SiteStatus::Bus => {}
            }
        }
        Some(Figures {
            siting: SitingFigures::of(p),
            without_equity: p.equity.as_ref().map(|e| e.without.objective),
            index_reused: self.index_reused,
            districts: districts
                .into_iter()
                .map(|(d, (e, n))| (d.to_string(), e, n))
                .collect(),
        })
    }
}

/// One row of the sweep's summary: the scenario, its overrides (as written in TOML, in the
/// order of `keys`; empty where the scenario does not set a key) and what came of it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScenarioSummary {
    /// The scenario's name.
    pub name: String,
    /// Its value of each sweep key.
    pub values: Vec<Option<String>>,
    /// The figures, or why the scenario failed.
    pub outcome: Result<Figures, String>,
}

impl ScenarioSummary {
    /// The summary of a scenario named `name` with its values of the sweep keys, from what
    /// [`Sweeper::run`] gave: a failure and a method without `[siting]` become the reason.
    pub fn of(
        name: &str,
        values: Vec<Option<String>>,
        outcome: &Result<ScenarioRun, PipelineError>,
    ) -> ScenarioSummary {
        let outcome = match outcome {
            Ok(r) => r
                .figures()
                .ok_or_else(|| "the scenario's method has no [siting]".to_string()),
            Err(e) => Err(e.to_string()),
        };
        ScenarioSummary {
            name: name.to_string(),
            values,
            outcome,
        }
    }
}

/// The values of `keys` a scenario with `overrides` sets, as TOML writes them.
pub fn key_values(keys: &[String], overrides: &[(String, toml::Value)]) -> Vec<Option<String>> {
    keys.iter()
        .map(|k| overrides.iter().find(|(o, _)| o == k).map(|(_, v)| v.to_string()))
        .collect()
}

/// `sweep.csv`: one row per scenario, in the sweep's order (`scenario` is its 1-based number,
/// the folder of its sites is `scenarios/<scenario>`): the sweep keys' values, `status` (`ok`,
/// `failed` with its `reason`, `no siting`), covered demand before and after with the bound and
/// gap (as shares of the demand), the blocks, and with the equity rule the share covered
/// without it and the rule's cost.
pub fn summary_table(keys: &[String], rows: &[ScenarioSummary]) -> Result<DataFrame, IoError> {
    let f = |g: &dyn Fn(&Figures) -> Option<f64>| -> Vec<Option<f64>> {
        rows.iter().map(|r| r.outcome.as_ref().ok().and_then(g)).collect()
    };
    let share = |v: f64, fig: &Figures| (fig.siting.total_demand > 0.0).then(|| v / fig.siting.total_demand);
    let mut cols = vec![
        Column::new("scenario".into(), (1..=rows.len() as u32).collect::<Vec<_>>()),
        Column::new(
            "name".into(),
            rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>(),
        ),
    ];
    for (k, key) in keys.iter().enumerate() {
        cols.push(Column::new(
            key.as_str().into(),
            rows.iter().map(|r| r.values[k].clone()).collect::<Vec<_>>(),
        ));
    }
    cols.extend([
        Column::new(
            "status".into(),
            rows.iter()
                .map(|r| match &r.outcome {
                    Ok(_) => "ok",
                    Err(_) => "failed",
                })
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "reason".into(),
            rows.iter()
                .map(|r| r.outcome.as_ref().err().cloned())
                .collect::<Vec<_>>(),
        ),
    ]);
    let figures: Vec<Option<&SitingFigures>> = rows
        .iter()
        .map(|r| r.outcome.as_ref().ok().map(|x| &x.siting))
        .collect();
    cols.extend(SitingFigures::columns(&figures));
    cols.extend([
        Column::new(
            "gain_per_block".into(),
            f(&|x| {
                let x = &x.siting;
                (x.blocks.0 > 0 && x.total_demand > 0.0)
                    .then(|| (x.covered_after - x.covered_before) / x.total_demand / x.blocks.0 as f64)
            }),
        ),
        Column::new(
            "covered_without_equity".into(),
            f(&|x| x.without_equity.and_then(|w| share(w, x))),
        ),
        Column::new(
            "equity_cost".into(),
            f(&|x| {
                x.without_equity
                    .and_then(|w| share(w - x.siting.covered_after, x))
            }),
        ),
        Column::new(
            "index_reused".into(),
            rows.iter()
                .map(|r| r.outcome.as_ref().ok().map(|x| x.index_reused))
                .collect::<Vec<_>>(),
        ),
    ]);
    DataFrame::new(rows.len(), cols).map_err(|e| IoError::table("sweep.csv", e.to_string()))
}

/// `sweep_districts.csv`: per scenario that ran, each district with a block: its existing and
/// new blocks.
pub fn districts_table(rows: &[ScenarioSummary]) -> Result<DataFrame, IoError> {
    let (mut scenario, mut district, mut existing, mut new) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, r) in rows.iter().enumerate() {
        if let Ok(f) = &r.outcome {
            for (d, e, n) in &f.districts {
                scenario.push(i as u32 + 1);
                district.push(d.clone());
                existing.push(*e as u32);
                new.push(*n as u32);
            }
        }
    }
    let n = scenario.len();
    DataFrame::new(
        n,
        vec![
            Column::new("scenario".into(), scenario),
            Column::new("district".into(), district),
            Column::new("existing_blocks".into(), existing),
            Column::new("new_blocks".into(), new),
        ],
    )
    .map_err(|e| IoError::table("sweep_districts.csv", e.to_string()))
}
