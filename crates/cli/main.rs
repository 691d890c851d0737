//! The `careblock` command-line tool: a thin layer over `careblock-core` (computation) and
//! `careblock-io` (files). Errors from the libraries are printed as one line with their cause
//! chain; exit codes are 0 (success), 1 (nothing feasible) and 2 (error).

mod args;
mod interpolate;
mod report;
mod run;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("careblock: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
