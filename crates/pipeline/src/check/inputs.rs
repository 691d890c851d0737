//! `validate`'s reading of every input a method names: each layer read whatever happens to the
//! others, the columns read from the non-unit layers, the axis order, the working CRS.

use super::checker::{Checker, Loaded};
use crate::load::crs_of;
use crate::load::layer_input;
use careblock_core::project::{check_axis_order, working_crs};
use careblock_core::{Crs, Layer};
use careblock_method::{Method, MethodSpec};

/// Every layer a method names, read (or `None` where reading failed, with the problem
/// recorded).
pub(super) struct Read {
    pub(super) units: Option<Loaded>,
    pub(super) districts: Option<Loaded>,
    pub(super) coarse: Vec<Option<Loaded>>,
    pub(super) supply: Vec<Option<Loaded>>,
    pub(super) candidates: Vec<Option<Loaded>>,
    pub(super) existing: Vec<Option<Loaded>>,
}

/// Reads every input, whatever happens to the others.
pub(super) fn read_inputs(c: &mut Checker<'_>, spec: &MethodSpec) -> Read {
    let units = c.read("units".into(), &spec.units.layer(), true);
    let districts = spec
        .districts
        .as_ref()
        .and_then(|d| c.read("districts".into(), d, true));
    let coarse: Vec<Option<Loaded>> = spec
        .coarse
        .iter()
        .map(|l| c.read(format!("coarse {}", l.name.get_ref()), &l.layer(), true))
        .collect();
    let supply: Vec<Option<Loaded>> = spec
        .supply
        .iter()
        .map(|s| {
            c.read(
                format!("supply {}", s.name),
                &layer_input(&s.path, &s.id, &s.crs, &s.geometry),
                false,
            )
        })
        .collect();
    let (candidates, existing): (Vec<Option<Loaded>>, Vec<Option<Loaded>>) = match &spec.siting {
        None => (Vec::new(), Vec::new()),
        Some(st) => (
            st.candidates
                .iter()
                .map(|k| {
                    c.read(
                        format!("candidates {}", k.name),
                        &layer_input(&k.path, &k.id, &k.crs, &k.geometry),
                        false,
                    )
                })
                .collect(),
            st.existing
                .iter()
                .map(|k| {
                    c.read(
                        "existing blocks".into(),
                        &layer_input(&k.path, &k.id, &k.crs, &k.geometry),
                        false,
                    )
                })
                .collect(),
        ),
    };

    Read {
        units,
        districts,
        coarse,
        supply,
        candidates,
        existing,
    }
}

/// The columns the method reads from the layers other than the units (labels, capacities,
/// candidates' filters, costs and locks).
pub(super) fn layer_columns(c: &mut Checker<'_>, spec: &MethodSpec, r: &Read) {
    let Read {
        units,
        districts,
        supply,
        candidates,
        existing,
        ..
    } = r;
    if let (Some(u), Some(label)) = (&units, &spec.units.label) {
        c.exists(u, label, "units.label");
    }
    if let (Some(d), Some(label)) = (&districts, spec.districts.as_ref().and_then(|d| d.label.as_ref())) {
        c.exists(d, label, "districts.label");
    }
    for (s, l) in spec.supply.iter().zip(supply) {
        if let (Some(l), Some(cap)) = (l, &s.capacity) {
            c.numeric(l, cap.get_ref(), &format!("supply.{}.capacity", s.name), true);
        }
    }
    if let Some(st) = &spec.siting {
        for (i, (k, l)) in st.candidates.iter().zip(candidates).enumerate() {
            let Some(l) = l else { continue };
            let key = format!("siting.candidates[{i}]");
            if let Some(label) = &k.label {
                c.exists(l, label, &format!("{key}.label"));
            }
            if let Some(f) = &k.filter {
                c.filter(l, f, &format!("{key}.filter"));
            }
            if let Some(cost) = &k.cost {
                c.numeric(l, cost.get_ref(), &format!("{key}.cost"), true);
            }
            if let Some(lock) = &k.lock {
                c.exists(l, lock, &format!("{key}.lock"));
            }
        }
        for (i, (k, l)) in st.existing.iter().zip(existing).enumerate() {
            let Some(l) = l else { continue };
            let key = format!("siting.existing[{i}]");
            if let Some(label) = &k.label {
                c.exists(l, label, &format!("{key}.label"));
            }
            if let Some(f) = &k.filter {
                c.filter(l, f, &format!("{key}.filter"));
            }
        }
    }
}

/// Axis order: the units against the districts, every other layer against the units (as
/// `load_inputs` checks them).
pub(super) fn axis_order(c: &mut Checker<'_>, r: &Read) {
    let Read {
        units,
        districts,
        coarse,
        supply,
        candidates,
        existing,
    } = r;
    if let Some(u) = &units {
        let pairs = districts.iter().map(|d| (&u.layer, &d.layer)).chain(
            districts
                .iter()
                .chain(coarse.iter().flatten())
                .chain(supply.iter().flatten())
                .chain(candidates.iter().flatten())
                .chain(existing.iter().flatten())
                .map(|l| (&l.layer, &u.layer)),
        );
        let mut swapped = Vec::new();
        for (layer, reference) in pairs {
            if let Err(e) = check_axis_order(layer, reference) {
                swapped.push((layer.name.clone(), e.to_string()));
            }
        }
        for (name, message) in swapped {
            c.error(&name, message, Vec::new());
        }
    }
}

/// The working CRS: the method's, or the study area's UTM zone (`None`, with the problem
/// recorded, when it cannot be had).
pub(super) fn working(c: &mut Checker<'_>, method: &Method, r: &Read) -> Option<Crs> {
    let (units, districts) = (&r.units, &r.districts);
    match crs_of(&method.spec.crs, &method.file) {
        Err(e) => {
            c.error(&method.file, e.to_string(), Vec::new());
            None
        }
        Ok(given) => {
            let layers: Vec<&Layer> = units.iter().chain(districts).map(|l| &l.layer).collect();
            if layers.is_empty() {
                given
            } else {
                match working_crs(given, &layers) {
                    Ok(crs) => Some(crs),
                    Err(e) => {
                        c.error(&method.file, e.to_string(), Vec::new());
                        None
                    }
                }
            }
        }
    }
}
