use std::collections::BTreeSet;
use std::path::Path;

use super::*;

#[test]
fn every_key_exists_in_both_languages() {
    let en: BTreeSet<_> = keys(Lang::En).into_iter().collect();
    let es: BTreeSet<_> = keys(Lang::Es).into_iter().collect();
    let only_en: Vec<_> = en.difference(&es).collect();
    let only_es: Vec<_> = es.difference(&en).collect();
    assert!(only_en.is_empty(), "keys only in English: {only_en:?}");
    assert!(only_es.is_empty(), "keys only in Spanish: {only_es:?}");
}

#[test]
fn both_languages_have_the_same_placeholders() {
    let mut wrong = Vec::new();
    for k in keys(Lang::En) {
        let (en, es) = (placeholders(Lang::En.t(k)), placeholders(Lang::Es.t(k)));
        if en != es {
            wrong.push(format!("{k}: en {en:?}, es {es:?}"));
        }
    }
    assert!(wrong.is_empty(), "placeholders differ:\n{}", wrong.join("\n"));
}

#[test]
fn no_template_is_empty_and_spanish_is_not_a_copy_of_long_english() {
    let mut wrong = Vec::new();
    for k in keys(Lang::En) {
        let (en, es) = (Lang::En.t(k), Lang::Es.t(k));
        if en.trim().is_empty() || es.trim().is_empty() {
            wrong.push(format!("{k}: empty"));
        }
        // A sentence of several English words (placeholders aside) copied into Spanish is an
        // untranslated key. Short items (units, codes, names such as "Monte Carlo") may be the
        // same.
        let words = en.split_whitespace().filter(|w| !w.contains('{')).count();
        if en == es && words >= 4 {
            wrong.push(format!("{k}: Spanish equals English: {en:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Every key the code names literally (`msg!("…"`, `.t("…"`, `key("…"`, `fmt("…"`) is in the
/// catalogue: a typo is a test failure, not a key printed to a planner.
#[test]
fn every_key_the_code_names_is_in_the_catalogue() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let known: BTreeSet<&str> = keys(Lang::En).into_iter().collect();
    let mut missing = Vec::new();
    let mut seen = 0;
    let mut stack = vec![root.join("crates"), root.join("tests")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                if !p.ends_with("target") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                for k in named_keys(&text) {
                    seen += 1;
                    if !known.contains(k.as_str()) {
                        missing.push(format!("{}: {k}", p.display()));
                    }
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "keys not in the catalogue:\n{}",
        missing.join("\n")
    );
    assert!(
        seen > 0,
        "the scan found no key at all: is the pattern still right?"
    );
}

/// The keys named in `text`: a string literal of the form `area.key` right after `msg!(`,
/// `.t(`, `key(` or `fmt(` (spaces and a line break allowed).
fn named_keys(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for opener in ["msg!(", ".t(", "key(", ".fmt("] {
        let mut rest = text;
        while let Some(i) = rest.find(opener) {
            rest = &rest[i + opener.len()..];
            let after = rest.trim_start();
            if let Some(lit) = after.strip_prefix('"') {
                let end = lit.find('"').unwrap_or(0);
                let k = &lit[..end];
                let area = k.split('.').next().unwrap_or("");
                if k.contains('.')
                    && FILES.iter().any(|(a, _, _)| *a == area)
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                {
                    out.push(k.to_string());
                }
            }
        }
    }
    out
}

#[test]
fn renders_numbers_ids_and_nested_messages_by_language() {
    let m = msg!("common.list_more", shown = "a, b", more = 3usize);
    assert_eq!(m.to_string(), "a, b and 3 more");
    assert_eq!(Lang::Es.render(&m), "a, b y 3 más");
    assert_eq!(Lang::Es.fixed(40.53, 1), "40,5");
    assert_eq!(Lang::En.fixed(40.53, 1), "40.5");
    assert_eq!(Lang::Es.num(0.25), "0,25");
    let mut out = String::new();
    Lang::Es.arg(&ids(&["1", "2", "3"], 2), &mut out);
    assert_eq!(out, "1, 2 y 1 más");
    let mut out = String::new();
    Lang::En.arg(&ids(&["1", "2"], 5), &mut out);
    assert_eq!(out, "1, 2");
    let mut out = String::new();
    fill(Lang::En, "t", "{{x}} {a}", &[("a", fixed(1.0, 2))], &mut out);
    assert_eq!(out, "{x} 1.00");
}

#[test]
fn an_unknown_code_lists_the_available_languages() {
    assert_eq!(Lang::parse(" ES "), Ok(Lang::Es));
    let e = Lang::parse("fr").unwrap_err();
    assert_eq!(e.to_string(), "unknown language \"fr\" (available: en, es)");
    let parsed: Result<Lang, _> = toml::Value::String("pt".into()).try_into();
    assert!(parsed.unwrap_err().to_string().contains("available: en, es"));
}

#[test]
fn placeholders_skip_escaped_braces() {
    assert_eq!(placeholders("{{a}} {b} {c} {b}"), vec!["b", "c"]);
}
