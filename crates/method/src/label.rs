//! A human-readable label a preset may give in several languages:
//! `label = "Cuidado"` or `label = { es = "Demanda de cuidado", en = "Care demand" }`.

use std::collections::BTreeMap;

use careblock_text::Lang;
use serde::{Deserialize, Serialize};

/// A label in one language for all, or one per language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Label {
    /// The same text in every language.
    One(String),
    /// A text per language (at least one).
    Each(BTreeMap<Lang, String>),
}

impl Label {
    /// The label in `lang`; a label without that language falls back to English, then to any
    /// language it has.
    pub fn get(&self, lang: Lang) -> &str {
        match self {
            Label::One(s) => s,
            Label::Each(m) => m
                .get(&lang)
                .or_else(|| m.get(&Lang::En))
                .or_else(|| m.values().next())
                .map_or("", String::as_str),
        }
    }
}

impl From<&str> for Label {
    fn from(s: &str) -> Label {
        Label::One(s.to_string())
    }
}

impl Serialize for Label {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Label::One(t) => s.serialize_str(t),
            Label::Each(m) => m.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Label, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Each(BTreeMap<String, String>),
        }
        let raw = Raw::deserialize(d).map_err(|_| {
            serde::de::Error::custom(
                "a label is a string or a table of languages, e.g. { es = \"Demanda de cuidado\", en = \"Care demand\" }",
            )
        })?;
        match raw {
            Raw::One(s) => Ok(Label::One(s)),
            Raw::Each(m) if m.is_empty() => Err(serde::de::Error::custom(
                "a label's table of languages is empty (give at least one, e.g. { es = \"...\" })",
            )),
            Raw::Each(m) => m
                .into_iter()
                .map(|(k, v)| Ok((Lang::parse(&k).map_err(serde::de::Error::custom)?, v)))
                .collect::<Result<_, _>>()
                .map(Label::Each),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct T {
        label: Label,
    }

    #[test]
    fn reads_one_text_or_one_per_language() {
        let t: T = toml::from_str(r#"label = { es = "Demanda", en = "Demand" }"#).unwrap();
        assert_eq!(t.label.get(Lang::Es), "Demanda");
        assert_eq!(t.label.get(Lang::En), "Demand");
        let t: T = toml::from_str(r#"label = { es = "Demanda" }"#).unwrap();
        assert_eq!(t.label.get(Lang::En), "Demanda");
        let t: T = toml::from_str(r#"label = "Cuidado""#).unwrap();
        assert_eq!(t.label.get(Lang::En), "Cuidado");
        let e = toml::from_str::<T>(r#"label = { fr = "Demande" }"#)
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("unknown language \"fr\" (available: en, es)"), "{e}");
        let e = toml::from_str::<T>("label = 3").err().unwrap().to_string();
        assert!(e.contains("a label is a string or a table of languages"), "{e}");
    }
}
