//! The census schemas `careblock init` recognises, as data: one TOML file per schema in
//! `crates/cli/schemas/` (the column that identifies it, the id columns, and rules that turn
//! the columns present into derived counts and indicators).

use std::fmt::Write as _;

use serde::Deserialize;

/// The schema files, in the order they are tried.
const FILES: [(&str, &str); 2] = [
    ("dane_cnpv2018.toml", include_str!("schemas/dane_cnpv2018.toml")),
    ("ine_censo2017.toml", include_str!("schemas/ine_censo2017.toml")),
];

/// One census schema.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CensusSchema {
    /// Its name, for the terminal and the file's comments.
    pub name: String,
    /// The persons column; its presence identifies the schema.
    pub population: String,
    /// What the population column was recognised as.
    pub recognised: String,
    /// Id columns, the first present one used when none is given.
    pub ids: Vec<String>,
    /// The method's `crs` line (or a comment about it).
    pub crs: String,
    /// Whether a text column like a name may label the units.
    #[serde(default = "yes")]
    pub unit_label: bool,
    /// The rules, applied in order.
    pub rules: Vec<Rule>,
    /// The indicator written when no rule gives one.
    pub fallback: Indicator,
}

fn yes() -> bool {
    true
}

/// Columns present → what they allow.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Every one of these columns must be present.
    pub requires: Vec<String>,
    /// None of these may be present.
    #[serde(default)]
    pub unless: Vec<String>,
    /// What was recognised, if the rule is worth saying.
    pub recognised: Option<String>,
    /// Lines for `[derived]`.
    #[serde(default)]
    pub derived: String,
    /// `[[indicators]]` entries.
    #[serde(default)]
    pub indicators: Vec<Indicator>,
}

/// One `[[indicators]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    pub name: String,
    pub label: String,
    pub dimension: String,
    pub kind: String,
    pub numerator: Option<String>,
    pub denominator: Option<String>,
    pub count: Option<String>,
    pub basis: String,
}

impl Indicator {
    /// The entry as TOML text, starting with a blank line.
    pub fn toml(&self) -> String {
        let mut s = String::from("\n[[indicators]]\n");
        let _ = writeln!(s, "name = {}", q(&self.name));
        let _ = writeln!(s, "label = {}", q(&self.label));
        let _ = writeln!(s, "dimension = {}", q(&self.dimension));
        let _ = writeln!(s, "kind = {}", q(&self.kind));
        for (k, v) in [
            ("numerator", &self.numerator),
            ("denominator", &self.denominator),
            ("count", &self.count),
        ] {
            if let Some(v) = v {
                let _ = writeln!(s, "{k} = {}", q(v));
            }
        }
        let _ = writeln!(s, "basis = {}", q(&self.basis));
        s
    }
}

/// What a schema makes of the columns present.
pub struct Applied {
    /// What was recognised, population first.
    pub recognised: Vec<String>,
    /// The `[derived]` lines.
    pub derived: String,
    /// The `[[indicators]]` entries as TOML text.
    pub indicators: Vec<String>,
}

impl CensusSchema {
    /// Applies every rule whose columns are present in `numeric`.
    pub fn apply(&self, numeric: &[String]) -> Applied {
        let has = |c: &String| numeric.contains(c);
        let mut out = Applied {
            recognised: vec![self.recognised.clone()],
            derived: String::new(),
            indicators: Vec::new(),
        };
        for r in &self.rules {
            if !r.requires.iter().all(has) || r.unless.iter().any(has) {
                continue;
            }
            out.recognised.extend(r.recognised.clone());
            out.derived.push_str(&r.derived);
            out.indicators.extend(r.indicators.iter().map(Indicator::toml));
        }
        if out.indicators.is_empty() {
            out.indicators.push(self.fallback.toml());
        }
        out
    }
}

/// Every schema, in the order they are tried.
pub fn schemas() -> Vec<CensusSchema> {
    FILES
        .iter()
        .map(|(file, text)| {
            toml::from_str(text).unwrap_or_else(|e| panic!("crates/cli/schemas/{file} does not parse: {e}"))
        })
        .collect()
}

/// A TOML basic string.
pub fn q(s: &str) -> String {
    let mut out = String::from("\"");
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_parses_and_its_rules_name_columns() {
        let all = schemas();
        assert_eq!(all.len(), FILES.len());
        for s in &all {
            assert!(!s.rules.is_empty(), "{}", s.name);
            assert!(s.rules.iter().all(|r| !r.requires.is_empty()), "{}", s.name);
            assert!(s.crs.ends_with('\n'), "{}", s.name);
        }
    }

    #[test]
    fn rules_apply_only_when_their_columns_are_present() {
        let ine = schemas()
            .into_iter()
            .find(|s| s.population == "pob_total")
            .unwrap();
        let cols = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let a = ine.apply(&cols(&["pob_total", "pob_15a64"]));
        assert_eq!(a.indicators.len(), 1);
        assert!(a.indicators[0].contains("persons_15_64_density"));
        let a = ine.apply(&cols(&["pob_total", "pob_15a64", "mujeres"]));
        assert!(
            a.indicators[0].contains("women_15_64_density"),
            "`unless` drops the proxy"
        );
        assert!(a.derived.contains("women_15_64 ="));
        let a = ine.apply(&cols(&["pob_total"]));
        assert!(a.indicators[0].contains("placeholder"), "the fallback");
        assert_eq!(a.recognised, ["pob_total (persons)"]);
    }
}
