//! Numbers and names as the page prints them.

use careblock_text::Lang;

use super::model::HtmlArea;

/// A number with one decimal, trailing ".0" dropped, never "-0".
pub(crate) fn n1(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0 + 0.0;
    let s = format!("{r:.1}");
    match s.strip_suffix(".0") {
        Some("-0") => "0".to_string(),
        Some(t) => t.to_string(),
        None => s,
    }
}

/// The thousands and decimal separators of `lang`: "7,136,912.5" in English, "7.136.912,5" in
/// Spanish (as Colombia writes it).
pub(crate) fn separators(lang: Lang) -> (char, char) {
    match lang {
        Lang::En => (',', '.'),
        Lang::Es => ('.', ','),
    }
}

/// A number with `lang`'s thousands and decimal separators and `decimals` decimals; "–" if
/// missing or not finite.
pub(crate) fn num_in(lang: Lang, v: Option<f64>, decimals: usize) -> String {
    let (group, point) = separators(lang);
    let Some(v) = v.filter(|v| v.is_finite()) else {
        return "–".to_string();
    };
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i.to_string(), Some(f.to_string())),
        None => (s.clone(), None),
    };
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(ch);
    }
    let zero = s.chars().all(|c| c == '0' || c == '.');
    let sign = if v < 0.0 && !zero { "-" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped}{point}{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A share (0–1) as a percentage with `decimals` decimals, in `lang`.
pub(crate) fn pct_in(lang: Lang, v: Option<f64>, decimals: usize) -> String {
    match v.filter(|v| v.is_finite()) {
        Some(v) => format!("{} %", num_in(lang, Some(100.0 * v), decimals)),
        None => "–".to_string(),
    }
}

/// A small relative error in scientific notation ("1.2e-16", "1,2e-16"), "0" or "–".
pub(crate) fn sci(lang: Lang, v: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else if v.is_finite() {
        let s = format!("{v:.1e}");
        match lang {
            Lang::En => s,
            Lang::Es => s.replace('.', ","),
        }
    } else {
        "–".to_string()
    }
}

/// "label (id)", or the id alone.
pub(super) fn area_name(a: &HtmlArea) -> String {
    match &a.label {
        Some(l) if !l.is_empty() && l != &a.id => format!("{l} ({})", a.id),
        _ => a.id.clone(),
    }
}

/// "label (id)" of a site.
pub(super) fn site_name(id: &str, label: Option<&str>) -> String {
    match label {
        Some(l) if !l.is_empty() && l != id => format!("{l} ({id})"),
        _ => id.to_string(),
    }
}
