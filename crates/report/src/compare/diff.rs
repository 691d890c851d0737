//! The comparison itself, from two [`RunOutput`]s: pure, no I/O.

use std::collections::{BTreeMap, HashMap};

use careblock_method::Label;
use careblock_text::{Arg, Lang};
use serde_json::Value;

use super::read::{LevelTable, RunOutput, SiteRow};
use super::{CompareError, MapLayers, projected_map};

/// One district or unit in both runs (`[a, b]` pairs).
#[derive(Debug, Clone, PartialEq)]
pub struct AreaChange {
    /// The id.
    pub id: String,
    /// The label (the second run's, else the first's).
    pub label: Option<String>,
    /// Ranks (1 = highest need).
    pub rank: [Option<f64>; 2],
    /// Priority classes.
    pub class: [Option<f64>; 2],
    /// Index values.
    pub index: [Option<f64>; 2],
    /// Share of the need within reach of a block after the siting.
    pub covered_after: [Option<f64>; 2],
}

fn delta(v: &[Option<f64>; 2]) -> Option<f64> {
    Some(v[1]? - v[0]?)
}

impl AreaChange {
    /// Second rank minus first: negative when the area rose in priority (closer to rank 1).
    pub fn rank_change(&self) -> Option<f64> {
        delta(&self.rank)
    }

    /// Second class minus first: positive when it moved to a higher-need class.
    pub fn class_change(&self) -> Option<f64> {
        delta(&self.class)
    }

    /// Second index minus first.
    pub fn index_change(&self) -> Option<f64> {
        delta(&self.index)
    }

    /// Whether the rank or the class differs (including ranked in one run only).
    pub fn changed(&self) -> bool {
        self.rank[0] != self.rank[1] || self.class[0] != self.class[1]
    }
}

/// One level (units or districts) compared.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelComparison {
    /// `units` or `districts`.
    pub level: &'static str,
    /// Every feature, the largest rank change first (then by id).
    pub changes: Vec<AreaChange>,
    /// Features ranked in both runs.
    pub ranked_both: usize,
    /// Features ranked in one run only.
    pub ranked_one: usize,
    /// Features whose rank differs (ranked in both).
    pub rank_changed: usize,
    /// Features whose class differs (classified in both).
    pub class_changed: usize,
    /// Mean absolute rank change over the features ranked in both.
    pub mean_abs_rank_change: Option<f64>,
    /// Spearman's rank correlation over the features ranked in both (ties averaged).
    pub spearman: Option<f64>,
}

impl LevelComparison {
    fn is_districts(&self) -> bool {
        self.level == "districts"
    }

    /// The level's word in `lang` ("units", "distritos").
    pub fn noun(&self, lang: Lang) -> &'static str {
        if self.is_districts() {
            lang.t("compare.level.districts")
        } else {
            lang.t("compare.level.units")
        }
    }

    /// The level's word capitalised, to open a sentence ("Units", "Distritos").
    pub fn noun_cap(&self, lang: Lang) -> &'static str {
        if self.is_districts() {
            lang.t("compare.level.districts_cap")
        } else {
            lang.t("compare.level.units_cap")
        }
    }

    /// The level's word with its article ("the units", "los distritos").
    pub fn the_noun(&self, lang: Lang) -> &'static str {
        if self.is_districts() {
            lang.t("compare.level.the_districts")
        } else {
            lang.t("compare.level.the_units")
        }
    }
}

/// What happened to a site between the runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SiteChange {
    /// In the second run only.
    Added,
    /// In the first run only.
    Removed,
    /// In both.
    Kept,
}

impl SiteChange {
    /// The code written in `sites_changes.csv` and `compare.json` (English in every language).
    pub fn word(self) -> &'static str {
        match self {
            SiteChange::Added => "added",
            SiteChange::Removed => "removed",
            SiteChange::Kept => "kept",
        }
    }

    /// The word for one site in `lang` ("added", "añadido").
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            SiteChange::Added => lang.t("compare.change.added"),
            SiteChange::Removed => lang.t("compare.change.removed"),
            SiteChange::Kept => lang.t("compare.change.kept"),
        }
    }

    /// The word for the sites of a legend in `lang` ("added", "añadidos").
    pub fn legend(self, lang: Lang) -> &'static str {
        match self {
            SiteChange::Added => lang.t("compare.change.added_legend"),
            SiteChange::Removed => lang.t("compare.change.removed_legend"),
            SiteChange::Kept => lang.t("compare.change.kept_legend"),
        }
    }
}

/// A site (matched on status and id) and what happened to it.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteComparison {
    /// Added, removed or kept.
    pub change: SiteChange,
    /// Its row in the first run.
    pub a: Option<SiteRow>,
    /// Its row in the second.
    pub b: Option<SiteRow>,
}

impl SiteComparison {
    /// The row of either run (the second's first).
    pub fn row(&self) -> &SiteRow {
        self.b
            .as_ref()
            .or(self.a.as_ref())
            .expect("a site is in at least one run")
    }
}

/// The coverage of one kind of site (blocks, bus stops) in one run, as shares of its demand.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coverage {
    /// Covered by the existing (locked-in) sites.
    pub before: Option<f64>,
    /// Covered with the proposed sites.
    pub after: Option<f64>,
    /// The certified upper bound.
    pub bound: Option<f64>,
    /// Sites proposed.
    pub proposed: Option<u64>,
}

/// A setting or input that differs between the runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodDifference {
    /// Where: a dotted path into `resolved_method` (arrays of named items by name), or
    /// `input <role>` for an input file.
    pub what: String,
    /// The first run's value (compact JSON; `absent` when missing).
    pub a: String,
    /// The second run's.
    pub b: String,
}

const ABSENT: &str = "absent";
const VERSION: &str = "careblock version";

impl MethodDifference {
    /// [`MethodDifference::what`] for people, in `lang`: a setting's dotted path as it is, the
    /// careblock version and the input files worded ("input units", "entrada units n.º 2").
    pub fn what_in(&self, lang: Lang) -> String {
        if self.what == VERSION {
            return lang.t("compare.version").to_string();
        }
        let Some(role) = self.what.strip_prefix("input ") else {
            return self.what.clone();
        };
        match role.rsplit_once(" #") {
            Some((role, k)) if k.parse::<usize>().is_ok() => lang.fmt(
                "compare.input_nth",
                &[("role", Arg::from(role)), ("k", Arg::from(k))],
            ),
            _ => lang.fmt("compare.input", &[("role", Arg::from(role))]),
        }
    }

    /// A value of [`MethodDifference::a`] or [`MethodDifference::b`] for people, in `lang`
    /// (the values are compact JSON, written as they are; a missing one is worded).
    pub fn value_in(value: &str, lang: Lang) -> String {
        if value == ABSENT {
            lang.t("compare.absent").to_string()
        } else {
            value.to_string()
        }
    }
}

/// Two runs compared.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The folders, as given.
    pub dirs: [String; 2],
    /// The methods' names (`run.json`'s `name`, in each run's language).
    pub names: [Option<String>; 2],
    /// The methods' names as written (`resolved_method.name`: one text, or one per language).
    pub labels: [Option<Label>; 2],
    /// Units.
    pub units: LevelComparison,
    /// Districts, when the runs have them.
    pub districts: Option<LevelComparison>,
    /// Sites of both runs (none if neither sites blocks): kept, then added, then removed.
    pub sites: Option<Vec<SiteComparison>>,
    /// Care blocks' coverage in each run.
    pub blocks: [Option<Coverage>; 2],
    /// Bus stops' coverage in each run.
    pub bus: [Option<Coverage>; 2],
    /// Every difference of method and inputs.
    pub method: Vec<MethodDifference>,
    /// The map (the districts' or units' polygons and the sites) in the first run's working
    /// CRS, when the first run wrote the polygons in a format careblock reads.
    pub map: Option<MapLayers>,
}

impl Comparison {
    /// The name of run `i` (0 or 1) in `lang` when its method names itself per language, else
    /// as its `run.json` gives it.
    pub fn name_in(&self, i: usize, lang: Lang) -> Option<String> {
        self.labels[i]
            .as_ref()
            .map(|l| l.get(lang).to_string())
            .filter(|n| !n.is_empty())
            .or_else(|| self.names[i].clone())
    }

    /// The level the map shows: districts when there are, else units.
    pub fn mapped(&self) -> &LevelComparison {
        self.districts.as_ref().unwrap_or(&self.units)
    }
}

/// Compares run `a` with run `b`. They must be runs on the same units (and the same
/// districts, or none in both): [`CompareError::DifferentIds`] otherwise.
pub fn compare(a: &RunOutput, b: &RunOutput) -> Result<Comparison, CompareError> {
    let units = level(&a.units, &b.units, "units")?;
    let districts = match (&a.districts, &b.districts) {
        (Some(x), Some(y)) => Some(level(x, y, "districts")?),
        (None, None) => None,
        (Some(_), None) => {
            return Err(CompareError::DistrictsInOne {
                with: a.dir.display().to_string(),
                without: b.dir.display().to_string(),
            });
        }
        (None, Some(_)) => {
            return Err(CompareError::DistrictsInOne {
                with: b.dir.display().to_string(),
                without: a.dir.display().to_string(),
            });
        }
    };
    let sites = match (&a.sites, &b.sites) {
        (None, None) => None,
        (x, y) => Some(sites(x.as_deref().unwrap_or(&[]), y.as_deref().unwrap_or(&[]))),
    };
    let map = projected_map(a, sites.as_deref())?;
    Ok(Comparison {
        dirs: [a.dir.display().to_string(), b.dir.display().to_string()],
        names: [name(&a.run), name(&b.run)],
        labels: [label(&a.run), label(&b.run)],
        units,
        districts,
        sites,
        blocks: [coverage(&a.run, "blocks"), coverage(&b.run, "blocks")],
        bus: [coverage(&a.run, "bus"), coverage(&b.run, "bus")],
        method: method_differences(&a.run, &b.run),
        map,
    })
}

fn name(run: &Value) -> Option<String> {
    run["name"].as_str().map(str::to_string)
}

fn label(run: &Value) -> Option<Label> {
    let v = run["resolved_method"].get("name")?;
    serde_json::from_value(v.clone()).ok()
}

fn level(a: &LevelTable, b: &LevelTable, what: &'static str) -> Result<LevelComparison, CompareError> {
    let in_b: HashMap<&str, usize> = b.ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let in_a: HashMap<&str, usize> = a.ids.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let only_a: Vec<&String> = a
        .ids
        .iter()
        .filter(|id| !in_b.contains_key(id.as_str()))
        .collect();
    let only_b: Vec<&String> = b
        .ids
        .iter()
        .filter(|id| !in_a.contains_key(id.as_str()))
        .collect();
    if !only_a.is_empty() || !only_b.is_empty() || a.ids.len() != b.ids.len() {
        return Err(CompareError::DifferentIds {
            level: what,
            a: a.file.clone(),
            b: b.file.clone(),
            only_a: only_a.len(),
            only_b: only_b.len(),
            first_a: only_a.first().map(|s| s.to_string()),
            first_b: only_b.first().map(|s| s.to_string()),
        });
    }
    let mut changes: Vec<AreaChange> = a
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let j = in_b[id.as_str()];
            AreaChange {
                id: id.clone(),
                label: b.labels[j].clone().or_else(|| a.labels[i].clone()),
                rank: [a.rank[i], b.rank[j]],
                class: [a.class[i], b.class[j]],
                index: [a.index[i], b.index[j]],
                covered_after: [a.covered_after[i], b.covered_after[j]],
            }
        })
        .collect();
    changes.sort_by(|x, y| {
        let key = |c: &AreaChange| c.rank_change().map(f64::abs);
        match (key(x), key(y)) {
            (Some(p), Some(q)) => q.total_cmp(&p),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
        .then_with(|| x.id.cmp(&y.id))
    });
    let both: Vec<&AreaChange> = changes.iter().filter(|c| c.rank_change().is_some()).collect();
    let ranked_one = changes
        .iter()
        .filter(|c| c.rank[0].is_some() != c.rank[1].is_some())
        .count();
    let mean_abs_rank_change = (!both.is_empty()).then(|| {
        both.iter()
            .filter_map(|c| c.rank_change())
            .map(f64::abs)
            .sum::<f64>()
            / both.len() as f64
    });
    let spearman = spearman(
        &both.iter().map(|c| c.rank[0].unwrap_or(0.0)).collect::<Vec<_>>(),
        &both.iter().map(|c| c.rank[1].unwrap_or(0.0)).collect::<Vec<_>>(),
    );
    Ok(LevelComparison {
        level: what,
        ranked_both: both.len(),
        ranked_one,
        rank_changed: both.iter().filter(|c| c.rank_change() != Some(0.0)).count(),
        class_changed: changes
            .iter()
            .filter(|c| c.class_change().is_some_and(|d| d != 0.0))
            .count(),
        mean_abs_rank_change,
        spearman,
        changes,
    })
}

/// Ranks of `v` (1-based, ties get their mean rank).
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..v.len()).collect();
    order.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
    let mut out = vec![0.0; v.len()];
    let mut k = 0;
    while k < order.len() {
        let mut end = k;
        while end + 1 < order.len() && v[order[end + 1]] == v[order[k]] {
            end += 1;
        }
        let mean = (k + end) as f64 / 2.0 + 1.0;
        for &i in &order[k..=end] {
            out[i] = mean;
        }
        k = end + 1;
    }
    out
}

/// Spearman's rank correlation of `x` and `y` (Pearson's on their ranks); `None` for fewer
/// than two pairs or a constant side.
pub(super) fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    let n = x.len();
    if n < 2 {
        return None;
    }
    let (rx, ry) = (ranks(x), ranks(y));
    let mean = (n as f64 + 1.0) / 2.0;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (dx, dy) = (rx[i] - mean, ry[i] - mean);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

fn sites(a: &[SiteRow], b: &[SiteRow]) -> Vec<SiteComparison> {
    let key = |s: &SiteRow| (s.status.clone(), s.id.clone());
    let mut by_key: BTreeMap<(String, String), (Option<SiteRow>, Option<SiteRow>)> = BTreeMap::new();
    for s in a {
        by_key.entry(key(s)).or_default().0 = Some(s.clone());
    }
    for s in b {
        by_key.entry(key(s)).or_default().1 = Some(s.clone());
    }
    let mut out: Vec<SiteComparison> = by_key
        .into_values()
        .map(|(a, b)| SiteComparison {
            change: match (&a, &b) {
                (Some(_), Some(_)) => SiteChange::Kept,
                (None, Some(_)) => SiteChange::Added,
                _ => SiteChange::Removed,
            },
            a,
            b,
        })
        .collect();
    let order = |s: &SiteComparison| {
        let status = match s.row().status.as_str() {
            "existing" => 0,
            "proposed" => 1,
            _ => 2,
        };
        let rank =
            s.b.as_ref()
                .or(s.a.as_ref())
                .and_then(|r| r.rank)
                .unwrap_or(f64::INFINITY);
        (s.change, status, rank)
    };
    out.sort_by(|x, y| {
        let (p, q) = (order(x), order(y));
        p.0.cmp(&q.0)
            .then(p.1.cmp(&q.1))
            .then(p.2.total_cmp(&q.2))
            .then_with(|| x.row().id.cmp(&y.row().id))
    });
    out
}

fn coverage(run: &Value, which: &str) -> Option<Coverage> {
    let s = &run["siting"][which];
    let total = s["total_demand"].as_f64().filter(|t| *t > 0.0)?;
    let share = |k: &str| s[k].as_f64().map(|v| v / total);
    let proposed = match which {
        "blocks" => run["siting"]["proposed"].as_u64(),
        _ => run["siting"]["bus_stops"].as_u64(),
    };
    Some(Coverage {
        before: share("locked_in"),
        after: share("objective"),
        bound: share("bound"),
        proposed,
    })
}

/// Every leaf of `v` under `prefix`, as compact JSON. Arrays whose items are all objects with
/// distinct `name`s are keyed by name (an inserted indicator does not shift the others); keys
/// ending in `path` are skipped (files are compared by checksum, as inputs).
fn flatten(v: &Value, prefix: String, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "path" {
                    continue;
                }
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(x, p, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let names: Option<Vec<&str>> = items.iter().map(|x| x["name"].as_str()).collect();
            let named = names.as_ref().is_some_and(|n| {
                let mut s = n.clone();
                s.sort_unstable();
                s.dedup();
                s.len() == n.len()
            });
            for (i, x) in items.iter().enumerate() {
                let key = match (&names, named) {
                    (Some(n), true) => n[i].to_string(),
                    _ => i.to_string(),
                };
                flatten(x, format!("{prefix}[{key}]"), out);
            }
        }
        _ => {
            out.insert(prefix, v.to_string());
        }
    }
}

/// The inputs by role (`role #k` for a role's later files): path and checksum.
fn inputs(run: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for i in run["inputs"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
        let role = i["role"].as_str().unwrap_or("input").to_string();
        let k = seen.entry(role.clone()).or_insert(0);
        *k += 1;
        let key = if *k == 1 {
            format!("input {role}")
        } else {
            format!("input {role} #{k}")
        };
        let value = format!(
            "{} (sha256 {})",
            i["path"].as_str().unwrap_or("?"),
            i["sha256"].as_str().map(|s| &s[..s.len().min(12)]).unwrap_or("?")
        );
        out.insert(key, value);
    }
    out
}

fn method_differences(a: &Value, b: &Value) -> Vec<MethodDifference> {
    let side = |run: &Value| {
        let mut m = BTreeMap::new();
        flatten(&run["resolved_method"], String::new(), &mut m);
        if let Some(v) = run["careblock"].as_str() {
            m.insert(VERSION.into(), v.to_string());
        }
        m.extend(inputs(run));
        m
    };
    let (ma, mb) = (side(a), side(b));
    let mut keys: Vec<&String> = ma.keys().chain(mb.keys()).collect();
    keys.sort();
    keys.dedup();
    let absent = || ABSENT.to_string();
    keys.into_iter()
        .filter_map(|k| {
            let (x, y) = (ma.get(k), mb.get(k));
            if x == y {
                return None;
            }
            // Inputs that differ only by path are the same data.
            if k.starts_with("input ")
                && let (Some(x), Some(y)) = (x, y)
                && x.rsplit_once(" (sha256").map(|p| p.1) == y.rsplit_once(" (sha256").map(|p| p.1)
            {
                return None;
            }
            Some(MethodDifference {
                what: k.clone(),
                a: x.cloned().unwrap_or_else(absent),
                b: y.cloned().unwrap_or_else(absent),
            })
        })
        .collect()
}
