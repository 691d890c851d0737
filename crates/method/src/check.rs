//! The checks of a method file that the types alone do not make, section by section in file
//! order, each problem a [`MethodError`] naming its key and line.

use toml::Spanned;

use crate::index::{IndicatorKind, IndicatorSpec, NormalisationName};
use crate::network::DistanceRule;
use crate::siting::{Capacity, CoverageRule, EquitySpec, SitingSpec};
use crate::{Method, MethodError, weight_ok};

impl Method {
    /// The checks of [`Method::from_toml`] that need more than the types: every problem, in
    /// file order, each with its key and line. The index's sections (indicators, dimensions,
    /// scoring) build on each other, so only their first problem is listed; the siting, the
    /// network, the expressions and the coarse rates are each checked on their own and give
    /// their first problem. `careblock run` stops at the first; `careblock validate` lists all.
    pub fn problems(&self) -> Vec<MethodError> {
        let index = self
            .check_indicators()
            .and_then(|()| self.check_dimensions())
            .and_then(|()| self.check_scoring());
        let siting = match &self.spec.siting {
            Some(st) => self.check_siting(st),
            None => Ok(()),
        };
        [
            index,
            siting,
            self.check_network(),
            self.check_expressions(),
            self.check_coarse_rates(),
            self.check_output(),
        ]
        .into_iter()
        .filter_map(Result::err)
        .collect()
    }

    /// The first of [`Method::problems`].
    pub(crate) fn check(&self) -> Result<(), MethodError> {
        match self.problems().into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// `[[indicators]]`: names, weights, the fields each kind needs, goalposts.
    fn check_indicators(&self) -> Result<(), MethodError> {
        let s = &self.spec;
        if s.indicators.is_empty() {
            return Err(self.invalid(0..0, "indicators", "the method declares no [[indicators]]"));
        }
        let _names: Vec<&str> = Vec::new();
        let mut names: Vec<&str> = Vec::new();
        for (i, ind) in s.indicators.iter().enumerate() {
            self.check_indicator(i, ind, &mut names)?;
        }
        if s.uncertainty
            .normalisations
            .contains(&NormalisationName::Goalposts)
            && s.indicators.iter().any(|i| i.goalposts.is_none())
        {
            return Err(self.invalid(
                0..0,
                "uncertainty.normalisations",
                "\"goalposts\" is listed but not every indicator has `goalposts`",
            ));
        }
        Ok(())
    }

    /// One indicator (`names`: those declared before it).
    fn check_indicator<'a>(
        &'a self,
        i: usize,
        ind: &'a IndicatorSpec,
        names: &mut Vec<&'a str>,
    ) -> Result<(), MethodError> {
        let s = &self.spec;
        let key = |k: &str| format!("indicators[{i}].{k}");
        let name = ind.name.get_ref();
        if name.trim().is_empty() {
            return Err(self.invalid(ind.name.span(), key("name"), "the name is empty"));
        }
        if names.contains(&name.as_str()) {
            return Err(self.invalid(
                ind.name.span(),
                key("name"),
                format!("indicator {name:?} is declared twice"),
            ));
        }
        names.push(name);
        if let Some(w) = &ind.weight
            && !weight_ok(*w.get_ref())
        {
            return Err(self.invalid(
                w.span(),
                key("weight"),
                format!(
                    "weight {} of indicator {name:?} must be a number > 0",
                    w.get_ref()
                ),
            ));
        }
        let need = |field: &Option<Spanned<String>>, k: &str| -> Result<(), MethodError> {
            match field {
                None => Err(self.invalid(
                    ind.name.span(),
                    key(k),
                    format!("indicator {name:?} of kind {:?} needs `{k}`", ind.kind),
                )),
                Some(e) => self.parse_expr(e, &key(k)).map(|_| ()),
            }
        };
        let forbid = |field: &Option<Spanned<String>>, k: &str| -> Result<(), MethodError> {
            match field {
                Some(e) => Err(self.invalid(
                    e.span(),
                    key(k),
                    format!("indicator {name:?} of kind {:?} does not use `{k}`", ind.kind),
                )),
                None => Ok(()),
            }
        };
        match ind.kind {
            IndicatorKind::Share | IndicatorKind::Ratio => {
                need(&ind.numerator, "numerator")?;
                need(&ind.denominator, "denominator")?;
                forbid(&ind.count, "count")?;
            }
            IndicatorKind::Density | IndicatorKind::Count => {
                need(&ind.count, "count")?;
                forbid(&ind.numerator, "numerator")?;
                forbid(&ind.denominator, "denominator")?;
            }
            IndicatorKind::AccessGap => {
                forbid(&ind.count, "count")?;
                forbid(&ind.numerator, "numerator")?;
                forbid(&ind.denominator, "denominator")?;
                if s.supply.is_empty() {
                    return Err(self.invalid(
                        ind.name.span(),
                        key("kind"),
                        format!(
                            "indicator {name:?} is an access_gap but the method declares no [[supply]] layer"
                        ),
                    ));
                }
            }
        }
        if let Some(g) = &ind.goalposts {
            let [lo, hi] = *g.get_ref();
            if !(lo.is_finite() && hi.is_finite() && lo < hi) {
                return Err(self.invalid(
                    g.span(),
                    key("goalposts"),
                    format!(
                        "goalposts must be two finite numbers [low, high] with low < high, found [{lo}, {hi}]"
                    ),
                ));
            }
        } else if s.normalisation.method == NormalisationName::Goalposts {
            return Err(self.invalid(
                ind.name.span(),
                key("goalposts"),
                format!(
                    "normalisation is \"goalposts\" but indicator {name:?} has no `goalposts = [low, high]`"
                ),
            ));
        }
        Ok(())
    }

    /// `[dimensions]`: each has an indicator and a weight > 0.
    fn check_dimensions(&self) -> Result<(), MethodError> {
        let s = &self.spec;
        for (d, spec) in &s.dimensions {
            if !s.indicators.iter().any(|i| i.dimension.get_ref() == d) {
                let span = spec.weight.as_ref().map(|w| w.span()).unwrap_or(0..0);
                return Err(self.invalid(
                    span,
                    format!("dimensions.{d}"),
                    format!("dimension {d:?} has no indicator"),
                ));
            }
            if let Some(w) = &spec.weight
                && !weight_ok(*w.get_ref())
            {
                return Err(self.invalid(
                    w.span(),
                    format!("dimensions.{d}.weight"),
                    format!("weight {} of dimension {d:?} must be a number > 0", w.get_ref()),
                ));
            }
        }
        Ok(())
    }

    /// `[treatment]`, `[classification]` and `[uncertainty]`.
    fn check_scoring(&self) -> Result<(), MethodError> {
        let s = &self.spec;
        let t = &s.treatment;
        if let Some((lo, hi)) = t.winsorise.percentiles()
            && !(0.0 <= lo && lo < hi && hi <= 100.0)
        {
            return Err(self.invalid(
                0..0,
                "treatment.winsorise",
                format!("percentiles must satisfy 0 ≤ low < high ≤ 100, found [{lo}, {hi}]"),
            ));
        }
        if !(t.min_population.is_finite() && t.min_population >= 0.0) {
            return Err(self.invalid(0..0, "treatment.min_population", "must be a number ≥ 0"));
        }
        if !(t.min_available > 0.0 && t.min_available <= 1.0) {
            return Err(self.invalid(0..0, "treatment.min_available", "must be in (0, 1]"));
        }
        let k = &s.classification.classes;
        if *k.get_ref() < 2 {
            return Err(self.invalid(
                k.span(),
                "classification.classes",
                "at least 2 classes are needed",
            ));
        }
        let u = &s.uncertainty;
        let noise = *u.weight_noise.get_ref();
        if !(noise.is_finite() && (0.0..1.0).contains(&noise)) {
            return Err(self.invalid(
                u.weight_noise.span(),
                "uncertainty.weight_noise",
                format!("must be in [0, 1) so that weights stay > 0, found {noise}"),
            ));
        }
        if u.draws > 0 && (u.normalisations.is_empty() || u.aggregations.is_empty()) {
            return Err(self.invalid(
                0..0,
                "uncertainty",
                "normalisations and aggregations must each list at least one method",
            ));
        }
        if u.draws > 0 && u.levels.is_empty() {
            return Err(self.invalid(
                0..0,
                "uncertainty.levels",
                "must list \"units\", \"districts\" or both (or set draws = 0)",
            ));
        }
        Ok(())
    }

    /// The expressions (population, derived columns, access demand) and the access bands.
    fn check_expressions(&self) -> Result<(), MethodError> {
        let s = &self.spec;
        self.parse_expr(&s.units.population, "units.population")?;
        for (name, e) in &s.derived {
            self.parse_expr(e, &format!("derived.{name}"))?;
        }
        if let Some(d) = &s.access.demand {
            self.parse_expr(d, "access.demand")?;
        }
        self.check_cycles()?;
        if let Some(b) = &s.access.bands
            && let Err(e) =
                crate::bands::DistanceBands::new(b.get_ref().iter().map(|[d, w]| (*d, *w)).collect())
        {
            return Err(self.invalid(b.span(), "access.bands", e.to_string()));
        }
        if let Some(m) = &s.access.minutes {
            if s.access.bands.is_some() {
                return Err(self.invalid(
                    m.span(),
                    "access.minutes",
                    "give either `access.bands` (metres) or `access.minutes`, not both",
                ));
            }
            if s.access.distance() != DistanceRule::Network {
                return Err(self.invalid(
                    m.span(),
                    "access.minutes",
                    "walking-time bands need distance = \"network\" in [access] (and a [network])",
                ));
            }
            if let Err(e) =
                crate::bands::DistanceBands::new(m.get_ref().iter().map(|[t, w]| (*t, *w)).collect())
            {
                // The band errors speak of metres: these bounds are minutes.
                let text = format!("{e} ")
                    .replace("metres", "minutes")
                    .replace(" m ", " min ");
                return Err(self.invalid(m.span(), "access.minutes", text.trim_end().to_string()));
            }
        }
        Ok(())
    }

    /// Derived columns and `[[coarse_rates]]` bases refer to no computed column that refers
    /// back to them: the index evaluates them on demand, each once, so a cycle has no value.
    fn check_cycles(&self) -> Result<(), MethodError> {
        let s = &self.spec;
        let names = s
            .derived
            .keys()
            .cloned()
            .chain(s.coarse_rates.iter().map(|r| r.name.get_ref().clone()));
        let (mut stack, mut done) = (Vec::new(), Vec::new());
        for name in names {
            self.visit(name, &mut stack, &mut done)?;
        }
        Ok(())
    }

    /// The expression that computes `name` and its key, as the index resolves a name: a
    /// derived column first, then a coarse-rate estimate (whose base is evaluated).
    fn computed(&self, name: &str) -> Option<(String, &Spanned<String>)> {
        let s = &self.spec;
        if let Some(e) = s.derived.get(name) {
            return Some((format!("derived.{name}"), e));
        }
        s.coarse_rates
            .iter()
            .enumerate()
            .find(|(_, r)| r.name.get_ref() == name)
            .map(|(i, r)| (format!("coarse_rates[{i}].base"), &r.base))
    }

    /// Depth-first through the computed columns `name` reads (`stack`: the path to it).
    fn visit(
        &self,
        name: String,
        stack: &mut Vec<String>,
        done: &mut Vec<String>,
    ) -> Result<(), MethodError> {
        let Some((key, e)) = self.computed(&name).filter(|_| !done.contains(&name)) else {
            return Ok(());
        };
        // An expression that does not parse is said by the expression checks.
        let reads: Vec<String> = crate::expr::Expr::parse(e.get_ref())
            .map(|x| x.columns().into_iter().map(str::to_string).collect())
            .unwrap_or_default();
        stack.push(name);
        for col in reads {
            if stack.contains(&col) {
                return Err(self.invalid(
                    e.span(),
                    key,
                    format!(
                        "derived column {col:?} refers to itself (cycle: {} → {col})",
                        stack.join(" → ")
                    ),
                ));
            }
            self.visit(col, stack, done)?;
        }
        done.extend(stack.pop());
        Ok(())
    }

    /// `[output]`: known format and layer names, a `large` threshold above 0.
    fn check_output(&self) -> Result<(), MethodError> {
        use crate::output::LAYERS;
        let o = &self.spec.output;
        if let Err(e) = o.formats() {
            let span = o.formats.as_ref().map_or(0..0, |f| f.span());
            return Err(self.invalid(span, "output.formats", e));
        }
        if let Some(l) = &o.large
            && *l.get_ref() == 0
        {
            return Err(self.invalid(l.span(), "output.large", "must be a number of units > 0"));
        }
        for (name, list) in &o.layers {
            let key = format!("output.layers.{name}");
            if !LAYERS.contains(&name.as_str()) {
                return Err(self.invalid(
                    list.span(),
                    key,
                    format!("no output layer is named {name:?}; layers: {}", LAYERS.join(", ")),
                ));
            }
            match o.layer(name) {
                Err(e) => return Err(self.invalid(list.span(), key, e)),
                Ok(Some(f)) if f.is_empty() => {
                    return Err(self.invalid(
                        list.span(),
                        key,
                        "the list is empty: give at least one format",
                    ));
                }
                Ok(_) => {}
            }
        }
        Ok(())
    }

    /// `[[coarse_rates]]`: base expressions, layers that exist, scales > 0.
    fn check_coarse_rates(&self) -> Result<(), MethodError> {
        let s = &self.spec;
        for (i, r) in s.coarse_rates.iter().enumerate() {
            self.parse_expr(&r.base, &format!("coarse_rates[{i}].base"))?;
            if !s.coarse.iter().any(|c| c.name.get_ref() == r.layer.get_ref()) {
                return Err(self.invalid(
                    r.layer.span(),
                    format!("coarse_rates[{i}].layer"),
                    format!("no [[coarse]] layer is named {:?}", r.layer.get_ref()),
                ));
            }
            if !(r.scale.is_finite() && r.scale > 0.0) {
                return Err(self.invalid(
                    r.name.span(),
                    format!("coarse_rates[{i}].scale"),
                    "must be a number > 0",
                ));
            }
        }
        Ok(())
    }

    fn check_siting(&self, st: &SitingSpec) -> Result<(), MethodError> {
        let positive = |v: &Spanned<f64>, key: &str| -> Result<(), MethodError> {
            let x = *v.get_ref();
            if x.is_finite() && x > 0.0 {
                Ok(())
            } else {
                Err(self.invalid(
                    v.span(),
                    key,
                    format!("must be a number of metres > 0, found {x}"),
                ))
            }
        };
        positive(&st.radius, "siting.radius")?;
        self.check_limit(st)?;
        if st.candidates.is_empty() && st.grid.is_none() {
            return Err(self.invalid(
                0..0,
                "siting.candidates",
                "give at least one [[siting.candidates]] layer, or a [siting.grid] of candidate sites",
            ));
        }
        if let Some(g) = &st.grid {
            positive(&g.spacing, "siting.grid.spacing")?;
        }
        if let Some(a) = &st.anchor {
            if let Some(r) = &a.radius {
                positive(r, "siting.anchor.radius")?;
            }
            if a.min_facilities > 0 && self.spec.supply.is_empty() {
                return Err(self.invalid(
                    0..0,
                    "siting.anchor",
                    "the anchor rule counts the [[supply]] facilities, but the method declares none",
                ));
            }
        }
        if let Some(d) = &st.demand {
            self.parse_expr(d, "siting.demand")?;
        }
        for (name, e) in &st.groups {
            self.parse_expr(e, &format!("siting.groups.{name}"))?;
        }
        if let Some(b) = &st.bus {
            positive(&b.radius, "siting.bus.radius")?;
            if let Some(h) = &b.households {
                self.parse_expr(h, "siting.bus.households")?;
            }
        }
        if let Some(e) = &st.equity {
            self.check_equity(e)?;
        }
        if st.capacitated() {
            self.check_capacity(st)?;
        }
        if let Some(g) = &st.capacity_gap {
            let x = *g.get_ref();
            if !st.capacitated() {
                return Err(self.invalid(
                    g.span(),
                    "siting.capacity_gap",
                    "applies to capacitated siting only: give a `capacity`",
                ));
            }
            if !(x.is_finite() && (0.0..1.0).contains(&x)) {
                return Err(self.invalid(
                    g.span(),
                    "siting.capacity_gap",
                    format!("must be a share in [0, 1) (0.01 for 1 %), found {x}"),
                ));
            }
        }
        if let Some(c) = &st.costs {
            let refuse = |why: &str| Err(self.invalid(c.path.span(), "siting.costs", why));
            if c.path.get_ref().trim().is_empty() {
                return refuse("the cost table path is empty");
            }
            if st.distance() == DistanceRule::Network {
                return refuse("give either a cost table or distance = \"network\", not both");
            }
            if st.coverage == CoverageRule::Area {
                return refuse(
                    "coverage = \"area\" needs circles: a cost table covers whole units (the centroid rule)",
                );
            }
            if st.grid.is_some() || st.candidates.is_empty() {
                return refuse(
                    "a cost table names its sites by id: give [[siting.candidates]] layers, not a [siting.grid]",
                );
            }
            if st.anchor.as_ref().is_some_and(|a| a.radius.is_none()) {
                return refuse(
                    "with a cost table `siting.radius` is in the table's unit: give `siting.anchor.radius` in metres",
                );
            }
        }
        if let Some(r) = &st.robust {
            self.check_robust(st, r)?;
        }
        if let Some(pc) = &st.priority_classes {
            let k = *self.spec.classification.classes.get_ref() as u32;
            if let Some(bad) = pc.iter().find(|c| **c == 0 || **c > k) {
                return Err(self.invalid(
                    0..0,
                    "siting.priority_classes",
                    format!("class {bad} does not exist: classes run from 1 to {k}"),
                ));
            }
        }
        Ok(())
    }

    /// `[siting.robust]`: draws ≥ 1, the default demand (the need mass, which the index draws
    /// change), and `p` new blocks without the rules it does not combine with yet.
    fn check_robust(&self, st: &SitingSpec, r: &crate::siting::RobustSpec) -> Result<(), MethodError> {
        let refuse = |why: String| Err(self.invalid(r.draws.span(), "siting.robust", why));
        if *r.draws.get_ref() == 0 {
            return Err(self.invalid(
                r.draws.span(),
                "siting.robust.draws",
                "must be at least 1 (the number of index draws, each followed by a siting)",
            ));
        }
        if st
            .demand
            .as_ref()
            .is_some_and(|d| d.get_ref().trim() != "need_mass")
        {
            return refuse(
                "robust siting draws the index, which changes only the need mass: give `demand = \"need_mass\"` (the default) or remove `siting.demand`".into(),
            );
        }
        let other = [
            (
                st.p.is_none(),
                "without `p` (a budget, phases or a coverage target)",
            ),
            (st.capacitated(), "with capacities"),
            (st.equity.is_some(), "with [siting.equity]"),
        ];
        if let Some((_, what)) = other.iter().find(|(on, _)| *on) {
            return refuse(format!("robust siting {what} is not available yet: give `p`"));
        }
        Ok(())
    }

    /// Capacities > 0, every site layer with one (its own or the default), and the rules
    /// capacitated siting does not combine with yet.
    fn check_capacity(&self, st: &SitingSpec) -> Result<(), MethodError> {
        let positive = |v: &Spanned<Capacity>, key: String| -> Result<(), MethodError> {
            match v.get_ref() {
                Capacity::Persons(x) if !(x.is_finite() && *x > 0.0) => Err(self.invalid(
                    v.span(),
                    key,
                    format!("must be a number of persons > 0 (or the name of a column), found {x}"),
                )),
                Capacity::Column(c) if c.trim().is_empty() => {
                    Err(self.invalid(v.span(), key, "the capacity column name is empty"))
                }
                _ => Ok(()),
            }
        };
        if let Some(c) = &st.capacity {
            let x = *c.get_ref();
            if !(x.is_finite() && x > 0.0) {
                return Err(self.invalid(
                    c.span(),
                    "siting.capacity",
                    format!("must be a number of persons > 0, found {x}"),
                ));
            }
        }
        for (i, c) in st.candidates.iter().enumerate() {
            match &c.capacity {
                Some(v) => positive(v, format!("siting.candidates[{i}].capacity"))?,
                None if st.capacity.is_none() => {
                    return Err(self.invalid(
                        0..0,
                        format!("siting.candidates[{i}].capacity"),
                        format!(
                            "the siting is capacitated but the candidates {:?} have no capacity: give `capacity` on the layer or a default `[siting] capacity`",
                            c.name
                        ),
                    ));
                }
                None => {}
            }
        }
        for (i, e) in st.existing.iter().enumerate() {
            match &e.capacity {
                Some(v) => positive(v, format!("siting.existing[{i}].capacity"))?,
                None if st.capacity.is_none() => {
                    return Err(self.invalid(
                        0..0,
                        format!("siting.existing[{i}].capacity"),
                        "the siting is capacitated but these existing blocks have no capacity: give `capacity` on the layer or a default `[siting] capacity`",
                    ));
                }
                None => {}
            }
        }
        if st.grid.is_some() && st.capacity.is_none() {
            return Err(self.invalid(
                0..0,
                "siting.capacity",
                "the grid's sites need the default `[siting] capacity`",
            ));
        }
        Ok(())
    }

    /// Exactly one of `p`, `budget`, `[siting.phases]` and `target_share`, each valid.
    fn check_limit(&self, st: &SitingSpec) -> Result<(), MethodError> {
        // (name in messages, key, span) of each limit given, in this order.
        let given: Vec<(&str, &str, std::ops::Range<usize>)> = [
            st.p.as_ref().map(|v| ("p", "siting.p", v.span())),
            st.budget.as_ref().map(|v| ("budget", "siting.budget", v.span())),
            st.phases
                .as_ref()
                .map(|_| ("[siting.phases]", "siting.phases", 0..0)),
            st.target_share
                .as_ref()
                .map(|v| ("target_share", "siting.target_share", v.span())),
        ]
        .into_iter()
        .flatten()
        .collect();
        match given.as_slice() {
            [] => {
                return Err(self.invalid(
                    0..0,
                    "siting.p",
                    "give the number of new blocks `p`, a `budget`, opening `[siting.phases]` or a coverage `target_share`",
                ));
            }
            [_] => {}
            // The key named is the second one given: the one to remove.
            [.., (_, key, span)] => {
                let names: Vec<&str> = given.iter().map(|g| g.0).collect();
                return Err(self.invalid(
                    span.clone(),
                    *key,
                    format!(
                        "give one of `p`, `budget`, `[siting.phases]` and `target_share`, not {}",
                        names.join(" and ")
                    ),
                ));
            }
        }
        if let Some(b) = &st.budget {
            let x = *b.get_ref();
            if !(x.is_finite() && x > 0.0) {
                return Err(self.invalid(
                    b.span(),
                    "siting.budget",
                    format!("must be a number > 0, found {x}"),
                ));
            }
        }
        if let Some(t) = &st.target_share {
            let x = *t.get_ref();
            if !(x > 0.0 && x <= 1.0) {
                return Err(self.invalid(
                    t.span(),
                    "siting.target_share",
                    format!("must be a share in (0, 1] (e.g. 0.61 for 61 %), found {x}"),
                ));
            }
        }
        if let Some(tm) = &st.target_minimise {
            let refuse = |why: &str| Err(self.invalid(tm.span(), "siting.target_minimise", why));
            if st.target_share.is_none() {
                return refuse(
                    "applies to a coverage `target_share` only: give one, or remove `target_minimise`",
                );
            }
            if st.least_cost_target() && !st.candidates.iter().any(|c| c.cost.is_some()) {
                return refuse(
                    "a least-cost target needs the candidates' costs: give `cost = \"<column>\"` on a [[siting.candidates]] layer",
                );
            }
        }
        if let Some(ph) = &st.phases {
            match (&ph.blocks, &ph.budget) {
                (Some(_), Some(b)) => {
                    return Err(self.invalid(
                        b.span(),
                        "siting.phases.budget",
                        "give either `blocks` or `budget` per phase, not both",
                    ));
                }
                (None, None) => {
                    return Err(self.invalid(
                        0..0,
                        "siting.phases",
                        "give `blocks = [...]` (new blocks per phase) or `budget = [...]`",
                    ));
                }
                (Some(b), None) if b.get_ref().is_empty() => {
                    return Err(self.invalid(b.span(), "siting.phases.blocks", "give at least one phase"));
                }
                (None, Some(b)) => {
                    if b.get_ref().is_empty() {
                        return Err(self.invalid(
                            b.span(),
                            "siting.phases.budget",
                            "give at least one phase",
                        ));
                    }
                    if let Some((k, x)) = b
                        .get_ref()
                        .iter()
                        .enumerate()
                        .find(|(_, x)| !(x.is_finite() && **x > 0.0))
                    {
                        return Err(self.invalid(
                            b.span(),
                            "siting.phases.budget",
                            format!("phase {}: must be a number > 0, found {x}", k + 1),
                        ));
                    }
                }
                (Some(_), None) => {}
            }
            if let Some(n) = &ph.names
                && n.get_ref().len() != ph.len()
            {
                return Err(self.invalid(
                    n.span(),
                    "siting.phases.names",
                    format!("{} names for {} phases", n.get_ref().len(), ph.len()),
                ));
            }
        }
        Ok(())
    }

    fn check_network(&self) -> Result<(), MethodError> {
        let s = &self.spec;
        let uses = |d: &Option<Spanned<DistanceRule>>, key: &str| -> Result<(), MethodError> {
            match d {
                Some(d) if *d.get_ref() == DistanceRule::Network && s.network.is_none() => Err(self.invalid(
                    d.span(),
                    key,
                    "distance = \"network\" needs a [network] section with the street layer `path`",
                )),
                _ => Ok(()),
            }
        };
        uses(&s.access.distance, "access.distance")?;
        if let Some(st) = &s.siting {
            uses(&st.distance, "siting.distance")?;
            if st.distance() == DistanceRule::Network && st.coverage == CoverageRule::Area {
                return Err(self.invalid(
                    st.distance.as_ref().map_or(0..0, |d| d.span()),
                    "siting.coverage",
                    "coverage = \"area\" is not available with distance = \"network\": use the centroid rule",
                ));
            }
        }
        let Some(n) = &s.network else { return Ok(()) };
        if n.path.get_ref().trim().is_empty() {
            return Err(self.invalid(n.path.span(), "network.path", "the street layer path is empty"));
        }
        let positive = |v: &Option<Spanned<f64>>, key: &str, unit: &str| -> Result<(), MethodError> {
            match v {
                Some(v) if !(v.get_ref().is_finite() && *v.get_ref() > 0.0) => Err(self.invalid(
                    v.span(),
                    key,
                    format!("must be a number of {unit} > 0, found {}", v.get_ref()),
                )),
                _ => Ok(()),
            }
        };
        positive(&n.snap_tolerance, "network.snap_tolerance", "metres")?;
        positive(&n.walking_speed, "network.walking_speed", "km/h")?;
        positive(&n.minutes, "network.minutes", "minutes")?;
        positive(&n.max_snap, "network.max_snap", "metres")?;
        positive(&n.buffer, "network.buffer", "metres")?;
        if let (Some(m), Some(st)) = (&n.minutes, &s.siting)
            && !(st.radius.span().is_empty() && st.radius.span().start == 0)
        {
            return Err(self.invalid(
                m.span(),
                "network.minutes",
                "give either `siting.radius` (metres) or `network.minutes`, not both",
            ));
        }
        if s.siting
            .as_ref()
            .is_none_or(|st| st.distance() != DistanceRule::Network)
            && s.access.distance() != DistanceRule::Network
        {
            return Err(self.invalid(
                n.path.span(),
                "network",
                "the [network] is not used: set distance = \"network\" in [siting] or [access]",
            ));
        }
        Ok(())
    }

    fn check_equity(&self, e: &EquitySpec) -> Result<(), MethodError> {
        match (&e.layer, &e.path) {
            (Some(_), Some(p)) => {
                return Err(self.invalid(
                    p.span(),
                    "siting.equity.path",
                    "give either `layer` (\"districts\" or a [[coarse]] name) or `path`, not both",
                ));
            }
            (None, None) => {
                return Err(self.invalid(
                    0..0,
                    "siting.equity.layer",
                    "give the district layer: `layer = \"districts\"`, the name of a [[coarse]] layer, or `path`",
                ));
            }
            (Some(l), None) => {
                let name = l.get_ref();
                let known = if name == "districts" {
                    self.spec.districts.is_some()
                } else {
                    self.spec.coarse.iter().any(|c| c.name.get_ref() == name)
                };
                if !known {
                    let coarse: Vec<&str> = self
                        .spec
                        .coarse
                        .iter()
                        .map(|c| c.name.get_ref().as_str())
                        .collect();
                    return Err(self.invalid(
                        l.span(),
                        "siting.equity.layer",
                        format!(
                            "no polygon layer is named {name:?}: use \"districts\"{} or the name of a [[coarse]] layer{}",
                            if self.spec.districts.is_some() { "" } else { " (but the method has no [districts])" },
                            if coarse.is_empty() { String::new() } else { format!(" ({})", coarse.join(", ")) }
                        ),
                    ));
                }
                if e.id.is_some() || e.crs.is_some() {
                    return Err(self.invalid(
                        l.span(),
                        "siting.equity.id",
                        "`id` and `crs` go with `path`; the named layer has its own",
                    ));
                }
            }
            (None, Some(_)) => {}
        }
        if let Some(max) = &e.max
            && *max.get_ref() < *e.min.get_ref()
        {
            return Err(self.invalid(
                max.span(),
                "siting.equity.max",
                format!(
                    "the maximum {} blocks per district is below the minimum {}",
                    max.get_ref(),
                    e.min.get_ref()
                ),
            ));
        }
        if let Some(t) = &e.min_if_need_above
            && !t.get_ref().is_finite()
        {
            return Err(self.invalid(
                t.span(),
                "siting.equity.min_if_need_above",
                format!(
                    "must be a finite number on the index scale, found {}",
                    t.get_ref()
                ),
            ));
        }
        Ok(())
    }
}
