//! # careblock-text
//!
//! Every sentence a user reads, in English and Spanish: one catalogue of keyed templates
//! (`locales/<lang>/<area>.toml`, compiled into the binary), the [`Lang`] that picks one, and
//! [`Msg`], a sentence still to be worded (a key and its arguments), which the libraries build
//! and the front ends render in the user's language.
//!
//! A template is a TOML string with `{name}` placeholders (`{{` and `}}` for literal braces);
//! its key is `<area>.<key>`, the area being the file's name (`data.toml` → `data.…`).
//! Plurals are written the neutral way the English already uses ("unit(s)", "unidad(es)"),
//! so templates need no plural rules. Numbers are formatted by the language (decimal point in
//! English, decimal comma in Spanish, as Colombia and Chile write them), ids never.
//!
//! Tests (in this crate) fail when a key exists in one language and not the other, when the two
//! languages' templates of a key have different placeholders, and when a key the code names
//! (`msg!("…"`, `.t("…"`, `text::key("…"`) is in no catalogue.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

/// The catalogue's files: (area, English, Spanish).
const FILES: &[(&str, &str, &str)] = &[
    (
        "common",
        include_str!("../locales/en/common.toml"),
        include_str!("../locales/es/common.toml"),
    ),
    (
        "findings",
        include_str!("../locales/en/findings.toml"),
        include_str!("../locales/es/findings.toml"),
    ),
    (
        "data",
        include_str!("../locales/en/data.toml"),
        include_str!("../locales/es/data.toml"),
    ),
    (
        "siting",
        include_str!("../locales/en/siting.toml"),
        include_str!("../locales/es/siting.toml"),
    ),
    (
        "run",
        include_str!("../locales/en/run.toml"),
        include_str!("../locales/es/run.toml"),
    ),
    (
        "explain",
        include_str!("../locales/en/explain.toml"),
        include_str!("../locales/es/explain.toml"),
    ),
    (
        "validate",
        include_str!("../locales/en/validate.toml"),
        include_str!("../locales/es/validate.toml"),
    ),
    (
        "report",
        include_str!("../locales/en/report.toml"),
        include_str!("../locales/es/report.toml"),
    ),
    (
        "compare",
        include_str!("../locales/en/compare.toml"),
        include_str!("../locales/es/compare.toml"),
    ),
    (
        "sweep",
        include_str!("../locales/en/sweep.toml"),
        include_str!("../locales/es/sweep.toml"),
    ),
    (
        "regions",
        include_str!("../locales/en/regions.toml"),
        include_str!("../locales/es/regions.toml"),
    ),
    (
        "qgis",
        include_str!("../locales/en/qgis.toml"),
        include_str!("../locales/es/qgis.toml"),
    ),
];

/// A language careblock speaks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    /// English (the default).
    #[default]
    En,
    /// Spanish.
    Es,
}

/// A language code careblock does not speak.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownLang {
    /// The code as given.
    pub code: String,
}

impl fmt::Display for UnknownLang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let available: Vec<&str> = Lang::ALL.iter().map(|l| l.code()).collect();
        write!(
            f,
            "unknown language {:?} (available: {})",
            self.code,
            available.join(", ")
        )
    }
}

impl std::error::Error for UnknownLang {}

impl Lang {
    /// Every language, in the order the error for an unknown code lists them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Es];

    /// The ISO 639-1 code: `en`, `es`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// The language of an ISO 639-1 code (case and surrounding spaces ignored).
    pub fn parse(code: &str) -> Result<Lang, UnknownLang> {
        let c = code.trim().to_ascii_lowercase();
        Lang::ALL
            .into_iter()
            .find(|l| l.code() == c)
            .ok_or_else(|| UnknownLang {
                code: code.to_string(),
            })
    }

    fn index(self) -> usize {
        match self {
            Lang::En => 0,
            Lang::Es => 1,
        }
    }

    /// The template of `key` in this language, or `key` itself when the catalogue has no such
    /// key (a bug the catalogue's tests catch; debug builds panic).
    pub fn t(self, key: &str) -> &'static str {
        match catalogue()[self.index()].get(key) {
            Some(t) => t,
            None => {
                debug_assert!(false, "message key {key:?} is in no catalogue");
                Box::leak(key.to_string().into_boxed_str())
            }
        }
    }

    /// `message` worded in this language.
    pub fn render(self, message: &Msg) -> String {
        let mut out = String::new();
        self.render_into(message, &mut out);
        out
    }

    /// `key` with `args`, worded in this language (for a sentence used once, without a [`Msg`]).
    pub fn fmt(self, key: &'static str, args: &[(&str, Arg)]) -> String {
        let mut out = String::new();
        fill(self, key, self.t(key), args, &mut out);
        out
    }

    /// `v` with `decimals` digits after the separator (a comma in Spanish).
    pub fn fixed(self, v: f64, decimals: usize) -> String {
        self.localise(format!("{v:.decimals$}"))
    }

    /// `v` in its shortest exact form (Rust's `Display`), with the language's separator.
    pub fn num(self, v: f64) -> String {
        self.localise(format!("{v}"))
    }

    /// `v` in scientific notation with `decimals` digits (`1.5e-9`; `1,5e-9` in Spanish).
    pub fn sci(self, v: f64, decimals: usize) -> String {
        self.localise(format!("{v:.decimals$e}"))
    }

    fn localise(self, s: String) -> String {
        match self {
            Lang::En => s,
            Lang::Es => s.replace('.', ","),
        }
    }

    fn render_into(self, message: &Msg, out: &mut String) {
        fill(self, message.key, self.t(message.key), &message.args, out);
    }

    fn arg(self, arg: &Arg, out: &mut String) {
        match arg {
            Arg::Text(s) => out.push_str(s),
            Arg::Int(i) => out.push_str(&i.to_string()),
            Arg::Num(v, None) => out.push_str(&self.num(*v)),
            Arg::Num(v, Some(d)) => out.push_str(&self.fixed(*v, *d)),
            Arg::Ids(shown, total) => {
                let list = shown.join(", ");
                if *total > shown.len() {
                    out.push_str(&self.fmt(
                        "common.list_more",
                        &[
                            ("shown", Arg::Text(list)),
                            ("more", Arg::Int((*total - shown.len()) as i128)),
                        ],
                    ));
                } else {
                    out.push_str(&list);
                }
            }
            Arg::Msg(m) => self.render_into(m, out),
            Arg::Key(k) => out.push_str(self.t(k)),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl std::str::FromStr for Lang {
    type Err = UnknownLang;
    fn from_str(s: &str) -> Result<Lang, UnknownLang> {
        Lang::parse(s)
    }
}

impl serde::Serialize for Lang {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Lang {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Lang, D::Error> {
        let code = String::deserialize(d)?;
        Lang::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// One argument of a message.
#[derive(Clone, Debug, PartialEq)]
pub enum Arg {
    /// Text used as it is (an id, a file name, a column, a label).
    Text(String),
    /// A whole number (no grouping separators).
    Int(i128),
    /// A number: in its shortest exact form, or with the given number of decimals.
    Num(f64, Option<usize>),
    /// A list of ids, of which `shown` are written and the rest counted ("a, b and 3 more").
    Ids(Vec<String>, usize),
    /// A message within the message.
    Msg(Box<Msg>),
    /// A catalogue key, written as its template (a fixed word or phrase, e.g. a layer's name).
    Key(&'static str),
}

macro_rules! int_arg {
    ($($t:ty),*) => {$(
        impl From<$t> for Arg {
            fn from(v: $t) -> Arg {
                Arg::Int(v as i128)
            }
        }
    )*};
}
int_arg!(usize, u64, u32, u16, u8, i64, i32);

impl From<f64> for Arg {
    fn from(v: f64) -> Arg {
        Arg::Num(v, None)
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(v)
    }
}
impl From<&String> for Arg {
    fn from(v: &String) -> Arg {
        Arg::Text(v.clone())
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(v.to_string())
    }
}
impl From<Msg> for Arg {
    fn from(v: Msg) -> Arg {
        Arg::Msg(Box::new(v))
    }
}

/// `v` with `decimals` digits after the separator.
pub fn fixed(v: f64, decimals: usize) -> Arg {
    Arg::Num(v, Some(decimals))
}

/// The first `shown` of `ids`, then "and N more".
pub fn ids<S: AsRef<str>>(ids: &[S], shown: usize) -> Arg {
    Arg::Ids(
        ids.iter().take(shown).map(|s| s.as_ref().to_string()).collect(),
        ids.len(),
    )
}

/// A catalogue key as an argument: its template, in the language of the sentence.
pub fn key(key: &'static str) -> Arg {
    Arg::Key(key)
}

/// A sentence still to be worded: a catalogue key and its arguments. `Display` words it in
/// English (logs, errors, tests); front ends use [`Lang::render`].
#[derive(Clone, Debug, PartialEq)]
pub struct Msg {
    /// `<area>.<key>`.
    pub key: &'static str,
    /// The placeholders' values.
    pub args: Vec<(&'static str, Arg)>,
}

impl Msg {
    /// A message without arguments.
    pub fn new(key: &'static str) -> Msg {
        Msg {
            key,
            args: Vec::new(),
        }
    }

    /// Adds an argument.
    pub fn with(mut self, name: &'static str, value: impl Into<Arg>) -> Msg {
        self.args.push((name, value.into()));
        self
    }

    /// The message in `lang`.
    pub fn render(&self, lang: Lang) -> String {
        lang.render(self)
    }
}

impl fmt::Display for Msg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&Lang::En.render(self))
    }
}

/// `msg!("area.key", name = value, ...)`: a [`Msg`], each value converted with `Arg::from`.
#[macro_export]
macro_rules! msg {
    ($key:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::Msg {
            key: $key,
            args: vec![$((stringify!($name), $crate::Arg::from($value))),*],
        }
    };
}

fn fill(lang: Lang, key: &str, template: &str, args: &[(&str, Arg)], out: &mut String) {
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let c = rest.as_bytes()[i];
        if rest[i + 1..].starts_with(c as char) {
            out.push(c as char);
            rest = &rest[i + 2..];
            continue;
        }
        if c == b'}' {
            out.push('}');
            rest = &rest[i + 1..];
            continue;
        }
        let Some(end) = rest[i..].find('}') else {
            out.push_str(&rest[i..]);
            return;
        };
        let name = &rest[i + 1..i + end];
        match args.iter().find(|(n, _)| *n == name) {
            Some((_, a)) => lang.arg(a, out),
            None => {
                debug_assert!(false, "message {key:?} has no argument {name:?}");
                out.push_str(&rest[i..=i + end]);
            }
        }
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
}

type Catalogue = [HashMap<&'static str, &'static str>; 2];

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let mut out: Catalogue = [HashMap::new(), HashMap::new()];
        for (area, en, es) in FILES {
            for (lang, text) in [(0, en), (1, es)] {
                let table: toml::Table = text
                    .parse()
                    .unwrap_or_else(|e| panic!("catalogue {area} ({}): {e}", Lang::ALL[lang]));
                flatten(area, &table, &mut out[lang]);
            }
        }
        out
    })
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<&'static str, &'static str>) {
    for (k, v) in table {
        let key = format!("{prefix}.{k}");
        match v {
            toml::Value::String(s) => {
                // Read once for the process: the catalogue lives as long as the program.
                out.insert(
                    Box::leak(key.into_boxed_str()),
                    Box::leak(s.clone().into_boxed_str()),
                );
            }
            toml::Value::Table(t) => flatten(&key, t, out),
            other => panic!("catalogue key {key}: a template must be a string, not {other:?}"),
        }
    }
}

/// Every key of the catalogue in `lang`, sorted (for tests and tools).
pub fn keys(lang: Lang) -> Vec<&'static str> {
    let mut k: Vec<&'static str> = catalogue()[lang.index()].keys().copied().collect();
    k.sort_unstable();
    k
}

/// The placeholders of a template, sorted and deduplicated.
pub fn placeholders(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find('{') {
        if rest[i + 1..].starts_with('{') {
            rest = &rest[i + 2..];
            continue;
        }
        match rest[i..].find('}') {
            Some(end) => {
                out.push(rest[i + 1..i + end].to_string());
                rest = &rest[i + end + 1..];
            }
            None => break,
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests;
