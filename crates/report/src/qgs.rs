//! `careblock.qgs`: a QGIS 3 project beside the outputs that opens every layer in one click —
//! each from the GeoPackage (else its GeoJSON or FlatGeobuf file) by a path relative to the
//! project, styled with the same QML as the `.qml` files (legends and field aliases included),
//! in two groups ("Siting" above "Care prioritization index"), titled in the run's language
//! (the caller words the titles and groups: the `qgis` area of the catalogue), in the working
//! CRS, with the map extent set on the districts (else the units).
//!
//! The project is written by hand: it is one XML document whose every element careblock
//! already knows (the styles are the QML documents of [`crate::qml`], whose children are also
//! the children of a project's `<maplayer>`); a test opens it in QGIS itself.

use std::fmt::Write as _;

use careblock_core::Crs;
use geo::Rect;

use crate::qml::escape;

/// The geometry of a layer, as QGIS names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerGeometry {
    /// Points (sites).
    Point,
    /// Polygons (units, districts, catchments, uncovered units).
    Polygon,
}

/// One layer of the project.
#[derive(Debug, Clone, PartialEq)]
pub struct ProjectLayer {
    /// The output layer's name (`units`, `districts`, `sites`, ...): its id in the project.
    pub name: String,
    /// The title shown in the layers panel.
    pub title: String,
    /// The group it belongs to.
    pub group: String,
    /// The data source relative to the project, as QGIS' OGR provider takes it
    /// (`./careblock.gpkg|layername=districts`, `./units.geojson`).
    pub source: String,
    /// Points or polygons.
    pub geometry: LayerGeometry,
    /// Its QGIS style (a whole QML document).
    pub style: String,
    /// Whether it starts switched on.
    pub visible: bool,
}

fn spatialrefsys(crs: Crs) -> String {
    format!(
        "<spatialrefsys><wkt>{}</wkt><proj4>{}</proj4><srid>{}</srid><authid>{crs}</authid><description></description><projectionacronym></projectionacronym><ellipsoidacronym></ellipsoidacronym><geographicflag>{}</geographicflag></spatialrefsys>",
        escape(&crs.wkt()),
        escape(&crs.proj_string()),
        crs.epsg(),
        crs.is_geographic()
    )
}

/// A layer's id in the project: `careblock_<name>` (QGIS ignores an id of 10 characters or
/// fewer and makes up another, which the layer tree would then not find).
fn layer_id(name: &str) -> String {
    escape(&format!("careblock_{name}"))
}

/// The children of a QML document's `<qgis>` element, and its `labelsEnabled` attribute.
fn style_body(qml: &str) -> (&str, bool) {
    let Some(open) = qml.find("<qgis ") else {
        return ("", false);
    };
    let head_end = qml[open..].find('>').map_or(qml.len(), |e| open + e + 1);
    let labels = qml[open..head_end].contains("labelsEnabled=\"1\"");
    let close = qml.rfind("</qgis>").unwrap_or(qml.len());
    (qml[head_end..close.max(head_end)].trim(), labels)
}

/// The whole `careblock.qgs`: `layers` top first (drawn last), in `crs`, the canvas on `extent`.
pub fn project(title: &str, layers: &[ProjectLayer], crs: Crs, extent: Option<Rect<f64>>) -> String {
    let srs = spatialrefsys(crs);
    let mut o = String::with_capacity(1 << 16);
    let _ = write!(
        o,
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n<qgis projectname=\"{t}\" version=\"3.22.16-Białowieża\" saveUser=\"careblock\" saveUserFull=\"careblock\">\n<homePath path=\"\"/>\n<title>{t}</title>\n<projectCrs>{srs}</projectCrs>\n<layer-tree-group>\n<customproperties/>\n",
        t = escape(title)
    );
    let mut groups: Vec<&str> = Vec::new();
    for l in layers {
        if !groups.contains(&l.group.as_str()) {
            groups.push(&l.group);
        }
    }
    let checked = |on: bool| if on { "Qt::Checked" } else { "Qt::Unchecked" };
    for g in &groups {
        let _ = writeln!(
            o,
            "<layer-tree-group name=\"{}\" checked=\"Qt::Checked\" expanded=\"1\">\n<customproperties/>",
            escape(g)
        );
        for l in layers.iter().filter(|l| &l.group == g) {
            let _ = writeln!(
                o,
                "<layer-tree-layer id=\"{id}\" name=\"{title}\" source=\"{src}\" providerKey=\"ogr\" checked=\"{c}\" expanded=\"1\"><customproperties/></layer-tree-layer>",
                id = layer_id(&l.name),
                title = escape(&l.title),
                src = escape(&l.source),
                c = checked(l.visible)
            );
        }
        o.push_str("</layer-tree-group>\n");
    }
    o.push_str("</layer-tree-group>\n<mapcanvas annotationsVisible=\"1\" name=\"theMapCanvas\">\n<units>");
    o.push_str(if crs.is_geographic() { "degrees" } else { "meters" });
    o.push_str("</units>\n");
    // A margin of 3 % around the layer.
    let view = extent.map(|e| {
        let (dx, dy) = (e.width() * 0.03, e.height() * 0.03);
        [e.min().x - dx, e.min().y - dy, e.max().x + dx, e.max().y + dy]
    });
    if let Some([x0, y0, x1, y1]) = view {
        let _ = writeln!(
            o,
            "<extent><xmin>{x0}</xmin><ymin>{y0}</ymin><xmax>{x1}</xmax><ymax>{y1}</ymax></extent>"
        );
    }
    let _ = writeln!(
        o,
        "<rotation>0</rotation>\n<destinationsrs>{srs}</destinationsrs>\n<rendermaptile>0</rendermaptile>\n</mapcanvas>\n<projectlayers>"
    );
    for l in layers {
        let (body, labels) = style_body(&l.style);
        let (geometry, wkb) = match l.geometry {
            LayerGeometry::Point => ("Point", "Point"),
            LayerGeometry::Polygon => ("Polygon", "MultiPolygon"),
        };
        let _ = writeln!(
            o,
            "<maplayer type=\"vector\" geometry=\"{geometry}\" wkbType=\"{wkb}\" labelsEnabled=\"{}\" autoRefreshEnabled=\"0\" autoRefreshTime=\"0\" refreshOnNotifyEnabled=\"0\" refreshOnNotifyMessage=\"\" hasScaleBasedVisibilityFlag=\"0\" minScale=\"100000000\" maxScale=\"0\" simplifyDrawingHints=\"1\" simplifyAlgorithm=\"0\" simplifyDrawingTol=\"1\" simplifyLocal=\"1\" simplifyMaxScale=\"1\" readOnly=\"0\" styleCategories=\"AllStyleCategories\">\n<id>{}</id>\n<datasource>{}</datasource>\n<layername>{}</layername>\n<srs>{srs}</srs>\n<provider encoding=\"UTF-8\">ogr</provider>\n{body}\n</maplayer>",
            u8::from(labels),
            layer_id(&l.name),
            escape(&l.source),
            escape(&l.title),
        );
    }
    o.push_str("</projectlayers>\n");
    // The extent a project opens on, for QGIS' API (the canvas above is the desktop's).
    if let Some([x0, y0, x1, y1]) = view {
        let _ = writeln!(
            o,
            "<ProjectViewSettings UseProjectScales=\"0\" rotation=\"0\"><Scales/><DefaultViewExtent xmin=\"{x0}\" ymin=\"{y0}\" xmax=\"{x1}\" ymax=\"{y1}\">{srs}</DefaultViewExtent></ProjectViewSettings>"
        );
    }
    o.push_str("<layerorder>\n");
    for l in layers {
        let _ = writeln!(o, "<layer id=\"{}\"/>", layer_id(&l.name));
    }
    o.push_str(
        "</layerorder>\n<properties>\n<Paths><Absolute type=\"bool\">false</Absolute></Paths>\n<SpatialRefSys><ProjectionsEnabled type=\"int\">1</ProjectionsEnabled></SpatialRefSys>\n<Measurement><DistanceUnits type=\"QString\">meters</DistanceUnits><AreaUnits type=\"QString\">m2</AreaUnits></Measurement>\n</properties>\n</qgis>\n",
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::Coord;

    fn layer(name: &str, group: &str, geometry: LayerGeometry, visible: bool) -> ProjectLayer {
        ProjectLayer {
            name: name.into(),
            title: format!("{name} & <title>"),
            group: group.into(),
            source: format!("./careblock.gpkg|layername={name}"),
            geometry,
            style: crate::qml::catchments(careblock_text::Lang::En, &crate::qml::Fields::default()),
            visible,
        }
    }

    #[test]
    fn a_project_lists_every_layer_in_its_group_with_its_style_and_the_extent() {
        let layers = [
            layer("sites", "Siting", LayerGeometry::Point, true),
            layer("districts", "Priority index", LayerGeometry::Polygon, true),
            layer("units", "Priority index", LayerGeometry::Polygon, false),
        ];
        let extent = Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 100.0, y: 50.0 });
        let text = project(
            "Bogotá & co",
            &layers,
            Crs::from_epsg(9377).unwrap(),
            Some(extent),
        );
        let doc = well_formed(&text);
        assert!(doc, "well-formed");
        assert!(text.contains("<title>Bogotá &amp; co</title>"));
        assert!(text.contains("<authid>EPSG:9377</authid>"));
        assert_eq!(text.matches("<maplayer ").count(), 3);
        assert_eq!(
            text.matches("<renderer-v2 ").count(),
            3,
            "each layer's style is inside it"
        );
        assert!(text.contains("name=\"units &amp; &lt;title&gt;\""));
        assert!(text.contains("id=\"careblock_units\" name=\"units &amp; &lt;title&gt;\" source=\"./careblock.gpkg|layername=units\" providerKey=\"ogr\" checked=\"Qt::Unchecked\""));
        let siting = text.find("<layer-tree-group name=\"Siting\"").unwrap();
        let index = text.find("<layer-tree-group name=\"Priority index\"").unwrap();
        assert!(siting < index, "the sites' group above the index's");
        assert!(text.contains("<xmin>-3</xmin><ymin>-1.5</ymin><xmax>103</xmax><ymax>51.5</ymax>"));
        assert!(
            text.contains("<Absolute type=\"bool\">false</Absolute>"),
            "relative paths"
        );
    }

    #[test]
    fn a_spanish_project_keeps_its_accents_and_the_style_s_aliases() {
        use careblock_text::Lang;
        let fields = crate::qml::fields(
            "uncovered",
            &["id", "tier"],
            Lang::Es,
            &crate::qml::FieldNames::default(),
        );
        let layers = [ProjectLayer {
            name: "uncovered".into(),
            title: Lang::Es.t("qgis.layer.uncovered").into(),
            group: Lang::Es.t("qgis.group.siting").into(),
            source: "./careblock.gpkg|layername=uncovered".into(),
            geometry: LayerGeometry::Polygon,
            style: crate::qml::uncovered(Lang::Es, &fields),
            visible: false,
        }];
        let text = project(
            "Índice de priorización",
            &layers,
            Crs::from_epsg(9377).unwrap(),
            None,
        );
        assert!(well_formed(&text), "well-formed");
        assert!(text.contains("<layer-tree-group name=\"Localización de manzanas del cuidado\""));
        assert!(text.contains("name=\"Unidades censales de alta prioridad sin cobertura\""));
        assert!(text.contains("<layername>Unidades censales de alta prioridad sin cobertura</layername>"));
        // The style's aliases, value map and legend are inside the layer.
        let layer = &text[text.find("<maplayer ").unwrap()..text.find("</maplayer>").unwrap()];
        assert!(layer.contains("<alias field=\"tier\" name=\"Modalidad de atención\"/>"));
        assert!(layer.contains("<alias field=\"id\" name=\"Código de la unidad censal\"/>"));
        assert!(layer.contains("<editWidget type=\"ValueMap\">"));
        assert!(layer.contains("label=\"atención domiciliaria\""));
    }

    /// Every element opened is closed, in order (a small check without an XML crate).
    fn well_formed(text: &str) -> bool {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find('<') {
            rest = &rest[i + 1..];
            let end = rest.find('>').unwrap();
            let tag = &rest[..end];
            rest = &rest[end + 1..];
            if tag.starts_with('!') || tag.starts_with('?') || tag.ends_with('/') {
                continue;
            }
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            if tag.starts_with('/') {
                if stack.pop().as_deref() != Some(name.as_str()) {
                    return false;
                }
            } else {
                stack.push(name);
            }
        }
        stack.is_empty()
    }
}
