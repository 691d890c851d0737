//! Access to the `[[supply]]` facilities for the access-gap indicators: distance bands, the
//! facilities' locations and capacities, straight-line or walking distances, E2SFCA.

use super::columns::Columns;
use super::{IndexError, Inputs, column_error};
use crate::access::{AccessError, e2sfca};
use careblock_core::checks::Use;
use careblock_core::join::points::{Neighbours, centroids, points_within_distance};
use careblock_core::network::PreparedNetwork;
use careblock_method::bands::DistanceBands;
use careblock_method::{DistanceRule, Method};
use careblock_text::{Arg, fixed, msg};
use geo::Point;

/// Each unit's access to the `[[supply]]` facilities (E2SFCA over distance bands, straight or
/// walking), with notes on the bands, the network and what fell back.
pub(super) fn unit_access(
    cols: &mut Columns<'_>,
    method: &Method,
    inputs: &Inputs<'_>,
    population: &[Option<f64>],
) -> Result<Vec<Option<f64>>, IndexError> {
    let spec = &method.spec;
    let units = inputs.units;
    let bands = match spec.access.band_metres(spec.network.as_ref()) {
        Some(b) => DistanceBands::new(b).map_err(AccessError::from)?,
        None => DistanceBands::default(),
    };
    if let (Some(m), Some(ns)) = (&spec.access.minutes, &spec.network) {
        cols.notes.push(msg!(
            "data.access_bands",
            minutes = slash_list(m.get_ref().iter().map(|[t, _]| Arg::from(*t)).collect()),
            speed = ns.walking_speed(),
            metres = slash_list(bands.bands().iter().map(|(d, _)| fixed(*d, 0)).collect()),
        ));
    }
    let demand = match &spec.access.demand {
        Some(d) => cols.eval_spanned(d, "access.demand")?,
        None => population.to_vec(),
    };
    let mut points: Vec<Option<Point<f64>>> = Vec::new();
    let mut capacity: Vec<f64> = Vec::new();
    for (s, layer) in spec.supply.iter().zip(inputs.supply) {
        let pts = layer.points()?;
        let no_geometry: Vec<&str> = pts
            .iter()
            .zip(&layer.ids)
            .filter(|(p, _)| p.is_none())
            .map(|(_, id)| id.as_str())
            .collect();
        if !no_geometry.is_empty() {
            cols.notes.push(msg!(
                "data.facilities_no_location",
                layer = &layer.name,
                n = no_geometry.len(),
                first = format!("{:?}", no_geometry[0]),
            ));
        }
        let caps = match &s.capacity {
            None => vec![1.0; layer.len()],
            Some(c) => {
                let key = format!("supply.{}.capacity", s.name);
                let (v, check) = layer
                    .checked_column(c.get_ref(), Use::Count)
                    .map_err(|e| column_error(method, c.span(), &key, e))?;
                if let Some(e) = check.error(&layer.ids) {
                    return Err(column_error(method, c.span(), key, e));
                }
                for f in check.findings(&layer.ids, &key) {
                    cols.warn(f);
                }
                v.into_iter().map(|x| x.unwrap_or(0.0)).collect()
            }
        };
        points.extend(pts);
        capacity.extend(caps);
    }
    let access = match (spec.access.distance(), &spec.network) {
        (DistanceRule::Network, Some(ns)) => {
            let mut built = None;
            let cost = PreparedNetwork::or_build(
                inputs.prepared_network,
                &mut built,
                &ns.walk_options(),
                inputs.network,
                inputs.network_gap,
            )?;
            let d = cost.within(&centroids(units), &points, bands.max_distance());
            cols.notes
                .push(msg!("data.access_network", graph = cost.graph_note()));
            let mut facility_ids = Vec::new();
            for layer in inputs.supply {
                facility_ids.extend(layer.ids.iter().cloned());
            }
            let notes = [
                cost.fallback_note("findings.unit_centroids", &d.sources, &units.ids, d.max_snap),
                cost.fallback_note("findings.care_facilities", &d.targets, &facility_ids, d.max_snap),
            ];
            cols.notes.extend(
                notes
                    .into_iter()
                    .flatten()
                    .map(|n| msg!("findings.access_prefix", note = n)),
            );
            // Rows are unit → facilities, as E2SFCA wants.
            e2sfca(&demand, &capacity, &Neighbours::from_rows(d.rows), &bands)?
        }
        _ => {
            let neighbours = points_within_distance(&centroids(units), &points, bands.max_distance())?;
            e2sfca(&demand, &capacity, &neighbours, &bands)?
        }
    };
    Ok(access.unit_access)
}

/// Numbers written with slashes ("5/10/15"), each in the language's form: one number as it
/// is, more as nested `data.list_slash` messages.
pub(super) fn slash_list(mut values: Vec<Arg>) -> Arg {
    let mut out = values.pop().unwrap_or(Arg::Text(String::new()));
    while let Some(head) = values.pop() {
        out = Arg::from(msg!("data.list_slash", head = head, tail = out));
    }
    out
}
