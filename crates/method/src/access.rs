//! `[access]`: access to existing supply (E2SFCA) — distance bands or walking minutes, the
//! demand expression.

use crate::network::{DistanceRule, NetworkSpec};
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// E2SFCA settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AccessSpec {
    /// Demand per unit (expression; default: the population).
    pub demand: Option<Spanned<String>>,
    /// Distance bands `[[upper_m, weight], ...]`; default 400/800/1200 m with 1/0.68/0.22.
    pub bands: Option<Spanned<Vec<[f64; 2]>>>,
    /// `euclidean` (default) or `network` (walking on the `[network]` streets).
    pub distance: Option<Spanned<DistanceRule>>,
    /// Or walking-time bands `[[upper_minutes, weight], ...]`, walked on the `[network]`
    /// streets at its `walking_speed` (needs `distance = "network"`; not with `bands`).
    pub minutes: Option<Spanned<Vec<[f64; 2]>>>,
}

impl AccessSpec {
    /// The distance rule.
    pub fn distance(&self) -> DistanceRule {
        self.distance
            .as_ref()
            .map_or(DistanceRule::Euclidean, |d| *d.get_ref())
    }

    /// The `(upper bound in metres, weight)` bands given: `bands`, or `minutes` converted at
    /// the `[network]` walking speed (the default speed without a `[network]`); `None` when
    /// neither is given (the default bands).
    pub fn band_metres(&self, network: Option<&NetworkSpec>) -> Option<Vec<(f64, f64)>> {
        let speed = network.map_or(
            careblock_core::network::DEFAULT_WALKING_SPEED,
            NetworkSpec::walking_speed,
        );
        match (&self.bands, &self.minutes) {
            (Some(b), _) => Some(b.get_ref().iter().map(|[d, w]| (*d, *w)).collect()),
            (None, Some(m)) => Some(
                m.get_ref()
                    .iter()
                    .map(|[t, w]| (careblock_core::network::minutes_to_metres(*t, speed), *w))
                    .collect(),
            ),
            (None, None) => None,
        }
    }
}
