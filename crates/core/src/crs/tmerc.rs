//! The direct forward transverse Mercator (Krüger series) that reprojection uses for lon/lat
//! to a transverse Mercator CRS, bit for bit proj4rs' `etmerc`.

use geo::Coord;
use proj4rs::Proj;

use super::Crs;

/// The forward (lon/lat → metres) transverse Mercator of every projected CRS careblock knows
/// (EPSG:9377, 3116 and the UTM zones), evaluated directly: the Krüger series in the third
/// flattening n to order 6 (Karney 2011, eq. 35; the Poder/Engsager formulation of
/// proj4rs' `etmerc`), with proj4rs' own constants, coefficients and order of operations, so
/// that it gives proj4rs' results (bit for bit on the study areas; tested) without its
/// per-point pipeline. Points outside its domain go through proj4rs, which reports them.
pub(super) struct TransverseMercator {
    /// Longitude of origin, radians.
    lam0: f64,
    x0: f64,
    y0: f64,
    /// Semi-major axis.
    a: f64,
    /// Meridian quadrant scaled to the projection (K&W `Qn`) and the northing of the origin.
    qn: f64,
    zb: f64,
    /// Geodetic → Gaussian latitude and Gaussian → ellipsoidal TM coefficients, highest order
    /// first (as Clenshaw summation uses them).
    cbg: [f64; 6],
    gtu: [f64; 6],
}

/// Clenshaw summation of `B + Σ c_k sin(2kB)` (coefficients highest order first).
#[inline]
fn gatg(c: &[f64; 6], b: f64) -> f64 {
    let cos_2b = 2. * (2. * b).cos();
    let (mut h1, mut h2) = (c[0], 0.);
    for &p in &c[1..] {
        let h = -h2 + cos_2b * h1 + p;
        h2 = h1;
        h1 = h;
    }
    b + h1 * (2. * b).sin()
}

/// Complex Clenshaw summation (proj4rs' `clens_cplx`, same operations in the same order).
#[inline]
fn clens_cplx(a: &[f64; 6], arg_r: f64, arg_i: f64) -> (f64, f64) {
    let (sin_r, cos_r) = arg_r.sin_cos();
    let sinh_i = arg_i.sinh();
    let cosh_i = arg_i.cosh();
    let r = 2. * cos_r * cosh_i;
    let i = -2. * sin_r * sinh_i;
    let (mut hi1, mut hi2, mut hr1, mut hr2);
    let (mut hi, mut hr) = (0., a[0]);
    (hi1, hr1) = (0., 0.);
    for &p in &a[1..] {
        hr2 = hr1;
        hi2 = hi1;
        hr1 = hr;
        hi1 = hi;
        hi = -hi2 + i * hr1 + r * hi1;
        hr = -hr2 + r * hr1 - i * hi1 + p;
    }
    let r = sin_r * cosh_i;
    let i = cos_r * sinh_i;
    (r * hr - i * hi, r * hi + i * hr)
}

/// Real Clenshaw summation of `Σ a_k sin(k·arg)` (proj4rs' `clens`).
fn clens(a: &[f64; 6], arg_r: f64) -> f64 {
    let r = 2. * arg_r.cos();
    let (mut hr1, mut hr2);
    let mut hr = a[0];
    hr1 = 0.;
    for &p in &a[1..] {
        hr2 = hr1;
        hr1 = hr;
        hr = -hr2 + r * hr1 + p;
    }
    arg_r.sin() * hr
}

impl TransverseMercator {
    /// The projection of a projected CRS careblock knows, from the parameters proj4rs parsed.
    pub(super) fn new(crs: Crs, proj: &Proj) -> Option<TransverseMercator> {
        if crs.is_geographic() || !crs.is_builtin() || proj.to_meter() != 1.0 || proj.from_greenwich() != 0.0
        {
            return None;
        }
        // Every projected CRS careblock knows is on GRS 80 or WGS 84, defined by 1/f.
        let rf = match crs.datum().as_str() {
            "+datum=WGS84" => 298.257_223_563,
            _ => 298.257222101,
        };
        let f = 1. / rf;
        let n = f / (2. - f);
        let n2 = n * n;
        #[rustfmt::skip]
        let mut cbg = [
            n * (-2. + n*( 2./3.0 + n*( 4./3.0  + n*(-82./45.0 + n*(32./45.0 + n*(4642./4725.0)))))),
            n2 * (5./3.0 + n*(-16./15.0 + n*(-13./9.0  + n*(904./315.0 + n*(-1522./945.0))))),
            n2 * n * (-26./15.0 + n*(34./21.0 + n*(8./5.0 + n*(-12686./2835.0)))),
            n2 * n2 * (1237./630.0 + n*(-12./5.0 + n*(-24832./14175.0))),
            n2 * n2 * n * (-734./315.0 + n*(109598./31185.0)),
            n2 * n2 * n2 * (444337./155925.0),
        ];
        #[rustfmt::skip]
        let mut gtu = [
            n *( 0.5 + n*(-2./3.0 + n*(5./16.0 + n*(41./180.0 + n*(-127./288.0 + n*(7891./37800.0)))))),
            n2 * (13./48.0 + n*(-3./5.0 + n*(557./1440.0 + n*(281./630.0 + n*(-1983433./1935360.0))))),
            n2 * n * (61./240.0 + n*(-103./140.0 + n*(15061./26880.0 + n*(167603./181440.0)))),
            n2 * n2 * (49561./161280.0 + n*(-179./168.0 + n*(6601661./7257600.0))),
            n2 * n2 * n * (34729./80640.0 + n*(-3418889./1995840.0)),
            n2 * n2 * n2 * (212378941./319334400.0),
        ];
        cbg.reverse();
        gtu.reverse();
        let k0 = proj.scaling_factor();
        let qn = k0 / (1. + n) * (1. + n2 * (1. / 4.0 + n2 * (1. / 64.0 + n2 / 256.0)));
        let z = gatg(&cbg, proj.latitude_of_origin());
        let zb = -qn * (z + clens(&gtu, 2. * z));
        Some(TransverseMercator {
            lam0: proj.longitude_of_origin(),
            x0: proj.false_easting(),
            y0: proj.false_northing(),
            a: proj.ellipse_parameters().0,
            qn,
            zb,
            cbg,
            gtu,
        })
    }

    /// Projects (lon, lat) in radians; `None` where proj4rs would refuse or clamp the point
    /// (near the poles, beyond ±10 rad, or too far from the central meridian).
    #[inline]
    pub(super) fn forward(&self, lam: f64, phi: f64) -> Option<Coord<f64>> {
        const EPS_12: f64 = 1e-12;
        if phi.abs() - std::f64::consts::FRAC_PI_2 >= -EPS_12 || lam.abs() > 10. {
            return None;
        }
        let mut lam = lam - self.lam0;
        if lam.abs() >= std::f64::consts::PI + EPS_12 {
            return None;
        }
        let cn = gatg(&self.cbg, phi);
        let (sin_cn, cos_cn) = cn.sin_cos();
        let (sin_ce, cos_ce) = lam.sin_cos();
        let cn = sin_cn.atan2(cos_ce * cos_cn);
        lam = (sin_ce * cos_cn).atan2(sin_cn.hypot(cos_cn * cos_ce));
        let ce = lam.tan();
        // proj4rs' asinh
        let ce = (ce.abs() + 1.0f64.hypot(ce)).ln().copysign(ce);
        let (dcn, dce) = clens_cplx(&self.gtu, 2. * cn, 2. * ce);
        let (cn, ce) = (cn + dcn, ce + dce);
        if ce.abs() > 2.623395162778 {
            return None;
        }
        let (x, y) = (self.qn * ce, self.qn * cn + self.zb);
        let out = Coord {
            x: self.a * x + self.x0,
            y: self.a * y + self.y0,
        };
        (out.x.is_finite() && out.y.is_finite()).then_some(out)
    }
}
