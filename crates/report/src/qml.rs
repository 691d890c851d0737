//! QGIS styles (QML, QGIS 3.x) of the layers `careblock run` writes. Each function returns the
//! whole XML document; the caller writes it as `<stem>.qml` beside the GeoJSON (QGIS loads it
//! as the layer's default style) and embeds it in the GeoPackage's `layer_styles`.
//!
//! - [`index_classes`]: units and districts, a graduated renderer on the index whose ranges are
//!   the run's classes (ColorBrewer YlOrRd, highest need darkest), unranked rows grey.
//! - [`sites`]: existing blocks, proposed blocks (sized and labelled by rank) and bus stops.
//! - [`catchments`]: service areas, outlines only, coloured by status.
//! - [`uncovered`]: high-priority units out of reach, by tier (bus, home care, unserved).

use std::fmt::Write as _;

/// ColorBrewer YlOrRd, 5 classes.
const YLORRD5: [(u8, u8, u8); 5] = [
    (0xff, 0xff, 0xb2),
    (0xfe, 0xcc, 0x5c),
    (0xfd, 0x8d, 0x3c),
    (0xf0, 0x3b, 0x20),
    (0xbd, 0x00, 0x26),
];
/// Grey of rows without a class.
const GREY: (u8, u8, u8) = (0xcc, 0xcc, 0xcc);
const OUTLINE_GREY: (u8, u8, u8) = (0x80, 0x80, 0x80);
const EXISTING_BLUE: (u8, u8, u8) = (0x21, 0x66, 0xac);
const PROPOSED_GREEN: (u8, u8, u8) = (0x1a, 0x98, 0x50);
const BUS_PURPLE: (u8, u8, u8) = (0x76, 0x2a, 0x83);
const HOME_CARE_ORANGE: (u8, u8, u8) = (0xe0, 0x82, 0x14);
const UNSERVED_RED: (u8, u8, u8) = (0xd7, 0x19, 0x1c);

/// The colour of class `i` (0-based) of `k`: YlOrRd interpolated (in RGB) between the five
/// ColorBrewer colours; `k = 5` gives them exactly, and the last class is always the darkest.
pub fn ylorrd(i: usize, k: usize) -> (u8, u8, u8) {
    let t = if k <= 1 {
        1.0
    } else {
        i.min(k - 1) as f64 / (k - 1) as f64
    };
    let x = t * 4.0;
    let lo = (x.floor() as usize).min(3);
    let f = x - lo as f64;
    let (a, b) = (YLORRD5[lo], YLORRD5[lo + 1]);
    let mix = |p: u8, q: u8| (f64::from(p) + f * (f64::from(q) - f64::from(p))).round() as u8;
    (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Escapes text for an XML attribute value.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            c => out.push(c),
        }
    }
    out
}

/// A number for a label: at most two decimals, trailing zeros trimmed.
fn short(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

fn rgba(c: (u8, u8, u8), alpha: u8) -> String {
    format!("{},{},{},{alpha}", c.0, c.1, c.2)
}

/// The kind of geometry of a layer (QGIS' `layerGeometryType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Geom {
    Point = 0,
    Polygon = 2,
}

/// An `<Option type="Map">` of string properties.
fn options(props: &[(&str, String)]) -> String {
    let mut s = String::from("<Option type=\"Map\">");
    for (k, v) in props {
        let _ = write!(
            s,
            "<Option name=\"{}\" type=\"QString\" value=\"{}\"/>",
            escape(k),
            escape(v)
        );
    }
    s.push_str("</Option>");
    s
}

/// `<data_defined_properties>` with the given (property name, expression) pairs.
fn data_defined(props: &[(&str, &str)]) -> String {
    let mut s = String::from(
        "<data_defined_properties><Option type=\"Map\"><Option name=\"name\" type=\"QString\" value=\"\"/>",
    );
    if props.is_empty() {
        s.push_str("<Option name=\"properties\"/>");
    } else {
        s.push_str("<Option name=\"properties\" type=\"Map\">");
        for (name, expr) in props {
            let _ = write!(
                s,
                "<Option name=\"{}\" type=\"Map\"><Option name=\"active\" type=\"bool\" value=\"true\"/><Option name=\"expression\" type=\"QString\" value=\"{}\"/><Option name=\"type\" type=\"int\" value=\"3\"/></Option>",
                escape(name),
                escape(expr)
            );
        }
        s.push_str("</Option>");
    }
    s.push_str(
        "<Option name=\"type\" type=\"QString\" value=\"collection\"/></Option></data_defined_properties>",
    );
    s
}

/// A fill symbol with one SimpleFill layer.
fn fill_symbol(name: &str, fill: Option<((u8, u8, u8), u8)>, outline: (u8, u8, u8), width: f64) -> String {
    let (color, style) = match fill {
        Some((c, a)) => (rgba(c, a), "solid"),
        None => (rgba((0, 0, 0), 0), "no"),
    };
    let props = [
        ("border_width_map_unit_scale", "3x:0,0,0,0,0,0".to_string()),
        ("color", color),
        ("joinstyle", "bevel".into()),
        ("offset", "0,0".into()),
        ("offset_map_unit_scale", "3x:0,0,0,0,0,0".into()),
        ("offset_unit", "MM".into()),
        ("outline_color", rgba(outline, 255)),
        ("outline_style", "solid".into()),
        ("outline_width", short(width)),
        ("outline_width_unit", "MM".into()),
        ("style", style.into()),
    ];
    format!(
        "<symbol type=\"fill\" name=\"{}\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\" frame_rate=\"10\" is_animated=\"0\">{}<layer class=\"SimpleFill\" enabled=\"1\" pass=\"0\" locked=\"0\">{}{}</layer></symbol>",
        escape(name),
        data_defined(&[]),
        options(&props),
        data_defined(&[])
    )
}

/// A marker symbol with one SimpleMarker layer; `size_expr` makes the size data-defined.
fn marker_symbol(
    name: &str,
    shape: &str,
    color: (u8, u8, u8),
    outline: (u8, u8, u8),
    outline_width: f64,
    size: f64,
    size_expr: Option<&str>,
) -> String {
    let props = [
        ("angle", "0".to_string()),
        ("cap_style", "square".into()),
        ("color", rgba(color, 255)),
        ("horizontal_anchor_point", "1".into()),
        ("joinstyle", "bevel".into()),
        ("name", shape.into()),
        ("offset", "0,0".into()),
        ("offset_map_unit_scale", "3x:0,0,0,0,0,0".into()),
        ("offset_unit", "MM".into()),
        ("outline_color", rgba(outline, 255)),
        ("outline_style", "solid".into()),
        ("outline_width", short(outline_width)),
        ("outline_width_map_unit_scale", "3x:0,0,0,0,0,0".into()),
        ("outline_width_unit", "MM".into()),
        ("scale_method", "diameter".into()),
        ("size", short(size)),
        ("size_map_unit_scale", "3x:0,0,0,0,0,0".into()),
        ("size_unit", "MM".into()),
        ("vertical_anchor_point", "1".into()),
    ];
    let dd: Vec<(&str, &str)> = size_expr.map(|e| ("size", e)).into_iter().collect();
    format!(
        "<symbol type=\"marker\" name=\"{}\" alpha=\"1\" clip_to_extent=\"1\" force_rhr=\"0\" frame_rate=\"10\" is_animated=\"0\">{}<layer class=\"SimpleMarker\" enabled=\"1\" pass=\"0\" locked=\"0\">{}{}</layer></symbol>",
        escape(name),
        data_defined(&[]),
        options(&props),
        data_defined(&dd)
    )
}

/// The whole document around a renderer (and optional labeling).
fn document(renderer: &str, labeling: Option<&str>, geom: Geom) -> String {
    format!(
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis version=\"3.28.0-Firenze\" styleCategories=\"Symbology|Labeling\" labelsEnabled=\"{}\">\n{renderer}\n{}<blendMode>0</blendMode>\n<featureBlendMode>0</featureBlendMode>\n<layerOpacity>1</layerOpacity>\n<layerGeometryType>{}</layerGeometryType>\n</qgis>\n",
        u8::from(labeling.is_some()),
        labeling.map(|l| format!("{l}\n")).unwrap_or_default(),
        geom as u8
    )
}

/// A categorized renderer: (value, label, symbol XML with name = its position).
fn categorized(attr: &str, categories: &[(&str, &str, String)]) -> String {
    let mut s = format!(
        "<renderer-v2 type=\"categorizedSymbol\" attr=\"{}\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\" referencescale=\"-1\">\n<categories>\n",
        escape(attr)
    );
    for (i, (value, label, _)) in categories.iter().enumerate() {
        let _ = writeln!(
            s,
            "<category symbol=\"{i}\" value=\"{}\" label=\"{}\" render=\"true\" type=\"string\"/>",
            escape(value),
            escape(label)
        );
    }
    s.push_str("</categories>\n<symbols>\n");
    for (_, _, symbol) in categories {
        s.push_str(symbol);
        s.push('\n');
    }
    s.push_str("</symbols>\n</renderer-v2>");
    s
}

/// The style of a units or districts layer: a graduated renderer on the index column `column`
/// with one range per class of the run — class `c` (1-based, `k = bins.len()` = highest need)
/// from the previous upper bound (the lowest index for class 1) to `bins[c-1]`, as QGIS
/// assigns a value to the first range with lower ≤ value ≤ upper, which is the run's rule —
/// coloured YlOrRd and labelled with the class and its bounds. Rows without an index
/// (unranked) are drawn grey: the renderer's value is `coalesce("index", s)` with `s` below
/// every index, caught by a first "unranked" range. `values` are the layer's index values
/// (their minimum is the lower bound of class 1).
pub fn index_classes(column: &str, values: &[Option<f64>], bins: &[f64]) -> String {
    let lowest = values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .fold(f64::INFINITY, f64::min);
    let lowest = if lowest.is_finite() {
        lowest.min(bins.first().copied().unwrap_or(lowest))
    } else {
        bins.first().copied().unwrap_or(0.0)
    };
    let sentinel = lowest.floor() - 1.0;
    let quoted = format!("\"{}\"", column.replace('"', "\"\""));
    let attr = format!("coalesce({quoted}, {sentinel})");
    let k = bins.len();
    let mut ranges = format!(
        "<range symbol=\"0\" lower=\"{sentinel}\" upper=\"{sentinel}\" label=\"unranked (no index)\" render=\"true\"/>\n"
    );
    let mut symbols = fill_symbol("0", Some((GREY, 255)), OUTLINE_GREY, 0.1);
    symbols.push('\n');
    let mut lower = lowest;
    for (c, &upper) in bins.iter().enumerate() {
        let label = format!(
            "{}{}: {lower:.2} – {upper:.2}",
            c + 1,
            if c + 1 == k { " (highest need)" } else { "" },
        );
        let _ = writeln!(
            ranges,
            "<range symbol=\"{}\" lower=\"{lower}\" upper=\"{upper}\" label=\"{}\" render=\"true\"/>",
            c + 1,
            escape(&label)
        );
        symbols.push_str(&fill_symbol(
            &(c + 1).to_string(),
            Some((ylorrd(c, k), 255)),
            OUTLINE_GREY,
            0.1,
        ));
        symbols.push('\n');
        lower = upper;
    }
    let renderer = format!(
        "<renderer-v2 type=\"graduatedSymbol\" attr=\"{}\" graduatedMethod=\"GraduatedColor\" symbollevels=\"0\" enableorderby=\"0\" forceraster=\"0\" referencescale=\"-1\">\n<ranges>\n{ranges}</ranges>\n<symbols>\n{symbols}</symbols>\n<classificationMethod id=\"Quantile\"><symmetricMode enabled=\"0\" symmetrypoint=\"0\" astride=\"0\"/><labelFormat format=\"%1 - %2\" labelprecision=\"2\" trimtrailingzeroes=\"1\"/><extraInformation/></classificationMethod>\n</renderer-v2>",
        escape(&attr)
    );
    document(&renderer, None, Geom::Polygon)
}

/// The style of the sites layer: categorized on `status` — existing blocks blue circles,
/// proposed blocks green black-outlined circles sized by rank (5 mm for rank 1 down to 2.5 mm
/// for `max_rank`) and labelled with their rank, bus stops purple triangles.
pub fn sites(max_rank: Option<u32>) -> String {
    let size_expr = match max_rank {
        Some(m) if m > 1 => format!("coalesce(scale_linear(\"rank\", 1, {m}, 5, 2.5), 3)"),
        _ => "coalesce(if(\"rank\" IS NULL, NULL, 5), 3)".to_string(),
    };
    let categories = [
        (
            "existing",
            "existing care block",
            marker_symbol("0", "circle", EXISTING_BLUE, (255, 255, 255), 0.3, 3.5, None),
        ),
        (
            "proposed",
            "proposed care block (size: rank)",
            marker_symbol(
                "1",
                "circle",
                PROPOSED_GREEN,
                (0, 0, 0),
                0.4,
                4.0,
                Some(&size_expr),
            ),
        ),
        (
            "bus",
            "care-bus stop",
            marker_symbol("2", "triangle", BUS_PURPLE, (255, 255, 255), 0.3, 4.0, None),
        ),
    ];
    let renderer = categorized("status", &categories);
    let labeling = format!(
        "<labeling type=\"simple\">\n<settings calloutType=\"simple\">\n<text-style fieldName=\"{}\" isExpression=\"1\" fontFamily=\"Sans Serif\" fontSize=\"8\" fontSizeUnit=\"Point\" fontWeight=\"75\" fontItalic=\"0\" textColor=\"0,0,0,255\" textOpacity=\"1\" multilineHeight=\"1\" blendMode=\"0\" allowHtml=\"0\" previewBkgrdColor=\"255,255,255,255\">\n<text-buffer bufferDraw=\"1\" bufferSize=\"0.8\" bufferSizeUnits=\"MM\" bufferColor=\"255,255,255,255\" bufferOpacity=\"1\" bufferNoFill=\"1\" bufferJoinStyle=\"128\" bufferBlendMode=\"0\"/>\n</text-style>\n<text-format wrapChar=\"\" multilineAlign=\"3\" addDirectionSymbol=\"0\" formatNumbers=\"0\" decimals=\"0\" plussign=\"0\"/>\n<placement placement=\"0\" dist=\"0.8\" distUnits=\"MM\" offsetType=\"0\" quadOffset=\"4\" priority=\"5\"/>\n<rendering obstacle=\"1\" scaleVisibility=\"0\" upsidedownLabels=\"0\" drawLabels=\"1\" displayAll=\"1\"/>\n</settings>\n</labeling>",
        escape("CASE WHEN \"status\" = 'proposed' THEN \"rank\" END")
    );
    document(&renderer, Some(&labeling), Geom::Point)
}

/// The style of the catchments layer: categorized on `status`, no fill, the outline in the
/// colour of the site's status.
pub fn catchments() -> String {
    let categories = [
        (
            "existing",
            "existing block, walking radius",
            fill_symbol("0", None, EXISTING_BLUE, 0.5),
        ),
        (
            "proposed",
            "proposed block, walking radius",
            fill_symbol("1", None, PROPOSED_GREEN, 0.6),
        ),
        (
            "bus",
            "care-bus stop, radius",
            fill_symbol("2", None, BUS_PURPLE, 0.5),
        ),
    ];
    document(&categorized("status", &categories), None, Geom::Polygon)
}

/// The style of the uncovered layer: categorized on `tier` — within reach of a care-bus stop
/// (purple), for home care (orange), unserved (red), half transparent.
pub fn uncovered() -> String {
    let categories = [
        (
            "bus",
            "reached by a care-bus stop",
            fill_symbol("0", Some((BUS_PURPLE, 140)), BUS_PURPLE, 0.3),
        ),
        (
            "home_care",
            "home care",
            fill_symbol("1", Some((HOME_CARE_ORANGE, 140)), HOME_CARE_ORANGE, 0.3),
        ),
        (
            "unserved",
            "unserved",
            fill_symbol("2", Some((UNSERVED_RED, 140)), UNSERVED_RED, 0.3),
        ),
    ];
    document(&categorized("tier", &categories), None, Geom::Polygon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ylorrd_is_colorbrewer_at_five_and_ends_dark() {
        let hex = |c: (u8, u8, u8)| format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2);
        let five: Vec<String> = (0..5).map(|i| hex(ylorrd(i, 5))).collect();
        assert_eq!(five, ["#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026"]);
        assert_eq!(hex(ylorrd(0, 3)), "#ffffb2");
        assert_eq!(hex(ylorrd(1, 3)), "#fd8d3c");
        assert_eq!(hex(ylorrd(2, 3)), "#bd0026");
        assert_eq!(hex(ylorrd(0, 1)), "#bd0026");
        // Seven classes: monotone from light to dark in green and blue.
        let seven: Vec<_> = (0..7).map(|i| ylorrd(i, 7)).collect();
        assert!(seven.windows(2).all(|w| w[0].1 >= w[1].1));
    }

    #[test]
    fn escapes_attribute_values() {
        assert_eq!(
            escape(r#"a<b & "c" 'd'>"#),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
    }

    #[test]
    fn index_ranges_are_the_bins() {
        let qml = index_classes("index", &[Some(3.25), None, Some(90.0)], &[20.5, 50.0, 90.0]);
        assert!(qml.contains("attr=\"coalesce(&quot;index&quot;, 2)\""), "{qml}");
        assert!(qml.contains("lower=\"2\" upper=\"2\" label=\"unranked (no index)\""));
        assert!(qml.contains("lower=\"3.25\" upper=\"20.5\" label=\"1: 3.25 – 20.50\""));
        assert!(qml.contains("lower=\"50\" upper=\"90\" label=\"3 (highest need): 50.00 – 90.00\""));
        assert!(qml.contains("value=\"189,0,38,255\""));
        assert_eq!(qml.matches("<range ").count(), 4);
        assert_eq!(qml.matches("<symbol ").count(), 4);
    }

    #[test]
    fn sites_size_proposed_blocks_by_rank() {
        let qml = sites(Some(21));
        assert!(qml.contains("coalesce(scale_linear(&quot;rank&quot;, 1, 21, 5, 2.5), 3)"));
        assert!(qml.contains("labelsEnabled=\"1\""));
        assert!(qml.contains("value=\"proposed\""));
        assert!(qml.contains("<layerGeometryType>0</layerGeometryType>"));
        assert!(!sites(Some(1)).contains("scale_linear"));
    }
}
