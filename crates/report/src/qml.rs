//! QGIS styles (QML, QGIS 3.x) of the layers `careblock run` writes. Each function returns the
//! whole XML document; the caller writes it as `<stem>.qml` beside the GeoJSON (QGIS loads it
//! as the layer's default style) and embeds it in the GeoPackage's `layer_styles`.
//!
//! - [`index_classes`]: units and districts, a graduated renderer on the index whose ranges are
//!   the run's classes (ColorBrewer YlOrRd, highest need darkest), unranked rows grey.
//! - [`sites`]: existing blocks, proposed blocks (sized and labelled by rank) and bus stops.
//! - [`catchments`]: service areas, outlines only, coloured by status.
//! - [`uncovered`]: high-priority units out of reach, by tier (bus, home care, unserved).
//!
//! Every text QGIS shows comes from the `qgis` area of the message catalogue in the run's
//! language: the legends, the fields' aliases ([`aliases`]: the field names stay as they are)
//! and what the attribute table shows for the values of `status`, `tier` and `placed_by`.

use std::fmt::Write as _;

use careblock_text::{Arg, Lang};

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

/// The whole document around a renderer (and optional labeling), with the fields' aliases and
/// value maps.
fn document(renderer: &str, labeling: Option<&str>, geom: Geom, fields: &Fields) -> String {
    format!(
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis version=\"3.28.0-Firenze\" styleCategories=\"Symbology|Labeling|Fields|Forms\" labelsEnabled=\"{}\">\n{}{}{renderer}\n{}<blendMode>0</blendMode>\n<featureBlendMode>0</featureBlendMode>\n<layerOpacity>1</layerOpacity>\n<layerGeometryType>{}</layerGeometryType>\n</qgis>\n",
        u8::from(labeling.is_some()),
        field_configuration(&fields.value_maps),
        alias_elements(&fields.aliases),
        labeling.map(|l| format!("{l}\n")).unwrap_or_default(),
        geom as u8
    )
}

/// What QGIS shows of a layer's fields: an alias per field (field name, alias) and, for a few
/// fields, the words shown for its values (field name, [(value, words)]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fields {
    /// (field, alias), in the layer's column order.
    pub aliases: Vec<(String, String)>,
    /// (field, [(value, what the attribute table shows)]).
    pub value_maps: Vec<(String, Vec<(String, String)>)>,
}

/// `<aliases>`: QGIS reads each by its `field` (no `index`: a GeoPackage table has an `fid`
/// before the columns, so positions differ between the files).
fn alias_elements(aliases: &[(String, String)]) -> String {
    if aliases.is_empty() {
        return String::new();
    }
    let mut s = String::from("<aliases>\n");
    for (field, alias) in aliases {
        let _ = writeln!(
            s,
            "<alias field=\"{}\" name=\"{}\"/>",
            escape(field),
            escape(alias)
        );
    }
    s.push_str("</aliases>\n");
    s
}

/// `<fieldConfiguration>`: a ValueMap widget per field of `maps` (QGIS' attribute table and
/// identify results show the words, expressions and filters still use the values).
fn field_configuration(maps: &[(String, Vec<(String, String)>)]) -> String {
    if maps.is_empty() {
        return String::new();
    }
    let mut s = String::from("<fieldConfiguration>\n");
    for (field, values) in maps {
        let _ = write!(
            s,
            "<field name=\"{}\" configurationFlags=\"None\"><editWidget type=\"ValueMap\"><config><Option type=\"Map\"><Option name=\"map\" type=\"List\">",
            escape(field)
        );
        for (value, words) in values {
            let _ = write!(
                s,
                "<Option type=\"Map\"><Option name=\"{}\" type=\"QString\" value=\"{}\"/></Option>",
                escape(words),
                escape(value)
            );
        }
        s.push_str("</Option></Option></config></editWidget></field>\n");
    }
    s.push_str("</fieldConfiguration>\n");
    s
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
/// coloured YlOrRd and labelled in `lang` with the class and its bounds. Rows without an index
/// (unranked) are drawn grey: the renderer's value is `coalesce("index", s)` with `s` below
/// every index, caught by a first "unranked" range. `values` are the layer's index values
/// (their minimum is the lower bound of class 1); `fields` are the layer's aliases ([`fields`]).
pub fn index_classes(
    column: &str,
    values: &[Option<f64>],
    bins: &[f64],
    lang: Lang,
    fields: &Fields,
) -> String {
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
        "<range symbol=\"0\" lower=\"{sentinel}\" upper=\"{sentinel}\" label=\"{}\" render=\"true\"/>\n",
        escape(lang.t("qgis.legend.unranked"))
    );
    let mut symbols = fill_symbol("0", Some((GREY, 255)), OUTLINE_GREY, 0.1);
    symbols.push('\n');
    let mut lower = lowest;
    for (c, &upper) in bins.iter().enumerate() {
        let args = [
            ("class", Arg::from(c + 1)),
            ("lower", careblock_text::fixed(lower, 2)),
            ("upper", careblock_text::fixed(upper, 2)),
        ];
        let label = if c + 1 == k {
            lang.fmt("qgis.legend.class_highest", &args)
        } else if c == 0 {
            lang.fmt("qgis.legend.class_lowest", &args)
        } else {
            lang.fmt("qgis.legend.class", &args)
        };
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
    document(&renderer, None, Geom::Polygon, fields)
}

/// The style of the sites layer: categorized on `status` — existing blocks blue circles,
/// proposed blocks green black-outlined circles sized by rank (5 mm for rank 1 down to 2.5 mm
/// for `max_rank`) and labelled with their rank, bus stops purple triangles; the legend in
/// `lang`, `fields` the layer's aliases ([`fields`]).
pub fn sites(max_rank: Option<u32>, lang: Lang, fields: &Fields) -> String {
    let size_expr = match max_rank {
        Some(m) if m > 1 => format!("coalesce(scale_linear(\"rank\", 1, {m}, 5, 2.5), 3)"),
        _ => "coalesce(if(\"rank\" IS NULL, NULL, 5), 3)".to_string(),
    };
    let categories = [
        (
            "existing",
            lang.t("qgis.legend.existing_block"),
            marker_symbol("0", "circle", EXISTING_BLUE, (255, 255, 255), 0.3, 3.5, None),
        ),
        (
            "proposed",
            lang.t("qgis.legend.proposed_block"),
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
            lang.t("qgis.legend.bus_stop"),
            marker_symbol("2", "triangle", BUS_PURPLE, (255, 255, 255), 0.3, 4.0, None),
        ),
    ];
    let renderer = categorized("status", &categories);
    let labeling = format!(
        "<labeling type=\"simple\">\n<settings calloutType=\"simple\">\n<text-style fieldName=\"{}\" isExpression=\"1\" fontFamily=\"Sans Serif\" fontSize=\"8\" fontSizeUnit=\"Point\" fontWeight=\"75\" fontItalic=\"0\" textColor=\"0,0,0,255\" textOpacity=\"1\" multilineHeight=\"1\" blendMode=\"0\" allowHtml=\"0\" previewBkgrdColor=\"255,255,255,255\">\n<text-buffer bufferDraw=\"1\" bufferSize=\"0.8\" bufferSizeUnits=\"MM\" bufferColor=\"255,255,255,255\" bufferOpacity=\"1\" bufferNoFill=\"1\" bufferJoinStyle=\"128\" bufferBlendMode=\"0\"/>\n</text-style>\n<text-format wrapChar=\"\" multilineAlign=\"3\" addDirectionSymbol=\"0\" formatNumbers=\"0\" decimals=\"0\" plussign=\"0\"/>\n<placement placement=\"0\" dist=\"0.8\" distUnits=\"MM\" offsetType=\"0\" quadOffset=\"4\" priority=\"5\"/>\n<rendering obstacle=\"1\" scaleVisibility=\"0\" upsidedownLabels=\"0\" drawLabels=\"1\" displayAll=\"1\"/>\n</settings>\n</labeling>",
        escape("CASE WHEN \"status\" = 'proposed' THEN \"rank\" END")
    );
    document(&renderer, Some(&labeling), Geom::Point, fields)
}

/// The style of the catchments layer: categorized on `status`, no fill, the outline in the
/// colour of the site's status; the legend in `lang`, `fields` the layer's aliases.
pub fn catchments(lang: Lang, fields: &Fields) -> String {
    let categories = [
        (
            "existing",
            lang.t("qgis.legend.existing_catchment"),
            fill_symbol("0", None, EXISTING_BLUE, 0.5),
        ),
        (
            "proposed",
            lang.t("qgis.legend.proposed_catchment"),
            fill_symbol("1", None, PROPOSED_GREEN, 0.6),
        ),
        (
            "bus",
            lang.t("qgis.legend.bus_catchment"),
            fill_symbol("2", None, BUS_PURPLE, 0.5),
        ),
    ];
    document(&categorized("status", &categories), None, Geom::Polygon, fields)
}

/// The style of the uncovered layer: categorized on `tier` — within reach of a care-bus stop
/// (purple), for home care (orange), unserved (red), half transparent; the legend in `lang`,
/// `fields` the layer's aliases.
pub fn uncovered(lang: Lang, fields: &Fields) -> String {
    let categories = [
        (
            "bus",
            lang.t("qgis.legend.tier_bus"),
            fill_symbol("0", Some((BUS_PURPLE, 140)), BUS_PURPLE, 0.3),
        ),
        (
            "home_care",
            lang.t("qgis.legend.tier_home_care"),
            fill_symbol("1", Some((HOME_CARE_ORANGE, 140)), HOME_CARE_ORANGE, 0.3),
        ),
        (
            "unserved",
            lang.t("qgis.legend.tier_unserved"),
            fill_symbol("2", Some((UNSERVED_RED, 140)), UNSERVED_RED, 0.3),
        ),
    ];
    document(&categorized("tier", &categories), None, Geom::Polygon, fields)
}

/// What the method names, for the aliases of the columns it makes: each indicator's and
/// dimension's label (in the run's language; the name when it has none), the coarse rates
/// (name, layer), the siting's groups, and the number of classes of the layer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldNames {
    /// (indicator name, label).
    pub indicators: Vec<(String, String)>,
    /// (dimension name, label).
    pub dimensions: Vec<(String, String)>,
    /// (coarse rate name, its `[[coarse]]` layer).
    pub coarse_rates: Vec<(String, String)>,
    /// `[siting.groups]` names.
    pub groups: Vec<String>,
    /// Classes of the layer (class `classes` = highest need).
    pub classes: usize,
}

/// The aliases (in `lang`) of the columns of the output layer `layer` (`units`, `districts`,
/// `sites`, `catchments`, `uncovered`) and the value maps of its `status`, `tier` and
/// `placed_by` columns. A column careblock cannot name (a column of the method's own, for one)
/// gets no alias: QGIS shows its name.
pub fn fields(layer: &str, columns: &[&str], lang: Lang, names: &FieldNames) -> Fields {
    let aliases = columns
        .iter()
        .filter_map(|&c| alias(layer, c, lang, names).map(|a| (c.to_string(), a)))
        .collect();
    let mut value_maps = Vec::new();
    let map = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(v, w)| (v.to_string(), w.to_string()))
            .collect()
    };
    for &c in columns {
        let values = match (layer, c) {
            ("sites" | "catchments", "status") => map(&[
                ("existing", lang.t("qgis.legend.existing_block")),
                ("proposed", lang.t("qgis.value.proposed")),
                ("bus", lang.t("qgis.legend.bus_stop")),
            ]),
            ("sites", "placed_by") => map(&[
                ("equity", lang.t("qgis.value.equity")),
                ("coverage", lang.t("qgis.value.coverage")),
            ]),
            ("uncovered", "tier") => map(&[
                ("bus", lang.t("qgis.legend.tier_bus")),
                ("home_care", lang.t("qgis.legend.tier_home_care")),
                ("unserved", lang.t("qgis.legend.tier_unserved")),
            ]),
            _ => continue,
        };
        value_maps.push((c.to_string(), values));
    }
    Fields { aliases, value_maps }
}

/// The alias of one column, if careblock knows what it holds.
fn alias(layer: &str, column: &str, lang: Lang, n: &FieldNames) -> Option<String> {
    let fixed = match layer {
        "sites" | "catchments" => site_alias(column, lang),
        "uncovered" => match column {
            "id" => Some(lang.t("qgis.alias.uncovered.id")),
            "class" => Some(lang.t("qgis.alias.uncovered.class")),
            "density" => Some(lang.t("qgis.alias.uncovered.density")),
            "demand" => Some(lang.t("qgis.alias.uncovered.demand")),
            "tier" => Some(lang.t("qgis.alias.uncovered.tier")),
            "bus_stop" => Some(lang.t("qgis.alias.uncovered.bus_stop")),
            "households" => Some(lang.t("qgis.alias.uncovered.households")),
            _ => None,
        },
        _ => level_alias(column, lang),
    };
    if let Some(a) = fixed {
        return Some(a.to_string());
    }
    if column == "class" && matches!(layer, "units" | "districts") {
        return Some(lang.fmt("qgis.alias.level.class", &[("k", Arg::from(n.classes))]));
    }
    if matches!(layer, "sites" | "catchments") {
        return n
            .groups
            .iter()
            .find(|g| g.as_str() == column)
            .map(|g| lang.fmt("qgis.alias.site.group", &[("group", Arg::from(g))]));
    }
    if layer == "uncovered" {
        return None;
    }
    let label = |name: &str, list: &[(String, String)]| {
        list.iter().find(|(n, _)| n == name).map(|(_, l)| Arg::from(l))
    };
    if let Some(l) = label(column, &n.indicators) {
        return Some(lang.fmt("qgis.alias.level.raw", &[("label", l)]));
    }
    if let Some(l) = column
        .strip_suffix("_score")
        .and_then(|i| label(i, &n.indicators))
    {
        return Some(lang.fmt("qgis.alias.level.score", &[("label", l)]));
    }
    if let Some(l) = column
        .strip_suffix("_contrib")
        .and_then(|i| label(i, &n.indicators))
    {
        return Some(lang.fmt("qgis.alias.level.contrib", &[("label", l)]));
    }
    if let Some(l) = column.strip_prefix("dim_").and_then(|d| label(d, &n.dimensions)) {
        return Some(lang.fmt("qgis.alias.level.dimension", &[("label", l)]));
    }
    if let Some((name, _)) = n.coarse_rates.iter().find(|(r, _)| r == column) {
        return Some(lang.fmt("qgis.alias.level.coarse_count", &[("name", Arg::from(name))]));
    }
    if let Some((name, layer)) = column
        .strip_suffix("_rate")
        .and_then(|r| n.coarse_rates.iter().find(|(c, _)| c == r))
    {
        return Some(lang.fmt(
            "qgis.alias.level.coarse_rate",
            &[("name", Arg::from(name)), ("layer", Arg::from(layer))],
        ));
    }
    for g in &n.groups {
        if column.strip_suffix("_cov_before") == Some(g.as_str()) {
            return Some(lang.fmt("qgis.alias.level.group_cov_before", &[("group", Arg::from(g))]));
        }
        if column.strip_suffix("_cov_after") == Some(g.as_str()) {
            return Some(lang.fmt("qgis.alias.level.group_cov_after", &[("group", Arg::from(g))]));
        }
    }
    None
}

/// The alias of a fixed column of the units and districts layers.
fn level_alias(column: &str, lang: Lang) -> Option<&'static str> {
    Some(match column {
        "id" => lang.t("qgis.alias.level.id"),
        "label" => lang.t("qgis.alias.level.label"),
        "population" => lang.t("qgis.alias.level.population"),
        "ranked" => lang.t("qgis.alias.level.ranked"),
        "index" => lang.t("qgis.alias.level.index"),
        "rank" => lang.t("qgis.alias.level.rank"),
        "need_mass" => lang.t("qgis.alias.level.need_mass"),
        "rank_median" => lang.t("qgis.alias.level.rank_median"),
        "rank_p05" => lang.t("qgis.alias.level.rank_p05"),
        "rank_p95" => lang.t("qgis.alias.level.rank_p95"),
        "p_top_class" => lang.t("qgis.alias.level.p_top_class"),
        "rank_shift_mean" => lang.t("qgis.alias.level.rank_shift_mean"),
        "imbalance_penalty" => lang.t("qgis.alias.level.imbalance_penalty"),
        "access_e2sfca" => lang.t("qgis.alias.level.access_e2sfca"),
        "cov_before" => lang.t("qgis.alias.level.cov_before"),
        "cov_after" => lang.t("qgis.alias.level.cov_after"),
        "site" => lang.t("qgis.alias.level.site"),
        "need_cov_before" => lang.t("qgis.alias.level.need_cov_before"),
        "need_cov_after" => lang.t("qgis.alias.level.need_cov_after"),
        "pop_cov_before" => lang.t("qgis.alias.level.pop_cov_before"),
        "pop_cov_after" => lang.t("qgis.alias.level.pop_cov_after"),
        "need_eq" => lang.t("qgis.alias.level.need_eq"),
        "need_noeq" => lang.t("qgis.alias.level.need_noeq"),
        _ => return None,
    })
}

/// The alias of a fixed column of the sites and catchments layers.
fn site_alias(column: &str, lang: Lang) -> Option<&'static str> {
    Some(match column {
        "status" => lang.t("qgis.alias.site.status"),
        "rank" => lang.t("qgis.alias.site.rank"),
        "id" => lang.t("qgis.alias.site.id"),
        "kind" => lang.t("qgis.alias.site.kind"),
        "name" => lang.t("qgis.alias.site.name"),
        "lon" => lang.t("qgis.alias.site.lon"),
        "lat" => lang.t("qgis.alias.site.lat"),
        "gain" => lang.t("qgis.alias.site.gain"),
        "cumulative" => lang.t("qgis.alias.site.cumulative"),
        "cum_share" => lang.t("qgis.alias.site.cum_share"),
        "irreplace" => lang.t("qgis.alias.site.irreplace"),
        "demand" => lang.t("qgis.alias.site.demand"),
        "population" => lang.t("qgis.alias.site.population"),
        "mean_index" => lang.t("qgis.alias.site.mean_index"),
        "n_units" => lang.t("qgis.alias.site.n_units"),
        "capacity" => lang.t("qgis.alias.site.capacity"),
        "load" => lang.t("qgis.alias.site.load"),
        "utilisation" => lang.t("qgis.alias.site.utilisation"),
        "sel_freq" => lang.t("qgis.alias.site.sel_freq"),
        "sel_rank" => lang.t("qgis.alias.site.sel_rank"),
        "phase" => lang.t("qgis.alias.site.phase"),
        "placed_by" => lang.t("qgis.alias.site.placed_by"),
        "district" => lang.t("qgis.alias.site.district"),
        _ => return None,
    })
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
        let qml = index_classes(
            "index",
            &[Some(3.25), None, Some(90.0)],
            &[20.5, 50.0, 90.0],
            Lang::En,
            &Fields::default(),
        );
        assert!(qml.contains("attr=\"coalesce(&quot;index&quot;, 2)\""), "{qml}");
        assert!(qml.contains("lower=\"2\" upper=\"2\" label=\"unranked (no index)\""));
        assert!(qml.contains("lower=\"3.25\" upper=\"20.5\" label=\"1 (lowest need): 3.25 – 20.50\""));
        assert!(qml.contains("lower=\"20.5\" upper=\"50\" label=\"2: 20.50 – 50.00\""));
        assert!(qml.contains("lower=\"50\" upper=\"90\" label=\"3 (highest need): 50.00 – 90.00\""));
        assert!(qml.contains("value=\"189,0,38,255\""));
        assert_eq!(qml.matches("<range ").count(), 4);
        assert_eq!(qml.matches("<symbol ").count(), 4);
        assert!(!qml.contains("<aliases>"), "no fields, no aliases");
    }

    #[test]
    fn spanish_legends_have_decimal_commas_and_the_bounds_stay_numbers() {
        let names = FieldNames {
            indicators: vec![("share_0_9".into(), "Proporción de 0 a 9 años".into())],
            dimensions: vec![("care_demand".into(), "Demanda de cuidado".into())],
            classes: 3,
            ..FieldNames::default()
        };
        let columns = [
            "id",
            "index",
            "rank",
            "class",
            "dim_care_demand",
            "share_0_9",
            "share_0_9_score",
            "share_0_9_contrib",
            "other",
        ];
        let f = fields("units", &columns, Lang::Es, &names);
        let qml = index_classes(
            "index",
            &[Some(3.25), Some(90.0)],
            &[20.5, 50.0, 90.0],
            Lang::Es,
            &f,
        );
        assert!(qml.contains("label=\"sin puesto (sin índice)\""), "{qml}");
        assert!(qml.contains("lower=\"3.25\" upper=\"20.5\" label=\"1 (menor necesidad): de 3,25 a 20,50\""));
        assert!(qml.contains("lower=\"50\" upper=\"90\" label=\"3 (mayor necesidad): de 50,00 a 90,00\""));
        for alias in [
            "<alias field=\"index\" name=\"Índice de priorización del cuidado\"/>",
            "<alias field=\"rank\" name=\"Puesto (1 = mayor necesidad)\"/>",
            "<alias field=\"class\" name=\"Clase de prioridad (3 = mayor necesidad)\"/>",
            "<alias field=\"dim_care_demand\" name=\"Dimensión: Demanda de cuidado\"/>",
            "<alias field=\"share_0_9\" name=\"Proporción de 0 a 9 años (valor)\"/>",
            "<alias field=\"share_0_9_score\" name=\"Proporción de 0 a 9 años (puntaje normalizado)\"/>",
            "<alias field=\"share_0_9_contrib\" name=\"Proporción de 0 a 9 años (aporte al índice)\"/>",
        ] {
            assert!(qml.contains(alias), "{alias} in {qml}");
        }
        assert!(
            !qml.contains("field=\"other\""),
            "a column careblock cannot name keeps its name"
        );
        assert!(qml.contains("styleCategories=\"Symbology|Labeling|Fields|Forms\""));
    }

    #[test]
    fn every_column_careblock_writes_has_an_alias_in_both_languages() {
        let names = FieldNames {
            indicators: vec![("ipm".into(), "IPM".into())],
            dimensions: vec![("vulnerability".into(), "Vulnerability".into())],
            coarse_rates: vec![("women_unpaid_care".into(), "localidades".into())],
            groups: vec!["dependants".into()],
            classes: 5,
        };
        let level = [
            "id",
            "label",
            "population",
            "ranked",
            "index",
            "rank",
            "class",
            "need_mass",
            "rank_median",
            "rank_p05",
            "rank_p95",
            "p_top_class",
            "rank_shift_mean",
            "dim_vulnerability",
            "ipm",
            "ipm_score",
            "ipm_contrib",
            "imbalance_penalty",
            "access_e2sfca",
            "women_unpaid_care_rate",
            "women_unpaid_care",
            "cov_before",
            "cov_after",
            "site",
            "need_cov_before",
            "need_cov_after",
            "pop_cov_before",
            "pop_cov_after",
            "dependants_cov_before",
            "dependants_cov_after",
            "need_eq",
            "need_noeq",
        ];
        let sites = [
            "status",
            "rank",
            "id",
            "kind",
            "name",
            "lon",
            "lat",
            "gain",
            "cumulative",
            "cum_share",
            "irreplace",
            "demand",
            "population",
            "mean_index",
            "n_units",
            "dependants",
            "capacity",
            "load",
            "utilisation",
            "sel_freq",
            "sel_rank",
            "phase",
            "placed_by",
            "district",
        ];
        let uncovered = [
            "id",
            "class",
            "density",
            "demand",
            "tier",
            "bus_stop",
            "households",
        ];
        for lang in Lang::ALL {
            for (layer, columns) in [
                ("units", &level[..]),
                ("districts", &level[..]),
                ("sites", &sites[..]),
                ("catchments", &sites[..7]),
                ("uncovered", &uncovered[..]),
            ] {
                let f = fields(layer, columns, lang, &names);
                let named: Vec<&str> = f.aliases.iter().map(|(c, _)| c.as_str()).collect();
                assert_eq!(named, columns, "{lang} {layer}");
                assert!(
                    f.aliases.iter().all(|(c, a)| !a.is_empty() && a != c),
                    "{lang} {layer}: {f:?}"
                );
            }
        }
        let f = fields("districts", &level, Lang::Es, &names);
        let get = |c: &str| f.aliases.iter().find(|(n, _)| n == c).unwrap().1.clone();
        assert_eq!(
            get("women_unpaid_care_rate"),
            "women_unpaid_care: tasa de localidades"
        );
        assert_eq!(
            get("dependants_cov_after"),
            "dependants: proporción cubierta por manzanas existentes y propuestas"
        );
        // The same column means another thing in another layer.
        assert_eq!(
            fields("sites", &["rank"], Lang::Es, &names).aliases[0].1,
            "Orden de selección (1 = la primera elegida)"
        );
        assert_eq!(
            fields("sites", &["dependants"], Lang::En, &names).aliases[0].1,
            "dependants in the catchment"
        );
        assert_eq!(
            fields("uncovered", &["demand"], Lang::Es, &names).aliases[0].1,
            "Demanda no cubierta"
        );
    }

    #[test]
    fn sites_size_proposed_blocks_by_rank() {
        let qml = sites(Some(21), Lang::En, &Fields::default());
        assert!(qml.contains("coalesce(scale_linear(&quot;rank&quot;, 1, 21, 5, 2.5), 3)"));
        assert!(qml.contains("labelsEnabled=\"1\""));
        assert!(qml.contains("value=\"proposed\" label=\"proposed care block (size: rank)\""));
        assert!(qml.contains("<layerGeometryType>0</layerGeometryType>"));
        assert!(!sites(Some(1), Lang::En, &Fields::default()).contains("scale_linear"));
    }

    #[test]
    fn spanish_site_legends_and_value_maps() {
        let names = FieldNames::default();
        let f = fields("sites", &["status", "rank", "placed_by"], Lang::Es, &names);
        let qml = sites(Some(3), Lang::Es, &f);
        assert!(
            qml.contains("value=\"existing\" label=\"manzana del cuidado existente\""),
            "{qml}"
        );
        assert!(qml.contains("value=\"bus\" label=\"parada del bus del cuidado\""));
        assert!(qml.contains("<alias field=\"status\" name=\"Estado\"/>"));
        // The attribute table shows the words; the values (and the renderer's categories) stay.
        assert!(
            qml.contains("<field name=\"status\" configurationFlags=\"None\"><editWidget type=\"ValueMap\">")
        );
        assert!(qml.contains(
            "<Option name=\"manzana del cuidado propuesta\" type=\"QString\" value=\"proposed\"/>"
        ));
        assert!(qml.contains("<Option name=\"regla de equidad\" type=\"QString\" value=\"equity\"/>"));
        let qml = catchments(Lang::Es, &Fields::default());
        assert!(qml.contains("label=\"manzana propuesta, área de cobertura a pie\""));
        let f = fields("uncovered", &["tier"], Lang::Es, &names);
        let qml = uncovered(Lang::Es, &f);
        assert!(qml.contains("value=\"home_care\" label=\"atención domiciliaria\""));
        assert!(qml.contains("<Option name=\"sin atención\" type=\"QString\" value=\"unserved\"/>"));
        assert!(qml.contains("<alias field=\"tier\" name=\"Modalidad de atención\"/>"));
    }
}
