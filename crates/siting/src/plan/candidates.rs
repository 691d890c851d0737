//! Candidate sites: the `[[siting.candidates]]` layers with their filters, labels and costs, a
//! hexagonal grid over populated units when none is given, the anchor rule, and the existing
//! blocks, locked in.

use super::types::{PlanError, PlanInputs};
use super::units::Units;
use careblock_core::error::LayerError;
use careblock_core::join::points::{points_in_polygons, points_within_distance};
use careblock_core::layer::Layer;
use careblock_method::{CandidateInput, Capacity, ExistingInput, FilterSpec, Method, SitingSpec};
use careblock_text::msg;
use geo::{MultiPolygon, Point};
use toml::Spanned;

pub(super) fn values_match(text: &str, wanted: &toml::Value) -> bool {
    let w = match wanted {
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        _ => return false,
    };
    if text == w {
        return true;
    }
    matches!((text.parse::<f64>(), w.parse::<f64>()), (Ok(a), Ok(b)) if a == b)
}

/// The features of `layer` the filter keeps (all without a filter).
pub(super) fn filtered(layer: &Layer, filter: Option<&FilterSpec>) -> Result<Vec<bool>, LayerError> {
    let Some(f) = filter else {
        return Ok(vec![true; layer.len()]);
    };
    let col = layer.text_column(&f.column)?;
    Ok(col
        .iter()
        .map(|t| {
            t.as_deref()
                .is_some_and(|t| f.values.iter().any(|v| values_match(t, v)))
        })
        .collect())
}

pub(super) struct Candidate {
    pub(super) id: String,
    pub(super) kind: String,
    pub(super) label: Option<String>,
    pub(super) point: Point<f64>,
    pub(super) cost: f64,
    pub(super) locked_in: bool,
    pub(super) locked_out: bool,
    /// Persons of demand it can serve (`None`: uncapacitated siting).
    pub(super) capacity: Option<f64>,
}

/// The capacity of each feature of a site layer: its own `capacity` (a number or a column),
/// else the `[siting] capacity` default; `None` for uncapacitated siting. A value in a column
/// that is missing, not a number or ≤ 0 is an error naming the layer, site and key.
fn capacities(
    method: &Method,
    layer: &Layer,
    own: Option<&Spanned<Capacity>>,
    default: Option<f64>,
    key: String,
) -> Result<Vec<Option<f64>>, PlanError> {
    let n = layer.len();
    match own.map(|c| (c.span(), c.get_ref())) {
        None => Ok(vec![default; n]),
        Some((_, Capacity::Persons(x))) => Ok(vec![Some(*x); n]),
        Some((span, Capacity::Column(c))) => {
            let values = layer
                .numeric_column(c)
                .map_err(|e| method.data_error(span.clone(), key.clone(), e.to_string()))?;
            values
                .into_iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Some(x) if x.is_finite() && x > 0.0 => Ok(Some(x)),
                    other => Err(method
                        .data_error(
                            span.clone(),
                            key.clone(),
                            format!(
                                "{}: site {:?} has capacity {} in column {c:?}, expected a number of persons > 0",
                                layer.name,
                                layer.ids[i],
                                other.map(|x| x.to_string()).unwrap_or_else(|| "missing".into())
                            ),
                        )
                        .into()),
                })
                .collect()
        }
    }
}

pub(super) fn label_of(layer: &Layer, label: Option<&str>) -> Result<Vec<Option<String>>, LayerError> {
    match label {
        None => Ok(vec![None; layer.len()]),
        Some(c) => layer.text_column(c),
    }
}

/// The candidate sites of the layers (filters, lock and cost columns).
pub(super) fn layer_candidates(
    method: &Method,
    specs: &[CandidateInput],
    layers: &[Layer],
    default_capacity: Option<f64>,
    notes: &mut Vec<careblock_text::Msg>,
) -> Result<(Vec<Candidate>, usize), PlanError> {
    let mut out = Vec::new();
    let mut read = 0;
    for (k, (spec, layer)) in specs.iter().zip(layers).enumerate() {
        read += layer.len();
        let keep = filtered(layer, spec.filter.as_ref())?;
        let pts = layer.points()?;
        let labels = label_of(layer, spec.label.as_deref())?;
        let costs = match &spec.cost {
            None => vec![Some(1.0); layer.len()],
            Some(c) => layer.count_column(c.get_ref()).map_err(|e| {
                method.data_error(c.span(), format!("siting.candidates[{k}].cost"), e.to_string())
            })?,
        };
        let locks = match &spec.lock {
            None => vec![None; layer.len()],
            Some(c) => layer.text_column(c)?,
        };
        let caps = capacities(
            method,
            layer,
            spec.capacity.as_ref(),
            default_capacity,
            format!("siting.candidates[{k}].capacity"),
        )?;
        let mut no_point = Vec::new();
        for i in 0..layer.len() {
            if !keep[i] {
                continue;
            }
            let Some(p) = pts[i] else {
                no_point.push(layer.ids[i].as_str());
                continue;
            };
            let lock = locks[i].as_deref().map(|s| s.trim().to_ascii_lowercase());
            let locked_in = lock.as_deref() == Some("in");
            let locked_out = lock.as_deref() == Some("out");
            let cost = match costs[i] {
                Some(c) if c > 0.0 => c,
                _ if locked_out => 1.0,
                other => {
                    return Err(method
                        .data_error(
                            spec.cost.as_ref().map(|c| c.span()).unwrap_or(0..0),
                            format!("siting.candidates[{k}].cost"),
                            format!(
                                "{}: site {:?} has cost {}, expected a number > 0",
                                layer.name,
                                layer.ids[i],
                                other.map(|c| c.to_string()).unwrap_or_else(|| "missing".into())
                            ),
                        )
                        .into());
                }
            };
            out.push(Candidate {
                id: layer.ids[i].clone(),
                kind: spec.name.clone(),
                label: labels[i].clone(),
                point: p,
                cost,
                locked_in,
                locked_out,
                capacity: caps[i],
            });
        }
        if !no_point.is_empty() {
            notes.push(msg!(
                "siting.candidates_no_location",
                layer = &layer.name,
                n = no_point.len(),
                first = format!("{:?}", no_point[0])
            ));
        }
    }
    Ok((out, read))
}

pub(super) fn existing_blocks(
    method: &Method,
    specs: &[ExistingInput],
    layers: &[Layer],
    default_capacity: Option<f64>,
    notes: &mut Vec<careblock_text::Msg>,
) -> Result<Vec<Candidate>, PlanError> {
    let mut out = Vec::new();
    for (k, (spec, layer)) in specs.iter().zip(layers).enumerate() {
        let keep = filtered(layer, spec.filter.as_ref())?;
        let caps = capacities(
            method,
            layer,
            spec.capacity.as_ref(),
            default_capacity,
            format!("siting.existing[{k}].capacity"),
        )?;
        let pts = layer.points()?;
        let labels = label_of(layer, spec.label.as_deref())?;
        for i in 0..layer.len() {
            if !keep[i] {
                continue;
            }
            match pts[i] {
                None => notes.push(msg!(
                    "siting.existing_no_location",
                    layer = &layer.name,
                    id = format!("{:?}", layer.ids[i])
                )),
                Some(p) => out.push(Candidate {
                    id: layer.ids[i].clone(),
                    kind: "existing".into(),
                    label: labels[i].clone(),
                    point: p,
                    cost: 0.0,
                    locked_in: true,
                    locked_out: false,
                    capacity: caps[i],
                }),
            }
        }
    }
    Ok(out)
}

/// Hexagon centres `spacing` apart inside populated units.
pub(super) fn hex_grid(units: &[MultiPolygon<f64>], populated: &[bool], spacing: f64) -> Vec<Point<f64>> {
    let mut rect: Option<geo::Rect<f64>> = None;
    for (p, &ok) in units.iter().zip(populated) {
        if !ok {
            continue;
        }
        if let Some(r) = geo::BoundingRect::bounding_rect(p) {
            rect = Some(match rect {
                None => r,
                Some(a) => careblock_core::layer::union_rect(a, r),
            });
        }
    }
    let Some(r) = rect else { return Vec::new() };
    let dy = spacing * 3f64.sqrt() / 2.0;
    let mut pts = Vec::new();
    let mut row = 0usize;
    let mut y = r.min().y + dy / 2.0;
    while y <= r.max().y {
        let mut x = r.min().x + spacing / 2.0 + if row % 2 == 1 { spacing / 2.0 } else { 0.0 };
        while x <= r.max().x {
            pts.push(Some(Point::new(x, y)));
            x += spacing;
        }
        y += dy;
        row += 1;
    }
    let owner = points_in_polygons(&pts, units);
    pts.into_iter()
        .zip(owner.polygon)
        .filter_map(|(p, o)| o.filter(|&u| populated[u as usize]).and(p))
        .collect()
}

/// The candidate sites of a plan, in order: layer (or grid) candidates, then existing blocks.
pub(super) struct Candidates {
    pub(super) list: Vec<Candidate>,
    /// Candidates read from the layers.
    pub(super) read: usize,
    /// Of them, kept by the filters.
    pub(super) kept: usize,
    /// Layer or grid candidates (the first ones of `list`).
    pub(super) layer_sites: usize,
    /// Existing blocks (the last ones of `list`).
    pub(super) existing: usize,
    /// Candidates neither locked in nor out.
    pub(super) eligible: usize,
}

/// Gathers the candidates of `[siting]`: layers (or a grid), the anchor rule, then the
/// existing blocks; refuses a plan with no eligible candidate.
pub(super) fn gather(
    method: &Method,
    st: &SitingSpec,
    inputs: &PlanInputs<'_>,
    units: &Units<'_>,
    radius: f64,
    notes: &mut Vec<careblock_text::Msg>,
) -> Result<Candidates, PlanError> {
    // Candidates: layers (or a grid), then the existing blocks.
    let default_capacity = st.capacity.as_ref().map(|c| *c.get_ref());
    let (mut cands, read) =
        layer_candidates(method, &st.candidates, inputs.candidates, default_capacity, notes)?;
    let kept = cands.len();
    if st.candidates.is_empty()
        && let Some(g) = &st.grid
    {
        let populated: Vec<bool> = units.population.iter().map(|p| *p > 0.0).collect();
        for (k, p) in hex_grid(&units.multipolygons(), &populated, *g.spacing.get_ref())
            .into_iter()
            .enumerate()
        {
            cands.push(Candidate {
                id: format!("G{:05}", k + 1),
                kind: "grid".into(),
                label: None,
                point: p,
                cost: 1.0,
                locked_in: false,
                locked_out: false,
                capacity: default_capacity,
            });
        }
    }
    let n_layer_cands = cands.len();
    // Anchor rule.
    let mut anchor_rejected = 0;
    if let Some(a) = &st.anchor
        && a.min_facilities > 0
    {
        let r = a.radius.as_ref().map(|r| *r.get_ref()).unwrap_or(radius);
        let mut facilities = Vec::new();
        for l in inputs.supply {
            facilities.extend(l.points()?);
        }
        let q: Vec<Option<Point<f64>>> = cands.iter().map(|c| Some(c.point)).collect();
        let near = points_within_distance(&q, &facilities, r)?;
        for (i, c) in cands.iter_mut().enumerate() {
            // A facility within a metre of the site is the site itself (the same centre listed
            // in a candidate layer and a supply layer).
            let others = near.row(i).iter().filter(|(_, d)| *d > 1.0).count();
            if others < a.min_facilities && !c.locked_in {
                c.locked_out = true;
                anchor_rejected += 1;
            }
        }
        notes.push(msg!(
            "siting.anchor",
            rejected = anchor_rejected,
            n = n_layer_cands,
            min = a.min_facilities,
            radius = r
        ));
    }
    let existing = existing_blocks(method, &st.existing, inputs.existing, default_capacity, notes)?;
    let n_existing = existing.len();
    cands.extend(existing);
    let eligible = cands.iter().filter(|c| !c.locked_out && !c.locked_in).count();
    if eligible == 0 {
        return Err(PlanError::Infeasible(format!(
            "no eligible candidate site ({read} read, {kept} kept by the filters, {anchor_rejected} rejected by the anchor rule)"
        )));
    }
    Ok(Candidates {
        list: cands,
        read,
        kept,
        layer_sites: n_layer_cands,
        existing: n_existing,
        eligible,
    })
}
