//! The `careblock` command-line tool: arguments, spinners and the terminal summary around
//! `careblock-pipeline` (the run) and `careblock-report` (its outputs). Errors from the
//! libraries are printed as one line with their cause chain; exit codes are 0 (success), 1
//! (nothing feasible, or a coverage target out of reach: the outputs are written) and 2 (error).

mod args;
mod census;
mod compare;
mod explain;
mod hints;
mod init;
mod interpolate;
mod memory;
mod progress;
mod regions;
mod report;
mod run;
mod sweep;
mod validate;

use std::process::ExitCode;

use clap::Parser;

/// A run that finished and wrote its outputs, but whose coverage target is out of reach with
/// the candidates given (exit code 1).
#[derive(Debug)]
pub(crate) struct Unreachable(pub(crate) String);

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unreachable {}

/// Whether the error means "the inputs are fine but nothing can be sited" or "the target is
/// out of reach" (exit code 1).
fn nothing_feasible(err: &anyhow::Error) -> bool {
    if err.downcast_ref::<Unreachable>().is_some() {
        return true;
    }
    use careblock_pipeline::PipelineError;
    use careblock_siting::SitingError;
    use careblock_siting::plan::PlanError;
    let plan_error = match err.downcast_ref::<PipelineError>() {
        Some(PipelineError::Plan(e)) => Some(e),
        _ => err.downcast_ref::<PlanError>(),
    };
    match plan_error {
        Some(PlanError::Infeasible(_)) => true,
        Some(PlanError::Siting(e)) => matches!(
            e,
            SitingError::NoEligible { .. } | SitingError::TooFewCandidates { .. }
        ),
        _ => false,
    }
}

fn main() -> ExitCode {
    memory::no_huge_pages();
    let cli = args::Cli::parse();
    if let Some(n) = cli.threads
        && let Err(e) = rayon::ThreadPoolBuilder::new().num_threads(n).build_global()
    {
        eprintln!("careblock: error: cannot start {n} threads: {e}");
        return ExitCode::from(2);
    }
    let result = match cli.command {
        args::Command::Interpolate(a) => interpolate::run(&a, cli.quiet),
        args::Command::Run(a) => run::run(&a, cli.quiet),
        args::Command::Validate(a) => validate::run(&a, cli.quiet),
        args::Command::Init(a) => init::run(&a, cli.quiet),
        args::Command::Explain(a) => explain::run(&a, cli.quiet),
        args::Command::Compare(a) => compare::run(&a, cli.quiet),
        args::Command::Sweep(a) => sweep::run(&a, cli.quiet),
        args::Command::Regions(a) => regions::run(&a, cli.quiet),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("careblock: error: {err:#}{}", hints::suffix(hints::of(&err)));
            ExitCode::from(if nothing_feasible(&err) { 1 } else { 2 })
        }
    }
}
