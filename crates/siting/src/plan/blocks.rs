//! The blocks' MCLP instance (demand, coverage, the limit, costs, locked-in and locked-out
//! candidates) and its solution, with the equity quotas when `[siting.equity]` asks for them.

use careblock_method::SitingSpec;

use super::candidates::Candidate;
use super::equity::EquitySetup;
use super::types::PlanError;
use super::units::Units;
use crate::{Coverage, Limit, Options, Problem, QuotaSolution, Quotas, Solution, solve, solve_with_quotas};

/// The solved blocks.
pub(super) struct Blocks {
    pub(super) sol: Solution,
    /// The solution under the equity quotas, with the unconstrained one.
    pub(super) quota: Option<QuotaSolution>,
    pub(super) limit: Limit,
    /// Candidates locked in (existing blocks).
    pub(super) locked_in: Vec<bool>,
}

/// Solves the blocks' problem over `cands` covering `units` by `cov`.
pub(super) fn solve_blocks(
    st: &SitingSpec,
    units: &Units<'_>,
    cands: &[Candidate],
    cov: &Coverage,
    setup: Option<&EquitySetup<'_>>,
    options: &Options,
) -> Result<Blocks, PlanError> {
    let locked_in: Vec<bool> = cands.iter().map(|c| c.locked_in).collect();
    let locked_out: Vec<bool> = cands.iter().map(|c| c.locked_out).collect();
    let cost: Vec<f64> = cands
        .iter()
        .map(|c| if c.locked_in { 0.0 } else { c.cost })
        .collect();
    let limit = match (&st.p, &st.budget) {
        (Some(p), _) => Limit::Count(*p.get_ref()),
        (None, Some(b)) => Limit::Budget(*b.get_ref()),
        (None, None) => unreachable!("checked when the method was parsed"),
    };
    let problem = Problem {
        demand: &units.demand,
        coverage: cov,
        limit,
        cost: st.budget.as_ref().map(|_| cost.as_slice()),
        locked_in: &locked_in,
        locked_out: &locked_out,
    };
    let (sol, quota): (Solution, _) = match setup {
        None => (solve(&problem, options)?, None),
        Some(q) => {
            let r = solve_with_quotas(
                &problem,
                &Quotas {
                    district: &q.of_candidate,
                    min: &q.min,
                    max: &q.max,
                    priority: &q.priority,
                },
                options,
            )?;
            (r.solution.clone(), Some(r))
        }
    };
    Ok(Blocks {
        sol,
        quota,
        limit,
        locked_in,
    })
}
