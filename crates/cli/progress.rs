//! Stages of a command: each one timed, and shown as a spinner with its elapsed time while it
//! runs when standard error is a terminal (never with `--quiet`, in pipes or in CI logs).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use careblock_pipeline::PipelineError;
use careblock_text::Lang;
use indicatif::{ProgressBar, ProgressStyle};

/// The stages run so far and their wall times.
pub struct Stages {
    show: bool,
    /// The language of the spinners' labels.
    pub lang: Lang,
    /// `(name, seconds)` in the order the stages ran.
    pub timings: Vec<(&'static str, f64)>,
}

impl Stages {
    /// Spinners only when not `quiet` and standard error is a terminal.
    pub fn new(quiet: bool) -> Stages {
        Stages {
            show: !quiet && std::io::stderr().is_terminal(),
            lang: Lang::En,
            timings: Vec::new(),
        }
    }

    /// Runs one stage, timing it and showing `label` with a spinner while it runs.
    pub fn run<T>(&mut self, name: &'static str, label: &str, work: impl FnOnce() -> T) -> T {
        let bar = self.show.then(|| {
            let bar = ProgressBar::new_spinner();
            if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
                bar.set_style(style);
            }
            bar.set_message(label.to_string());
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        let start = Instant::now();
        let out = work();
        self.timings.push((name, start.elapsed().as_secs_f64()));
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
        out
    }

    /// `name 0.12 s, ...` for the terminal (`0,12` in Spanish).
    pub fn line(&self) -> String {
        let t: Vec<String> = self
            .timings
            .iter()
            .map(|(k, v)| format!("{k} {} s", self.lang.fixed(*v, 2)))
            .collect();
        t.join(", ")
    }

    /// The timings as a JSON object (seconds), for `timings.json`.
    pub fn json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        let mut total = 0.0;
        for (k, v) in &self.timings {
            m.insert((*k).into(), serde_json::json!(round_ms(*v)));
            total += v;
        }
        m.insert("total".into(), serde_json::json!(round_ms(total)));
        serde_json::Value::Object(m)
    }
}

fn round_ms(s: f64) -> f64 {
    (s * 1000.0).round() / 1000.0
}

impl careblock_pipeline::Stages for Stages {
    fn stage<T: Send>(
        &mut self,
        name: &'static str,
        label: &str,
        work: impl FnOnce() -> Result<T, PipelineError> + Send,
    ) -> Result<T, PipelineError> {
        // The pipeline's stages, worded in the user's language; any other keeps its label.
        let label = match name {
            "read_validate_project" => self.lang.t("run.stage_read"),
            "index" => self.lang.t("run.stage_index"),
            "siting" => self.lang.t("run.stage_siting"),
            _ => label,
        };
        self.run(name, label, work)
    }
}
