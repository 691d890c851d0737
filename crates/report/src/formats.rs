//! Which formats each output layer is written in: `careblock run --format` overrides the
//! method's `[output]`; "auto" (the default) chooses by the number of units.

use std::collections::BTreeMap;

use careblock_method::output::{Format, Formats, LAYERS, OutputSpec, UNIT_SCALE};
use careblock_text::{Msg, msg};

/// Formats asked for outside the method (`careblock run --format`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormatRequest {
    /// For every layer.
    pub all: Option<Formats>,
    /// For single layers.
    pub layers: BTreeMap<String, Vec<Format>>,
}

impl FormatRequest {
    /// Parses `--format` values: `LIST` (e.g. `geojson,csv` or `auto`) for every layer, or
    /// `LAYER=LIST` for one; the error names the value and lists the valid names.
    pub fn parse(values: &[String]) -> Result<FormatRequest, String> {
        let mut r = FormatRequest::default();
        for v in values {
            match v.split_once('=') {
                Some((layer, list)) => {
                    let layer = layer.trim();
                    if !LAYERS.contains(&layer) {
                        return Err(format!(
                            "--format {v}: no output layer is named {layer:?}; layers: {}",
                            LAYERS.join(", ")
                        ));
                    }
                    match Formats::parse_list(list).map_err(|e| format!("--format {v}: {e}"))? {
                        Formats::List(f) => {
                            r.layers.insert(layer.to_string(), f);
                        }
                        Formats::Auto => {
                            return Err(format!("--format {v}: \"auto\" applies to every layer, not one"));
                        }
                    }
                }
                None => r.all = Some(Formats::parse_list(v).map_err(|e| format!("--format {v}: {e}"))?),
            }
        }
        Ok(r)
    }
}

/// One layer's formats, its files and why.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerFormats {
    /// The layer.
    pub layer: String,
    /// Its formats, in the order asked.
    pub formats: Vec<Format>,
    /// Why these.
    pub reason: Msg,
}

impl LayerFormats {
    /// Whether the layer is written in `f`.
    pub fn has(&self, f: Format) -> bool {
        self.formats.contains(&f)
    }

    /// The files written for the layer (`careblock.gpkg` for its table there).
    pub fn files(&self) -> Vec<String> {
        self.formats
            .iter()
            .map(|f| {
                f.file(&self.layer)
                    .unwrap_or_else(|| "careblock.gpkg".to_string())
            })
            .collect()
    }
}

/// The formats of each of `layers` for a run of `units` units.
pub fn resolve(layers: &[&str], units: usize, spec: &OutputSpec, req: &FormatRequest) -> Vec<LayerFormats> {
    let large = spec.large();
    // The method's lists were checked when it was read; an unparsable one cannot get here.
    let method_all = spec.formats().unwrap_or(Formats::Auto);
    layers
        .iter()
        .map(|&layer| {
            let auto = || {
                (
                    Formats::auto(layer, units, large),
                    auto_reason(layer, units, large),
                )
            };
            // The command line overrides the method: its layer's list, then its list for all.
            let (formats, reason) = if let Some(f) = req.layers.get(layer) {
                (f.clone(), msg!("run.format_flag_layer", layer = layer))
            } else if let Some(all) = &req.all {
                match all {
                    Formats::List(f) => (f.clone(), msg!("run.format_flag")),
                    Formats::Auto => auto(),
                }
            } else if let Some(f) = spec.layer(layer).ok().flatten() {
                (f, msg!("run.format_method_layers"))
            } else {
                match &method_all {
                    Formats::List(f) => (f.clone(), msg!("run.format_method_output")),
                    Formats::Auto => auto(),
                }
            };
            LayerFormats {
                layer: layer.to_string(),
                formats,
                reason,
            }
        })
        .collect()
}

/// Why "auto" chose what it chose.
fn auto_reason(layer: &str, units: usize, large: usize) -> Msg {
    match (UNIT_SCALE.contains(&layer), units > large) {
        (true, true) => msg!("run.format_auto_large", units = units, large = large),
        (true, false) => msg!("run.format_auto_small", units = units, large = large),
        (false, _) => msg!("run.format_auto_planner"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_overrides_the_method_and_auto_follows_the_units() {
        let spec: OutputSpec = toml::from_str("[layers]\nsites = [\"geojson\"]\n").unwrap();
        let req = FormatRequest::parse(&["units=parquet".into()]).unwrap();
        let r = resolve(
            &["units", "districts", "sites", "uncovered"],
            200_000,
            &spec,
            &req,
        );
        assert_eq!(r[0].formats, [Format::GeoParquet]);
        assert_eq!(r[0].files(), ["units.parquet"]);
        assert_eq!(r[1].formats, [Format::GeoJson, Format::Csv, Format::Gpkg]);
        assert_eq!(
            r[1].files(),
            ["districts.geojson", "districts.csv", "careblock.gpkg"]
        );
        assert_eq!(r[2].formats, [Format::GeoJson]);
        assert_eq!(r[3].formats, [Format::FlatGeobuf, Format::GeoParquet]);
        assert!(
            r[3].reason.to_string().contains("200000 units > large = 100000"),
            "{}",
            r[3].reason
        );

        let req = FormatRequest::parse(&["fgb".into()]).unwrap();
        let r = resolve(&["units", "sites"], 10, &spec, &req);
        assert_eq!(r[0].formats, [Format::FlatGeobuf]);
        assert_eq!(
            r[1].formats,
            [Format::FlatGeobuf],
            "--format overrides the method"
        );
        let r = resolve(&["sites"], 10, &spec, &FormatRequest::default());
        assert_eq!(r[0].formats, [Format::GeoJson]);
        assert_eq!(r[0].reason.to_string(), "[output.layers] of the method");
    }

    #[test]
    fn bad_format_values_name_themselves() {
        let e = FormatRequest::parse(&["shp".into()]).unwrap_err();
        assert!(
            e.starts_with("--format shp: unknown output format \"shp\"; valid: geojson"),
            "{e}"
        );
        let e = FormatRequest::parse(&["blocks=geojson".into()]).unwrap_err();
        assert!(
            e.contains("no output layer is named \"blocks\"; layers: units, districts"),
            "{e}"
        );
        let e = FormatRequest::parse(&["units=auto".into()]).unwrap_err();
        assert!(e.contains("every layer"), "{e}");
    }
}
