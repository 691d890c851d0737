//! `[siting.robust]`: the blocks' siting repeated once per Monte Carlo draw of the index, each
//! draw's need mass as the demand (the coverage, the candidates, the existing blocks and `p`
//! unchanged), to report how often each candidate is chosen.
//!
//! The work is split at its draws so that it can be spread over machines: the plan builds a
//! [`RobustSetup`] once (what every draw shares), [`RobustSetup::choose`] solves any block of
//! draws `a..b` (in parallel, gathered in draw order), and [`RobustSetup::merge`] turns the
//! choices of every draw, in draw order, into the [`RobustOutcome`]; [`RobustSetup::apply`]
//! puts it into the plan. The single-machine plan is these three calls over `0..draws`, so
//! the outcome does not depend on the thread count nor on how the draws were split.
//!
//! Each draw solves the problem over the units grouped by the candidates that cover them
//! ([`CoverageClasses`], built once): the same problem, as small as the number of distinct
//! groups, and only the covered units' need mass is drawn.

use std::ops::Range;

use careblock_core::Layer;
use careblock_core::join::points::points_in_polygons;
use careblock_index::assess::Assessment;
use careblock_method::Method;
use careblock_text::msg;
use geo::Point;
use rayon::prelude::*;

use super::candidates::Candidate;
use super::types::{Plan, PlanError, RobustCandidate, RobustDistrict, RobustOutcome};
use crate::{Coverage, CoverageClasses, Limit, Options, Problem};

/// What the robust siting's draws share, built once by the plan
/// ([`super::plan_deferring_robust`]): the candidates, their coverage, the plan's limit and
/// solver options, the locked-in and locked-out candidates, the plan's choice and, with
/// districts, the district of each candidate.
#[derive(Debug, Clone)]
pub struct RobustSetup {
    draws: usize,
    seed: u64,
    candidates: Vec<Described>,
    /// The plan's coverage with its units grouped by the candidates covering them: each draw
    /// solves the problem over the groups, whose demand is its units' need mass.
    classes: CoverageClasses,
    /// The units some candidate covers: the only ones whose need mass a draw needs.
    covered: Vec<bool>,
    limit: Limit,
    options: Options,
    locked_in: Vec<bool>,
    locked_out: Vec<bool>,
    /// The plan's new sites (candidate indices), to compare with.
    plan_selected: Vec<usize>,
    /// Each candidate's site in [`Plan::sites`] (`usize::MAX`: none).
    site_of_candidate: Vec<usize>,
    districts: Option<Districts>,
    /// Where the robust note goes among the plan's notes.
    note_at: usize,
}

/// A candidate as the robust table shows it.
#[derive(Debug, Clone)]
struct Described {
    id: String,
    kind: String,
    label: Option<String>,
    point: Point<f64>,
}

/// The districts the draws' new blocks are counted in.
#[derive(Debug, Clone)]
struct Districts {
    /// The district of each candidate (the lowest-index one containing it).
    owner: Vec<Option<u32>>,
    ids: Vec<String>,
    labels: Option<Vec<Option<String>>>,
}

impl RobustSetup {
    /// The setup of `draws` draws over the plan's candidates `cands` and coverage `coverage`,
    /// solved like the plan (`limit`, `options` without irreplaceability); `plan_selected` are
    /// the plan's new sites, `site_of_candidate` their sites, `note_at` where the robust note
    /// goes among the plan's notes; with `districts`, the layer and its label column.
    #[allow(
        clippy::too_many_arguments,
        reason = "built once by the plan, with the plan's own pieces"
    )]
    pub(super) fn new(
        method: &Method,
        draws: usize,
        cands: &[Candidate],
        coverage: Coverage,
        limit: Limit,
        options: &Options,
        plan_selected: Vec<usize>,
        site_of_candidate: Vec<usize>,
        districts: Option<(&Layer, Option<&str>)>,
        note_at: usize,
    ) -> Result<RobustSetup, PlanError> {
        let classes = CoverageClasses::of(&coverage);
        drop(coverage);
        let districts = match districts {
            None => None,
            Some((layer, label)) => {
                let polys = layer.polygons()?;
                let points: Vec<_> = cands.iter().map(|c| Some(c.point)).collect();
                Some(Districts {
                    owner: points_in_polygons(&points, &polys).polygon,
                    ids: layer.ids.clone(),
                    labels: label.and_then(|l| layer.text_column(l).ok()),
                })
            }
        };
        Ok(RobustSetup {
            draws,
            seed: method.spec.uncertainty.seed,
            candidates: cands
                .iter()
                .map(|c| Described {
                    id: c.id.clone(),
                    kind: c.kind.clone(),
                    label: c.label.clone(),
                    point: c.point,
                })
                .collect(),
            covered: classes.class_of.iter().map(Option::is_some).collect(),
            classes,
            limit,
            options: Options {
                irreplaceability: false,
                ..*options
            },
            locked_in: cands.iter().map(|c| c.locked_in).collect(),
            locked_out: cands.iter().map(|c| c.locked_out).collect(),
            plan_selected,
            site_of_candidate,
            districts,
            note_at,
        })
    }

    /// The number of draws (`[siting.robust] draws`).
    pub fn draws(&self) -> usize {
        self.draws
    }

    /// The number of candidates (the choices are indices below it).
    pub fn candidates(&self) -> usize {
        self.candidates.len()
    }

    /// The new sites each draw of `draws` chooses (candidate indices in the order the solver
    /// ranks them), in draw order. `method` and `assessment` must be those the plan was built
    /// from: draw `d` is the index's Monte Carlo draw `d` (its own random stream), so a block
    /// of draws gives what the same draws give within any other block.
    ///
    /// # Errors
    /// [`PlanError::Robust`] when `draws` is not within `0..`[`draws`](Self::draws); the
    /// solver's error for a draw that cannot be sited.
    pub fn choose(
        &self,
        method: &Method,
        assessment: &Assessment,
        draws: Range<usize>,
    ) -> Result<Vec<Vec<usize>>, PlanError> {
        if draws.start > draws.end || draws.end > self.draws {
            return Err(PlanError::Robust(format!(
                "draws {}..{} are not within the {} draws of [siting.robust]",
                draws.start, draws.end, self.draws
            )));
        }
        draws
            .into_par_iter()
            .map(|d| -> Result<Vec<usize>, PlanError> {
                let demand: Vec<f64> =
                    careblock_index::draw_need_mass(method, &assessment.units, d, Some(&self.covered))
                        .into_iter()
                        .map(|v| v.unwrap_or(0.0))
                        .collect();
                let demand = self.classes.demand(&demand);
                let problem = Problem {
                    demand: &demand,
                    coverage: &self.classes.coverage,
                    limit: self.limit,
                    cost: None,
                    locked_in: &self.locked_in,
                    locked_out: &self.locked_out,
                };
                Ok(crate::solve(&problem, &self.options)?.selected)
            })
            .collect()
    }

    /// The outcome of every draw's choice (`chosen[d]` is draw `d`'s, as [`choose`](Self::choose)
    /// gives them; blocks of draws concatenated in draw order): how often and in which order
    /// each candidate is chosen and, with districts, how many new blocks each district gets
    /// per draw.
    ///
    /// # Errors
    /// [`PlanError::Robust`] when there is not one choice per draw, or a choice names a
    /// candidate that does not exist.
    pub fn merge(&self, chosen: &[Vec<usize>]) -> Result<RobustOutcome, PlanError> {
        let draws = self.draws;
        if chosen.len() != draws {
            return Err(PlanError::Robust(format!(
                "{} draws' choices given for the {draws} draws of [siting.robust]",
                chosen.len()
            )));
        }
        let m = self.candidates.len();
        if let Some((d, &j)) = chosen
            .iter()
            .enumerate()
            .find_map(|(d, sel)| sel.iter().find(|&&j| j >= m).map(|j| (d, j)))
        {
            return Err(PlanError::Robust(format!(
                "draw {d} chose candidate {j}, but there are {m} candidates"
            )));
        }
        let mut count = vec![0usize; m];
        let mut rank_sum = vec![0usize; m];
        for sel in chosen {
            for (r, &j) in sel.iter().enumerate() {
                count[j] += 1;
                rank_sum[j] += r + 1;
            }
        }
        let mut in_plan = vec![false; m];
        for &j in &self.plan_selected {
            in_plan[j] = true;
        }
        let mut candidates: Vec<RobustCandidate> = (0..m)
            .filter(|&j| count[j] > 0 || in_plan[j])
            .map(|j| {
                let c = &self.candidates[j];
                RobustCandidate {
                    candidate: j,
                    id: c.id.clone(),
                    kind: c.kind.clone(),
                    label: c.label.clone(),
                    point: c.point,
                    frequency: count[j] as f64 / draws as f64,
                    mean_rank: (count[j] > 0).then(|| rank_sum[j] as f64 / count[j] as f64),
                    in_plan: in_plan[j],
                }
            })
            .collect();
        candidates.sort_by(|a, b| {
            b.frequency
                .total_cmp(&a.frequency)
                .then(
                    a.mean_rank
                        .unwrap_or(f64::INFINITY)
                        .total_cmp(&b.mean_rank.unwrap_or(f64::INFINITY)),
                )
                .then(a.candidate.cmp(&b.candidate))
        });

        let districts = match &self.districts {
            None => Vec::new(),
            Some(ds) => {
                let n = ds.ids.len();
                let per_draw = |sel: &[usize]| {
                    let mut c = vec![0usize; n];
                    for &j in sel {
                        if let Some(k) = ds.owner[j] {
                            c[k as usize] += 1;
                        }
                    }
                    c
                };
                let plan_counts = per_draw(&self.plan_selected);
                let counts: Vec<Vec<usize>> = chosen.iter().map(|s| per_draw(s)).collect();
                (0..n)
                    .filter(|&k| plan_counts[k] > 0 || counts.iter().any(|c| c[k] > 0))
                    .map(|k| {
                        let mut v: Vec<usize> = counts.iter().map(|c| c[k]).collect();
                        v.sort_unstable();
                        let q = |p: f64| v[((p * (v.len() - 1) as f64).round() as usize).min(v.len() - 1)];
                        RobustDistrict {
                            id: ds.ids[k].clone(),
                            label: ds.labels.as_ref().and_then(|l| l[k].clone()),
                            in_plan: plan_counts[k],
                            mean: v.iter().sum::<usize>() as f64 / v.len() as f64,
                            min: v[0],
                            p05: q(0.05),
                            p95: q(0.95),
                            max: v[v.len() - 1],
                        }
                    })
                    .collect()
            }
        };
        Ok(RobustOutcome {
            draws,
            seed: self.seed,
            candidates,
            districts,
        })
    }

    /// Puts `outcome` (this setup's [`merge`](Self::merge)) into `plan` (the plan this setup
    /// was built with): each proposed block's frequency and mean rank, the note that sums it
    /// up, and [`Plan::robust`].
    pub fn apply(&self, plan: &mut Plan, outcome: RobustOutcome) {
        for c in outcome.candidates.iter().filter(|c| c.in_plan) {
            let k = self.site_of_candidate[c.candidate];
            plan.sites[k].robust = Some((c.frequency, c.mean_rank));
        }
        let steady = outcome
            .candidates
            .iter()
            .filter(|c| c.in_plan && c.frequency >= 0.9)
            .count();
        let note = msg!(
            "siting.robust",
            draws = outcome.draws,
            steady = steady,
            proposed = self.plan_selected.len(),
            chosen = outcome.candidates.iter().filter(|c| c.frequency > 0.0).count()
        );
        plan.notes.insert(self.note_at.min(plan.notes.len()), note);
        plan.robust = Some(outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{PlanInputs, plan, plan_deferring_robust};
    use careblock_core::Crs;
    use careblock_index::{Inputs, assess};
    use geo::{Coord, Geometry, LineString, Polygon};
    use polars::prelude::{Column, DataFrame};

    const M: Crs = Crs::Projected { epsg: 9377 };
    const DRAWS: usize = 9;

    const METHOD: &str = r#"name = "robust split"
crs = 9377

[units]
path = "units.geojson"
id = "code"
population = "pop"

[districts]
path = "districts.geojson"
id = "d"
label = "name"

[[indicators]]
name = "kids_share"
dimension = "care"
kind = "share"
numerator = "kids"
denominator = "pop"

[[indicators]]
name = "old_share"
dimension = "care"
kind = "share"
numerator = "old"
denominator = "pop"

[[indicators]]
name = "unpaid_share"
dimension = "work"
kind = "share"
numerator = "unpaid"
denominator = "pop"

[uncertainty]
draws = 20
seed = 11
weight_noise = 0.4
normalisations = ["min-max", "rank"]
aggregations = ["arithmetic", "geometric"]

[siting]
radius = 150
coverage = "centroid"
p = 6
demand = "need_mass"

[[siting.candidates]]
name = "site"
path = "candidates.geojson"
id = "c"

[siting.robust]
draws = 9
"#;

    fn square(x: f64, y: f64, s: f64) -> Option<Geometry<f64>> {
        let ring = vec![
            Coord { x, y },
            Coord { x: x + s, y },
            Coord { x: x + s, y: y + s },
            Coord { x, y: y + s },
            Coord { x, y },
        ];
        Some(Polygon::new(LineString(ring), vec![]).into())
    }

    /// A 12 × 12 grid of 100 m units with uneven needs, four 600 m districts and 36
    /// candidates, one per 2 × 2 units.
    fn city() -> (Layer, Layer, Layer) {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |lo: f64, hi: f64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            lo + (hi - lo) * (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let n = 144;
        let (mut pop, mut kids, mut old, mut unpaid) = (vec![], vec![], vec![], vec![]);
        for _ in 0..n {
            let p = next(200.0, 260.0).round();
            pop.push(p);
            kids.push((p * next(0.05, 0.35)).round());
            old.push((p * next(0.05, 0.30)).round());
            unpaid.push((p * next(0.02, 0.25)).round());
        }
        let df = DataFrame::new(
            n,
            vec![
                Column::new("pop".into(), pop),
                Column::new("kids".into(), kids),
                Column::new("old".into(), old),
                Column::new("unpaid".into(), unpaid),
            ],
        )
        .unwrap();
        let units = Layer::new(
            "units.geojson",
            (0..n).map(|i| format!("u{i}")).collect(),
            (0..n)
                .map(|i| square((i % 12) as f64 * 100.0, (i / 12) as f64 * 100.0, 100.0))
                .collect(),
            df,
            M,
        )
        .unwrap();
        let districts = Layer::new(
            "districts.geojson",
            (0..4).map(|k| format!("d{k}")).collect(),
            (0..4)
                .map(|k| square((k % 2) as f64 * 600.0, (k / 2) as f64 * 600.0, 600.0))
                .collect(),
            DataFrame::new(
                4,
                vec![Column::new(
                    "name".into(),
                    (0..4).map(|k| format!("District {k}")).collect::<Vec<_>>(),
                )],
            )
            .unwrap(),
            M,
        )
        .unwrap();
        // Each candidate covers the four units around a grid vertex, none shared.
        let m = 36;
        let candidates = Layer::new(
            "candidates.geojson",
            (0..m).map(|j| format!("c{j}")).collect(),
            (0..m)
                .map(|j| {
                    Some(Point::new(100.0 + 200.0 * (j % 6) as f64, 100.0 + 200.0 * (j / 6) as f64).into())
                })
                .collect(),
            DataFrame::empty_with_height(m),
            M,
        )
        .unwrap();
        (units, districts, candidates)
    }

    struct Case {
        method: Method,
        assessment: Assessment,
        layers: (Layer, Layer, Layer),
    }

    fn case() -> Case {
        let method = Method::from_toml("robust.toml", METHOD).unwrap();
        let layers = city();
        let assessment = assess(
            &method,
            Inputs {
                units: &layers.0,
                districts: Some(&layers.1),
                coarse: &[],
                supply: &[],
                network: None,
                network_gap: None,
                prepared_network: None,
                validated: false,
            },
        )
        .unwrap();
        Case {
            method,
            assessment,
            layers,
        }
    }

    impl Case {
        fn inputs(&self) -> PlanInputs<'_> {
            PlanInputs {
                units: &self.layers.0,
                districts: Some(&self.layers.1),
                supply: &[],
                candidates: std::slice::from_ref(&self.layers.2),
                existing: &[],
                equity: None,
                network: None,
                network_gap: None,
                prepared_network: None,
                costs: None,
                unit_shapes: None,
                validated: false,
            }
        }
    }

    #[test]
    fn blocks_of_draws_merged_give_the_plans_robust_siting() {
        let c = case();
        let whole_plan = plan(&c.method, c.inputs(), &c.assessment).unwrap();
        let (mut deferred, setup) = plan_deferring_robust(&c.method, c.inputs(), &c.assessment).unwrap();
        let setup = setup.expect("the method has [siting.robust]");
        assert_eq!((setup.draws(), setup.candidates()), (DRAWS, 36));
        assert!(deferred.robust.is_none());
        assert!(deferred.sites.iter().all(|s| s.robust.is_none()));
        assert!(deferred.notes.iter().all(|n| n.key != "siting.robust"));

        let whole = setup.choose(&c.method, &c.assessment, 0..DRAWS).unwrap();
        assert_eq!(whole.len(), DRAWS);
        assert!(whole.iter().all(|s| s.len() == 6), "{whole:?}");
        // The draws do not all choose the same blocks: the merge has something to count.
        assert!(whole.iter().any(|s| s != &whole[0]), "{whole:?}");
        for cuts in [vec![0, DRAWS], vec![1], vec![4], vec![2, 5, 8], vec![0, 0, 3, 9]] {
            let mut bounds = vec![0];
            bounds.extend(cuts.iter().copied());
            bounds.push(DRAWS);
            let blocks: Vec<Vec<usize>> = bounds
                .windows(2)
                .flat_map(|w| setup.choose(&c.method, &c.assessment, w[0]..w[1]).unwrap())
                .collect();
            assert_eq!(blocks, whole, "blocks cut at {cuts:?}");
        }

        let outcome = setup.merge(&whole).unwrap();
        assert!(
            outcome
                .candidates
                .iter()
                .any(|x| x.frequency > 0.0 && x.frequency < 1.0),
            "{:?}",
            outcome.candidates
        );
        assert!(!outcome.districts.is_empty());
        assert_eq!(Some(&outcome), whole_plan.robust.as_ref());
        setup.apply(&mut deferred, outcome);
        assert_eq!(
            deferred, whole_plan,
            "the deferred plan with its draws is the plan"
        );
    }

    #[test]
    fn draws_and_choices_that_do_not_fit_the_setup_are_refused() {
        let c = case();
        let (_, setup) = plan_deferring_robust(&c.method, c.inputs(), &c.assessment).unwrap();
        let setup = setup.unwrap();
        let e = setup.choose(&c.method, &c.assessment, 5..DRAWS + 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "robust siting: draws 5..10 are not within the 9 draws of [siting.robust]"
        );
        let whole = setup.choose(&c.method, &c.assessment, 0..DRAWS).unwrap();
        let e = setup.merge(&whole[1..]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "robust siting: 8 draws' choices given for the 9 draws of [siting.robust]"
        );
        let mut bad = whole.clone();
        bad[3][1] = 36;
        let e = setup.merge(&bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            "robust siting: draw 3 chose candidate 36, but there are 36 candidates"
        );
    }
}
