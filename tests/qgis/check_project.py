"""Opens a careblock QGIS project in QGIS itself (headless) and reports what QGIS sees.

Usage: python3 check_project.py PROJECT.qgs OUT.png

Prints one JSON object: the project's title, CRS and default view extent; per layer (in the
layer tree's order, top first) its id, title, group, validity, feature count, renderer type and
classes (label and fill colour), its fields' aliases and what the attribute table shows for the
values of the fields with a value map, whether it is switched on, and the renderer, legend
labels and aliases QGIS gives the same layer opened from its GeoJSON with the `.qml` beside it
and from the GeoPackage with its default style (`layer_styles`); then renders the switched-on
layers over the default view extent to OUT.png (1000 px wide, white background). The Rust test
(`tests/integration/qgis_project.rs`) checks the report and the picture's colours.
"""

import json
import os
import sys

from qgis.core import (
    QgsApplication,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsProject,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor


def classes(renderer):
    # Keep each list alive while its symbols are read (they belong to its items).
    kind = renderer.type()
    out = []
    if kind == "graduatedSymbol":
        items = renderer.ranges()
        for r in items:
            out.append({"label": r.label(), "color": r.symbol().color().name()})
    elif kind == "categorizedSymbol":
        items = renderer.categories()
        for c in items:
            out.append({"label": c.label(), "color": c.symbol().color().name()})
    elif kind == "singleSymbol":
        out.append({"label": "", "color": renderer.symbol().color().name()})
    return out


def aliases(layer):
    """{field: alias} of the fields that have one."""
    out = {}
    for i, f in enumerate(layer.fields()):
        alias = layer.attributeAlias(i)
        if alias:
            out[f.name()] = alias
    return out


def value_maps(layer):
    """{field: {value: what the attribute table shows}} of the fields with a ValueMap widget, as
    QGIS' own formatter represents each value of the map."""
    formatter = QgsApplication.fieldFormatterRegistry().fieldFormatter("ValueMap")
    out = {}
    for i, f in enumerate(layer.fields()):
        setup = layer.editorWidgetSetup(i)
        if setup.type() != "ValueMap":
            continue
        config = setup.config()
        shown = {}
        for entry in config.get("map", []):
            for _, value in entry.items():
                shown[value] = formatter.representValue(layer, i, config, None, value)
        out[f.name()] = shown
    return out


def main():
    project_path, png = sys.argv[1], sys.argv[2]
    app = QgsApplication([], True)
    app.initQgis()
    project = QgsProject.instance()
    read = project.read(project_path)
    root = project.layerTreeRoot()
    layers = []
    for node in root.findLayers():
        layer = node.layer()
        entry = {"id": node.layerId(), "found": layer is not None, "on": node.isVisible()}
        if layer is not None:
            entry.update(
                {
                    "title": layer.name(),
                    "group": node.parent().name(),
                    "valid": layer.isValid(),
                    "features": layer.featureCount(),
                    "renderer": layer.renderer().type() if layer.renderer() else None,
                    "classes": classes(layer.renderer()) if layer.renderer() else [],
                    "aliases": aliases(layer),
                    "value_maps": value_maps(layer),
                }
            )
        layers.append(entry)
    # The same layers opened the other two ways careblock offers: the GeoJSON with the .qml
    # beside it, and the GeoPackage table with its default style from `layer_styles`.
    folder = os.path.dirname(os.path.abspath(project_path))
    for entry in layers:
        name = entry["id"].replace("careblock_", "", 1)
        geojson = os.path.join(folder, name + ".geojson")
        if os.path.exists(geojson):
            layer = QgsVectorLayer(geojson, name, "ogr")
            message, ok = layer.loadNamedStyle(os.path.join(folder, name + ".qml"))
            entry["geojson_qml"] = {
                "valid": layer.isValid(),
                "loaded": ok,
                "renderer": layer.renderer().type(),
                "classes": len(classes(layer.renderer())),
                "labels": [c["label"] for c in classes(layer.renderer())],
                "aliases": aliases(layer),
                "value_maps": value_maps(layer),
            }
        gpkg = os.path.join(folder, "careblock.gpkg")
        if os.path.exists(gpkg):
            layer = QgsVectorLayer(gpkg + "|layername=" + name, name, "ogr")
            entry["gpkg_default_style"] = {
                "valid": layer.isValid(),
                "renderer": layer.renderer().type() if layer.renderer() else None,
                "classes": len(classes(layer.renderer())) if layer.renderer() else 0,
                "labels": [c["label"] for c in classes(layer.renderer())] if layer.renderer() else [],
                "aliases": aliases(layer),
                "value_maps": value_maps(layer),
            }
    extent = project.viewSettings().defaultViewExtent()
    report = {
        "read": read,
        "title": project.title(),
        "crs": project.crs().authid(),
        "extent": [extent.xMinimum(), extent.yMinimum(), extent.xMaximum(), extent.yMaximum()],
        "layers": layers,
    }
    visible = [n.layer() for n in root.findLayers() if n.isVisible() and n.layer() is not None]
    if visible and not extent.isEmpty():
        settings = QgsMapSettings()
        settings.setLayers(visible)
        settings.setDestinationCrs(project.crs())
        settings.setBackgroundColor(QColor(255, 255, 255))
        width = 1000
        height = max(1, int(width * extent.height() / extent.width()))
        settings.setOutputSize(QSize(width, height))
        settings.setExtent(extent)
        job = QgsMapRendererParallelJob(settings)
        job.start()
        job.waitForFinished()
        report["rendered"] = job.renderedImage().save(png, "PNG")
        report["errors"] = [e.message for e in job.errors()]
    print(json.dumps(report))
    sys.stdout.flush()
    # QGIS 3.22's Python teardown can crash freeing layers made here after exitQgis(); the
    # report is out, so leave without it.
    os._exit(0)


if __name__ == "__main__":
    main()
