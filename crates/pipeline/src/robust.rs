//! `[siting.robust]` spread over processes or machines: a [`RobustSession`] reads, validates
//! and projects the inputs, assesses the index and plans the blocks once, without the robust
//! siting's draws (`careblock_siting::plan::plan_deferring_robust`), then solves any block of
//! draws on demand ([`RobustSession::choose`]) and turns the choices of every draw, in draw
//! order, into the tables `careblock run` writes ([`RobustSession::finish`]: `robust.csv`,
//! `robust_districts.csv` and `sites.csv`). `careblock run` solves the draws with the same two
//! functions of the siting crate, so a session's tables are the run's, cell for cell, however
//! the draws were split.

use std::ops::Range;
use std::path::Path;

use careblock_index::{Assessment, assess};
use careblock_io::IoError;
use careblock_method::{Method, MethodError};
use careblock_siting::plan::{Plan, PlanError, RobustSetup, plan_deferring_robust};
use polars::prelude::DataFrame;

use crate::load::{LoadOptions, LoadedInputs, load_inputs};
use crate::results::{robust_districts_table, robust_table, sites_table};
use crate::run::{PipelineError, Stages};

/// `method` with `[siting.robust] draws = draws` (added when the method has no
/// `[siting.robust]`, replaced when it has), checked again as a method file; `None` keeps the
/// method's own draws.
///
/// # Errors
/// [`MethodError::Invalid`] when `draws` is 0, when the method has no `[siting]`, or has no
/// `[siting.robust]` and `draws` is `None`; the method's checks (e.g. a robust siting whose
/// demand is not the need mass).
pub fn with_draws(method: Method, draws: Option<usize>) -> Result<Method, MethodError> {
    let Some(st) = &method.spec.siting else {
        return Err(method.invalid(
            0..0,
            "siting",
            "the method has no [siting] section: robust siting repeats its siting once per index draw",
        ));
    };
    let Some(n) = draws else {
        return match st.robust {
            Some(_) => Ok(method),
            None => Err(method.invalid(
                0..0,
                "siting.robust",
                "the method has no [siting.robust] section: give the number of draws, or add \
                 `[siting.robust]` with `draws = N` to the method",
            )),
        };
    };
    if n == 0 {
        return Err(method.invalid(
            0..0,
            "siting.robust.draws",
            "must be at least 1 (the number of index draws, each followed by a siting), got 0",
        ));
    }
    let text = method.text();
    let text = match &st.robust {
        // The method's own value replaced where it is written: its other lines keep their numbers.
        Some(r) => {
            let span = r.draws.span();
            format!("{}{n}{}", &text[..span.start], &text[span.end..])
        }
        None => format!("{text}\n\n[siting.robust]\ndraws = {n}\n"),
    };
    Method::from_toml(&method.file, &text)
}

/// The robust siting's tables, as `careblock run` writes them.
#[derive(Debug, Clone)]
pub struct RobustTables {
    /// `robust.csv`: every candidate chosen in a draw or by the plan.
    pub candidates: DataFrame,
    /// `robust_districts.csv` (`None` when the method has no districts or no district gets a
    /// block, as when `careblock run` writes none).
    pub districts: Option<DataFrame>,
    /// `sites.csv`, with the proposed blocks' `sel_freq` and `sel_rank`.
    pub sites: DataFrame,
}

/// A method's inputs, index and plan, kept to solve the robust siting's draws in blocks.
pub struct RobustSession {
    method: Method,
    inputs: LoadedInputs,
    assessment: Assessment,
    plan: Plan,
    setup: RobustSetup,
}

impl RobustSession {
    /// Reads `method`'s inputs (paths relative to `base`), assesses the index and plans the
    /// blocks, each a stage of `stages` (`read_validate_project`, `index`, `siting`), leaving
    /// the robust siting's draws to [`choose`](Self::choose).
    ///
    /// # Errors
    /// Those of `careblock run`; [`MethodError::Invalid`] (as a [`PlanError::Method`]) when the
    /// method has no `[siting.robust]` (see [`with_draws`]).
    pub fn new(
        method: Method,
        base: &Path,
        options: &LoadOptions,
        stages: &mut impl Stages,
    ) -> Result<RobustSession, PipelineError> {
        let method = with_draws(method, None).map_err(PlanError::from)?;
        let inputs = stages.stage(
            "read_validate_project",
            "reading, validating and projecting the inputs",
            || Ok(load_inputs(&method, base, options)?),
        )?;
        let assessment = stages.stage(
            "index",
            "computing the index and its Monte Carlo uncertainty",
            || Ok(assess(&method, inputs.inputs())?),
        )?;
        let (plan, setup) = stages.stage("siting", "siting care blocks", || {
            Ok(plan_deferring_robust(&method, inputs.plan_inputs(), &assessment)?)
        })?;
        let setup = setup.expect("with_draws leaves a method with [siting.robust]");
        Ok(RobustSession {
            method,
            inputs,
            assessment,
            plan,
            setup,
        })
    }

    /// The method (with its `[siting.robust]`).
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The number of draws.
    pub fn draws(&self) -> usize {
        self.setup.draws()
    }

    /// The number of candidates (the choices are indices below it).
    pub fn candidates(&self) -> usize {
        self.setup.candidates()
    }

    /// The new sites each draw of `draws` chooses (candidate indices, in the solver's order),
    /// in draw order; draws run in parallel.
    ///
    /// # Errors
    /// [`PlanError::Robust`] for draws beyond [`draws`](Self::draws); the solver's errors.
    pub fn choose(&self, draws: Range<usize>) -> Result<Vec<Vec<usize>>, PipelineError> {
        Ok(self.setup.choose(&self.method, &self.assessment, draws)?)
    }

    /// The plan with the robust siting of `chosen` (one choice per draw, in draw order: the
    /// blocks of [`choose`](Self::choose) concatenated), as [`careblock_siting::plan::plan`]
    /// gives it when it solves the same draws itself.
    ///
    /// # Errors
    /// [`PlanError::Robust`] when there is not one choice per draw or a choice names no
    /// candidate.
    pub fn plan(&self, chosen: &[Vec<usize>]) -> Result<Plan, PipelineError> {
        let outcome = self.setup.merge(chosen)?;
        let mut plan = self.plan.clone();
        self.setup.apply(&mut plan, outcome);
        Ok(plan)
    }

    /// The tables of the robust siting of `chosen` (see [`plan`](Self::plan)).
    ///
    /// # Errors
    /// Those of [`plan`](Self::plan); an [`IoError`] when a site cannot be put in lon/lat.
    pub fn finish(&self, chosen: &[Vec<usize>]) -> Result<RobustTables, PipelineError> {
        let plan = self.plan(chosen)?;
        tables(&plan, &self.inputs).map_err(PipelineError::from)
    }
}

fn tables(plan: &Plan, inputs: &LoadedInputs) -> Result<RobustTables, IoError> {
    let r = plan
        .robust
        .as_ref()
        .expect("RobustSetup::apply sets the plan's robust outcome");
    Ok(RobustTables {
        candidates: robust_table(r, inputs.crs)?,
        districts: (!r.districts.is_empty())
            .then(|| robust_districts_table(r))
            .transpose()?,
        sites: sites_table(plan, inputs.crs)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const METHOD: &str = "name = \"robust\"\ncrs = 9377\n\n[units]\npath = \"u.geojson\"\nid = \"id\"\n\
        population = \"pop\"\n\n[[indicators]]\nname = \"kids\"\ndimension = \"care\"\nkind = \"share\"\n\
        numerator = \"kids\"\ndenominator = \"pop\"\n\n[siting]\nradius = 500\np = 2\ndemand = \"need_mass\"\n\n\
        [[siting.candidates]]\nname = \"c\"\npath = \"c.geojson\"\n";

    fn draws_of(m: &Method) -> Option<usize> {
        m.spec
            .siting
            .as_ref()
            .and_then(|s| s.robust.as_ref())
            .map(|r| *r.draws.get_ref())
    }

    #[test]
    fn draws_are_added_replaced_or_kept() {
        let base = Method::from_toml("m.toml", METHOD).unwrap();
        assert_eq!(draws_of(&base), None);
        let added = with_draws(base.clone(), Some(7)).unwrap();
        assert_eq!(draws_of(&added), Some(7));
        assert_eq!(added.file, "m.toml");
        let with = Method::from_toml(
            "m.toml",
            &format!("{METHOD}\n[siting.robust]\ndraws = 20 # twenty\n"),
        )
        .unwrap();
        let replaced = with_draws(with.clone(), Some(3)).unwrap();
        assert_eq!(draws_of(&replaced), Some(3));
        assert!(replaced.text().ends_with("[siting.robust]\ndraws = 3 # twenty\n"));
        assert_eq!(draws_of(&with_draws(with, None).unwrap()), Some(20));
    }

    #[test]
    fn draws_that_cannot_be_run_are_refused_with_the_key() {
        let base = Method::from_toml("m.toml", METHOD).unwrap();
        assert_eq!(
            with_draws(base.clone(), None).unwrap_err().to_string(),
            "m.toml:0: siting.robust: the method has no [siting.robust] section: give the number of \
             draws, or add `[siting.robust]` with `draws = N` to the method"
        );
        assert_eq!(
            with_draws(base.clone(), Some(0)).unwrap_err().to_string(),
            "m.toml:0: siting.robust.draws: must be at least 1 (the number of index draws, each followed \
             by a siting), got 0"
        );
        let no_siting = Method::from_toml("m.toml", &METHOD[..METHOD.find("[siting]").unwrap()]).unwrap();
        assert!(
            with_draws(no_siting, Some(5))
                .unwrap_err()
                .to_string()
                .starts_with("m.toml:0: siting: the method has no [siting] section")
        );
        // The method's own checks still apply to the draws added.
        let demand = Method::from_toml("m.toml", &METHOD.replace("need_mass", "pop")).unwrap();
        assert!(
            with_draws(demand, Some(5))
                .unwrap_err()
                .to_string()
                .contains("robust siting draws the index, which changes only the need mass"),
        );
    }
}
