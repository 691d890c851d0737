//! Distance bands of a step distance-decay function (`access.bands`, `access.minutes`), checked
//! when the method is read and used by the E2SFCA access computation.

use thiserror::Error;

/// Why distance bands are refused. Each carries the offending band and value.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum BandError {
    /// No distance band was given.
    #[error("the distance bands are empty: give at least one (upper bound in metres, weight)")]
    NoBands,
    /// A band upper bound that is not a finite positive number of metres.
    #[error("distance band {band}: upper bound {bound:?} m is not a finite positive distance")]
    BandBound {
        /// Position of the band (0-based).
        band: usize,
        /// The upper bound as given.
        bound: f64,
    },
    /// A band upper bound not strictly greater than the previous one.
    #[error(
        "distance band {band}: upper bound {bound:?} m does not exceed the previous bound {previous:?} m"
    )]
    BandOrder {
        /// Position of the band (0-based).
        band: usize,
        /// The previous band's upper bound.
        previous: f64,
        /// The upper bound as given.
        bound: f64,
    },
    /// A band weight outside `[0, 1]` (or not finite).
    #[error("distance band {band}: weight {weight:?} is not a finite number in [0, 1]")]
    BandWeight {
        /// Position of the band (0-based).
        band: usize,
        /// The weight as given.
        weight: f64,
    },
}

/// A step distance-decay function: ascending upper bounds in metres, each with a weight.
///
/// A distance `d` gets the weight of the first band whose upper bound is `≥ d` (bounds are
/// inclusive, as in pysal's `weights.step_fn`), and 0 beyond the last band. Weights are
/// usually non-increasing with distance (nearer supply counts more), but this is not required:
/// any weights in `[0, 1]` are accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct DistanceBands {
    bands: Vec<(f64, f64)>,
}

impl DistanceBands {
    /// Validates `(upper bound in metres, weight)` pairs: at least one band, upper bounds finite,
    /// positive and strictly ascending, weights finite in `[0, 1]`.
    pub fn new(bands: Vec<(f64, f64)>) -> Result<Self, BandError> {
        if bands.is_empty() {
            return Err(BandError::NoBands);
        }
        for (band, &(bound, weight)) in bands.iter().enumerate() {
            if !(bound.is_finite() && bound > 0.0) {
                return Err(BandError::BandBound { band, bound });
            }
            if band > 0 {
                let previous = bands[band - 1].0;
                if bound <= previous {
                    return Err(BandError::BandOrder {
                        band,
                        previous,
                        bound,
                    });
                }
            }
            if !(weight.is_finite() && (0.0..=1.0).contains(&weight)) {
                return Err(BandError::BandWeight { band, weight });
            }
        }
        Ok(DistanceBands { bands })
    }

    /// The `(upper bound in metres, weight)` pairs, ascending.
    pub fn bands(&self) -> &[(f64, f64)] {
        &self.bands
    }

    /// The last band's upper bound: the catchment radius to build the unit-to-facility table with.
    pub fn max_distance(&self) -> f64 {
        self.bands[self.bands.len() - 1].0
    }

    /// The weight of distance `d` metres: that of the first band with upper bound `≥ d`, 0 beyond
    /// the last band (and for NaN).
    pub fn weight(&self, d: f64) -> f64 {
        self.bands
            .iter()
            .find(|&&(bound, _)| d <= bound)
            .map_or(0.0, |&(_, w)| w)
    }
}

impl Default for DistanceBands {
    /// Luo & Qi's (2009) weights (1, 0.68, 0.22), the default of pysal's
    /// `enhanced_two_stage_fca`, on walking-distance bands of 400, 800 and 1200 m.
    fn default() -> Self {
        DistanceBands {
            bands: vec![(400.0, 1.0), (800.0, 0.68), (1200.0, 0.22)],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_are_inclusive_and_validated() {
        let b = DistanceBands::default();
        assert_eq!(b.max_distance(), 1200.0);
        assert_eq!(b.weight(0.0), 1.0);
        assert_eq!(b.weight(400.0), 1.0);
        assert_eq!(b.weight(400.1), 0.68);
        assert_eq!(b.weight(800.0), 0.68);
        assert_eq!(b.weight(1200.0), 0.22);
        assert_eq!(b.weight(1200.1), 0.0);
        assert_eq!(b.weight(f64::NAN), 0.0);
        assert_eq!(DistanceBands::new(vec![]), Err(BandError::NoBands));
        assert_eq!(
            DistanceBands::new(vec![(0.0, 1.0)]),
            Err(BandError::BandBound { band: 0, bound: 0.0 })
        );
        assert!(matches!(
            DistanceBands::new(vec![(100.0, 1.0), (f64::INFINITY, 0.5)]),
            Err(BandError::BandBound { band: 1, .. })
        ));
        assert_eq!(
            DistanceBands::new(vec![(500.0, 1.0), (500.0, 0.5)]),
            Err(BandError::BandOrder {
                band: 1,
                previous: 500.0,
                bound: 500.0
            })
        );
        assert_eq!(
            DistanceBands::new(vec![(500.0, 1.5)]),
            Err(BandError::BandWeight { band: 0, weight: 1.5 })
        );
        assert!(matches!(
            DistanceBands::new(vec![(500.0, f64::NAN)]),
            Err(BandError::BandWeight { band: 0, .. })
        ));
        // Increasing weights are accepted.
        let up = DistanceBands::new(vec![(100.0, 0.5), (200.0, 1.0)]).unwrap();
        assert_eq!(up.weight(150.0), 1.0);
    }
}
