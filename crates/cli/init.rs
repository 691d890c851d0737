//! `careblock init --units FILE ...`: inspect the columns of a unit layer (and its attribute
//! table) and write a commented starter method file. DANE CNPV 2018 and INE Censo 2017 (as in
//! chilemapas) column names are recognised and give the indicators they allow; any other
//! schema gets a population guess (or a TODO), the list of numeric columns and one placeholder
//! indicator to edit.

use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};
use careblock_core::Layer;
use careblock_core::polars::prelude::DataType;
use careblock_io::{ReadOptions, join_table, read_layer, read_table_with_key};
use careblock_method::Method;

use crate::args::InitArgs;
use crate::census::{CensusSchema, Indicator, q, schemas};

/// An expression column reference (backquoted when it is not a plain identifier).
fn col(s: &str) -> String {
    let plain = s.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_alphanumeric() || c == '_');
    if plain { s.to_string() } else { format!("`{s}`") }
}

/// How many folders up a path written into the method may climb before it is written absolute.
const MAX_CLIMB: usize = 2;

/// The path of `target` as the method in `dir` refers to it, with `/` separators: relative to
/// `dir` when the data sits near the method (inside `dir`, or reached by climbing at most
/// [`MAX_CLIMB`] folders: `data/x.shp`, `../data/x.shp`, `../../census/x.shp`), so that the
/// method and its data move together; otherwise absolute, so that a method written far from
/// its data (another tree, a temporary folder) keeps working wherever it is moved.
fn method_path(dir: &Path, target: &Path) -> Result<String> {
    let dir = std::fs::canonicalize(dir)
        .with_context(|| format!("{}: cannot resolve the directory", dir.display()))?;
    let target = std::fs::canonicalize(target)
        .with_context(|| format!("{}: cannot resolve the path", target.display()))?;
    Ok(match relative_path(&dir, &target) {
        Some((climb, rel)) if climb <= MAX_CLIMB => rel,
        _ => target.display().to_string().replace('\\', "/"),
    })
}

/// `target` relative to `dir` (both absolute) with `/` separators, and how many `..` it
/// starts with; `None` when the two share nothing below the root (or different drives).
fn relative_path(dir: &Path, target: &Path) -> Option<(usize, String)> {
    let d: Vec<Component> = dir.components().collect();
    let t: Vec<Component> = target.components().collect();
    let common = d.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let below_root = d[..common].iter().any(|c| matches!(c, Component::Normal(_)));
    if !below_root {
        return None;
    }
    let climb = d.len() - common;
    let mut parts: Vec<String> = vec!["..".to_string(); climb];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Some((climb, parts.join("/")))
}

/// Numeric columns of a layer (numbers, or text that parses as numbers with at least one
/// value), in column order, without `skip`.
fn numeric_columns(layer: &Layer, skip: &[&str]) -> Vec<String> {
    layer
        .attributes
        .columns()
        .iter()
        .filter(|c| !skip.contains(&c.name().as_str()))
        .filter(|c| {
            let dt = c.dtype();
            if dt.is_primitive_numeric() {
                return true;
            }
            *dt == DataType::String
                && layer
                    .numeric_column(c.name().as_str())
                    .is_ok_and(|v| v.iter().any(Option::is_some))
        })
        .map(|c| c.name().to_string())
        .collect()
}

fn text_column_like(layer: &Layer, words: &[&str]) -> Option<String> {
    layer
        .attributes
        .columns()
        .iter()
        .filter(|c| *c.dtype() == DataType::String)
        .map(|c| c.name().to_string())
        .find(|n| {
            let l = n.to_lowercase();
            words.iter().any(|w| l.contains(w))
        })
}

/// The recognised schema of the units.
enum Schema {
    /// One of the census schemas of `crates/cli/schemas/`.
    Known(Box<CensusSchema>),
    /// Neither: the population column guessed, if any.
    Unknown(Option<String>),
}

fn guess_population(numeric: &[String]) -> Option<String> {
    let patterns = [
        "pob_total",
        "population",
        "poblacion",
        "personas",
        "pers",
        "total_pop",
        "pop",
        "habitantes",
        "pob",
    ];
    patterns.iter().find_map(|p| {
        numeric
            .iter()
            .find(|n| n.to_lowercase() == *p)
            .or_else(|| numeric.iter().find(|n| n.to_lowercase().contains(p)))
            .cloned()
    })
}

/// What was recognised, for the file's comments and the terminal.
struct Draft {
    text: String,
    recognised: Vec<String>,
    schema: String,
    todo: bool,
}

/// The comments that say which schema was recognised, and what to check when none was.
fn recognised_comments(
    schema_name: &str,
    schema: &Schema,
    recognised: &[String],
    numeric: &[String],
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "#\n# Schema recognised: {schema_name}.");
    if recognised.is_empty() {
        let _ = writeln!(
            s,
            "# The columns were not recognised (neither DANE CNPV 2018 nor INE Censo 2017 names)."
        );
        match schema {
            Schema::Unknown(Some(p)) => {
                let _ = writeln!(s, "# TODO: the population column was GUESSED as {p:?}: check it.");
            }
            _ => {
                let _ = writeln!(
                    s,
                    "# TODO: no population column was found: set units.population to the persons column."
                );
            }
        }
        let _ = writeln!(
            s,
            "# Numeric columns found (use them in [derived] and [[indicators]]):"
        );
        for chunk in numeric.chunks(8) {
            let _ = writeln!(s, "#   {}", chunk.join(", "));
        }
    } else {
        let _ = writeln!(s, "# Columns recognised:");
        for r in recognised {
            let _ = writeln!(s, "#   - {r}");
        }
    }
    s
}

/// One `[dimensions.NAME]` table per dimension the indicators name, in order, equal weights.
fn dimensions_toml(inds: &[String]) -> String {
    let mut s = String::new();
    let mut dims: Vec<&str> = Vec::new();
    for ind in inds {
        for line in ind.lines() {
            if let Some(d) = line.strip_prefix("dimension = ") {
                let d = d.trim_matches('"');
                if !dims.contains(&d) {
                    dims.push(d);
                }
            }
        }
    }
    for d in &dims {
        let label = match *d {
            "care_demand" => "Care demand",
            "women_caregivers" => "Density of (potential) women caregivers",
            "vulnerability" => "Socio-economic vulnerability",
            other => other,
        };
        let _ = writeln!(s, "[dimensions.{d}]\nlabel = {}\nweight = 1", q(label));
    }
    s
}

fn draft(
    a: &InitArgs,
    id: Option<&str>,
    units: &Layer,
    districts: Option<&Layer>,
    out_dir: &Path,
) -> Result<Draft> {
    let skip: Vec<&str> = id.into_iter().chain(a.key.as_deref()).collect();
    let numeric = numeric_columns(units, &skip);
    let schema = match schemas().into_iter().find(|s| numeric.contains(&s.population)) {
        Some(s) => Schema::Known(Box::new(s)),
        None => Schema::Unknown(guess_population(&numeric)),
    };
    let (schema_name, population, crs_line, (recognised, derived, inds)) = match &schema {
        Schema::Known(k) => {
            let a = k.apply(&numeric);
            (
                k.name.as_str(),
                k.population.clone(),
                k.crs.as_str(),
                (a.recognised, a.derived, a.indicators),
            )
        }
        Schema::Unknown(p) => {
            let pop = p.clone().unwrap_or_else(|| "TODO_population_column".to_string());
            let placeholder = Indicator {
                name: "population_density".into(),
                label: "Persons per km²".into(),
                dimension: "care_demand".into(),
                kind: "density".into(),
                numerator: None,
                denominator: None,
                count: Some(pop.clone()),
                basis: "placeholder: replace with the criteria you need (see examples/bogota.toml)".into(),
            };
            (
                "unknown",
                pop,
                "# crs: by default the UTM zone of the study area; set e.g. crs = 9377 to choose one\n",
                (Vec::new(), String::new(), vec![placeholder.toml()]),
            )
        }
    };
    let todo = matches!(schema, Schema::Unknown(_));
    let units_path = method_path(out_dir, &a.units)?;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# careblock method: starter file written by `careblock init` from the columns of\n# {units_path}."
    );
    s.push_str(&recognised_comments(schema_name, &schema, &recognised, &numeric));
    let _ = writeln!(
        s,
        "#\n# Each indicator's `basis` says whether it is a documented criterion of the Manzanas del\n\
         # Cuidado prioritisation or a stated proxy. What to edit: the weights of the dimensions and\n\
         # indicators, the districts, [[coarse]] layers with survey rates (caregivers, disability),\n\
         # [[supply]] layers of existing care services (for a supply-gap indicator) and a [siting]\n\
         # section; examples/bogota.toml and examples/los_lagos.toml show all of them. Check the file with\n\
         #   careblock validate THIS_FILE.toml\n\
         # Relative paths are relative to this file's directory.\n"
    );
    let _ = writeln!(
        s,
        "name = {}",
        q(&format!("Care prioritization index ({schema_name} units)"))
    );
    s.push_str(crs_line);
    s.push_str("\n[units]\n");
    let _ = writeln!(s, "path = {}", q(&units_path));
    if let Some(id) = id {
        let _ = writeln!(s, "id = {}", q(id));
    }
    let unit_label = match &schema {
        Schema::Known(k) => k.unit_label,
        Schema::Unknown(_) => true,
    };
    if unit_label && let Some(label) = text_column_like(units, &["nombre", "name"]) {
        let _ = writeln!(s, "label = {}", q(&label));
    }
    if let (Some(t), Some(k)) = (&a.table, &a.key) {
        let _ = writeln!(
            s,
            "table = {{ path = {}, key = {} }}",
            q(&method_path(out_dir, t)?),
            q(k)
        );
    }
    let _ = writeln!(
        s,
        "population = {}{}",
        q(&col(&population)),
        if todo { "  # TODO: check" } else { "" }
    );
    if let (Some(d), Some(dp), Some(did)) = (districts, &a.districts, &a.districts_id) {
        s.push_str("\n[districts]\n");
        let _ = writeln!(s, "path = {}", q(&method_path(out_dir, dp)?));
        let _ = writeln!(s, "id = {}", q(did));
        if let Some(label) = text_column_like(d, &["nombre", "name"]) {
            let _ = writeln!(s, "label = {}", q(&label));
        }
    } else {
        s.push_str(
            "\n# [districts]: add the districts (UPZ, comunas, ...) to rank them too:\n\
             # [districts]\n# path = \"districts.geojson\"\n# id = \"CODE\"\n",
        );
    }
    if !derived.is_empty() {
        s.push_str("\n# Counts derived per unit.\n[derived]\n");
        s.push_str(&derived);
    }
    s.push_str("\n# Dimensions: equal weights (Bogotá has not published its weights; edit them).\n");
    s.push_str(&dimensions_toml(&inds));
    for ind in &inds {
        s.push_str(ind);
    }
    s.push_str(
        "\n# Treatment, normalisation, aggregation and classification: the documented defaults.\n\
         [treatment]\nwinsorise = [1, 99]\nmin_population = 30\nmin_available = 0.5\n\n\
         [normalisation]\nmethod = \"min-max\"\n\n[aggregation]\nmethod = \"arithmetic\"\n\n\
         [classification]\nmethod = \"quantiles\"\nclasses = 5\n\n\
         # Monte Carlo over the weights, normalisation and aggregation (draws = 0 turns it off).\n\
         [uncertainty]\ndraws = 1000\nseed = 2018\n\n\
         # Siting care blocks: add candidate point layers and uncomment (see examples/bogota.toml).\n\
         # [siting]\n# radius = 800\n# p = 10\n# [[siting.candidates]]\n# name = \"school\"\n# path = \"schools.geojson\"\n",
    );
    Ok(Draft {
        text: s,
        recognised,
        schema: schema_name.to_string(),
        todo,
    })
}

pub fn run(a: &InitArgs, quiet: bool) -> Result<()> {
    if a.out.exists() && !a.force {
        bail!(
            "{}: the file exists; careblock init never overwrites a file without --force",
            a.out.display()
        );
    }
    let out_dir: PathBuf = match a.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !out_dir.is_dir() {
        bail!("{}: the directory of --out does not exist", out_dir.display());
    }
    let opts = ReadOptions {
        id_field: a.units_id.clone(),
        ..ReadOptions::default()
    };
    let (mut units, _) = read_layer(&a.units, &opts)?;
    // Without --units-id, the schema's id column (DANE sector/block code, INE zone code).
    let id = a.units_id.clone().or_else(|| {
        schemas()
            .into_iter()
            .flat_map(|s| s.ids)
            .find(|c| units.attributes.column(c).is_ok())
    });
    if let (Some(t), Some(k)) = (&a.table, &a.key) {
        let table = read_table_with_key(t, k)?;
        let (joined, _) = join_table(
            units,
            table,
            &t.display().to_string(),
            id.as_deref().unwrap_or("id"),
            k,
        )?;
        units = joined;
    }
    let districts = match (&a.districts, &a.districts_id) {
        (Some(d), Some(id)) => Some(
            read_layer(
                d,
                &ReadOptions {
                    id_field: Some(id.clone()),
                    ..ReadOptions::default()
                },
            )?
            .0,
        ),
        _ => None,
    };
    let d = draft(a, id.as_deref(), &units, districts.as_ref(), &out_dir)?;
    // The file must at least parse as a method (a bug here is ours, not the user's).
    Method::from_toml(&a.out.display().to_string(), &d.text)
        .context("careblock init produced a method file that does not parse (please report)")?;
    careblock_io::write_text(&a.out, &d.text)?;
    if !quiet {
        println!("wrote {} (schema: {})", a.out.display(), d.schema);
        if d.todo {
            println!(
                "the columns were not recognised: the population column is {} and the file has a placeholder indicator; edit the TODOs (the numeric columns found are listed in the file)",
                if d.text.contains("TODO_population_column") {
                    "a TODO"
                } else {
                    "a guess"
                }
            );
        } else {
            println!("recognised: {}", d.recognised.join("; "));
        }
        println!("next: careblock validate {}", a.out.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_near_the_method_are_relative_and_far_ones_absolute() {
        let rel = |d: &str, t: &str| relative_path(Path::new(d), Path::new(t));
        assert_eq!(rel("/w/p", "/w/p/data/x.shp"), Some((0, "data/x.shp".into())));
        assert_eq!(
            rel("/w/p/m", "/w/p/data/x.shp"),
            Some((1, "../data/x.shp".into()))
        );
        assert_eq!(
            rel("/w/a/b/c/d", "/w/x.shp"),
            Some((4, "../../../../x.shp".into()))
        );
        assert_eq!(rel("/tmp/t", "/home/u/x.shp"), None, "only the root in common");

        let base = std::env::temp_dir().join(format!("careblock-init-paths-{}", std::process::id()));
        let (near, far) = (base.join("project/methods"), base.join("a/b/c/methods"));
        let data = base.join("project/data/units.geojson");
        for d in [&near, &far, &data.parent().unwrap().to_path_buf()] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(&data, "{}").unwrap();
        assert_eq!(method_path(&near, &data).unwrap(), "../data/units.geojson");
        let abs = method_path(&far, &data).unwrap();
        assert!(Path::new(&abs).is_absolute(), "{abs}");
        assert!(abs.ends_with("project/data/units.geojson"), "{abs}");
        assert!(method_path(&near, &base.join("nope.shp")).is_err());
        std::fs::remove_dir_all(&base).unwrap();
    }
}
