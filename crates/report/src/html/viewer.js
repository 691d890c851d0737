// careblock report map viewer: pan and zoom, switchable layers, and what `careblock explain`
// says about a clicked district, unit or site. No library, no network; the page works without
// it (the map is then the static picture). Data: the JSON in #cb-data, with the page's words in
// its language under "t" (templates with {name} placeholders, and the number separators).
(function () {
  "use strict";
  window.addEventListener("error", function (e) {
    document.documentElement.setAttribute("data-js-error", String(e.message));
  });
  var svg = document.getElementById("cb-map");
  var dataEl = document.getElementById("cb-data");
  if (!svg || !dataEl) return;
  var D = JSON.parse(dataEl.textContent);
  var T = D.t;
  // A template of T with its {name} placeholders filled (as plain text).
  function tr(key, args) {
    return T[key].replace(/\{(\w+)\}/g, function (m, name) {
      return args && Object.prototype.hasOwnProperty.call(args, name) ? String(args[name]) : m;
    });
  }
  // A number with d decimals and the page's separators ("1,234.5", "1.234,5").
  function fmt(v, d) {
    if (v === null || v === undefined || !isFinite(v)) return "–";
    var x = Number(v), neg = x < 0, parts = Math.abs(x).toFixed(d).split(".");
    var int = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, T.group);
    var out = parts.length > 1 ? int + T.point + parts[1] : int;
    return neg && /[1-9]/.test(out) ? "-" + out : out;
  }
  // A number as it is (the scale bar's length), with the page's decimal separator.
  function plain(v) { return String(v).replace(".", T.point); }
  var view = document.getElementById("cb-view");
  var info = document.getElementById("cb-info");
  var W = svg.viewBox.baseVal.width, H = svg.viewBox.baseVal.height;
  var s = 1, tx = 0, ty = 0;
  document.querySelectorAll(".cb-js").forEach(function (el) { el.style.display = ""; });

  // Markers keep their size on screen: radius, font size and triangle are divided by the zoom.
  var marks = [];
  svg.querySelectorAll("[data-r]").forEach(function (el) {
    marks.push({ el: el, r: parseFloat(el.getAttribute("data-r")) });
  });
  var tris = [];
  svg.querySelectorAll("[data-tri]").forEach(function (el) {
    var p = el.getAttribute("data-tri").split(" ");
    tris.push({ el: el, x: parseFloat(p[0]), y: parseFloat(p[1]) });
  });
  var bar = document.getElementById("cb-bar"), barText = document.getElementById("cb-bar-text");
  var barBox = document.getElementById("cb-bar-box");
  function nice(m) {
    var p = Math.pow(10, Math.floor(Math.log10(m))), f = m / p;
    return (f >= 5 ? 5 : f >= 2 ? 2 : 1) * p;
  }
  function apply() {
    view.setAttribute("transform", "translate(" + tx + " " + ty + ") scale(" + s + ")");
    marks.forEach(function (m) {
      if (m.el.tagName === "text") {
        m.el.style.fontSize = (m.r / s).toFixed(3) + "px";
        m.el.setAttribute("dy", (m.r * 0.35 / s).toFixed(3));
      } else {
        m.el.setAttribute("r", (m.r / s).toFixed(3));
      }
    });
    tris.forEach(function (t) {
      var k = 1 / s;
      t.el.setAttribute("d", "M" + t.x + " " + (t.y - 6.9 * k) + "l" + 6 * k + " " + 10.4 * k + "h" + -12 * k + "z");
    });
    if (bar && D.px_per_m > 0) {
      var len = nice(W / (D.px_per_m * s) / 5), px = len * D.px_per_m * s;
      bar.setAttribute("d", "M14 " + (H - 18) + "v6h" + px.toFixed(1) + "v-6");
      barText.textContent = len >= 1000 ? plain(len / 1000) + " km" : plain(len) + " m";
      barText.setAttribute("x", (20 + px).toFixed(1));
      barBox.setAttribute("width", (px + 20 + 7 * barText.textContent.length).toFixed(1));
    }
  }
  function point(evt) {
    var p = svg.createSVGPoint();
    p.x = evt.clientX; p.y = evt.clientY;
    return p.matrixTransform(svg.getScreenCTM().inverse());
  }
  function zoom(f, cx, cy) {
    var ns = Math.min(200, Math.max(1, s * f));
    f = ns / s;
    tx = cx - (cx - tx) * f; ty = cy - (cy - ty) * f; s = ns;
    if (s === 1) { tx = 0; ty = 0; }
    apply();
  }
  svg.addEventListener("wheel", function (e) {
    e.preventDefault();
    var p = point(e);
    zoom(e.deltaY < 0 ? 1.25 : 0.8, p.x, p.y);
  }, { passive: false });
  var drag = null, moved = false;
  svg.addEventListener("pointerdown", function (e) {
    drag = { p: point(e), tx: tx, ty: ty }; moved = false;
  });
  svg.addEventListener("pointermove", function (e) {
    if (!drag) return;
    var p = point(e), dx = p.x - drag.p.x, dy = p.y - drag.p.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) moved = true;
    if (moved) { tx = drag.tx + dx; ty = drag.ty + dy; apply(); }
  });
  window.addEventListener("pointerup", function () { drag = null; });
  svg.addEventListener("dblclick", function (e) { var p = point(e); zoom(2, p.x, p.y); });
  document.getElementById("cb-in").onclick = function () { zoom(1.5, W / 2, H / 2); };
  document.getElementById("cb-out").onclick = function () { zoom(1 / 1.5, W / 2, H / 2); };
  document.getElementById("cb-reset").onclick = function () { s = 1; tx = 0; ty = 0; apply(); };

  // Layers.
  function show(layer, on) {
    svg.querySelectorAll('[data-layer="' + layer + '"]').forEach(function (g) {
      g.style.display = on ? "" : "none";
    });
  }
  document.querySelectorAll("input[data-toggle]").forEach(function (box) {
    box.addEventListener("change", function () { show(box.getAttribute("data-toggle"), box.checked); });
  });

  // The info panel, built with text nodes only (every value from data stays text).
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  function pct(v, d) { return v === null || v === undefined ? "–" : fmt(100 * v, d) + " %"; }
  function areaInfo(level, a) {
    // a = [id, label, index, rank, class, median, p05, p95, p_top, [contributions]]
    var box = el("div");
    box.appendChild(el("h3", tr(level === "units" ? "unit" : "district", { name: a[0] + (a[1] ? " (" + a[1] + ")" : "") })));
    if (a[3] === null) {
      box.appendChild(el("p", T.not_ranked));
      return box;
    }
    box.appendChild(el("p", tr("rank", { rank: a[3], ranked: D.ranked[level], "class": a[4], classes: D.classes, index: fmt(a[2], 2) })));
    if (a[5] !== null) {
      box.appendChild(el("p", tr("monte_carlo", { draws: D.draws, median: fmt(a[5], 0), lo: fmt(a[6], 0), hi: fmt(a[7], 0), p_top: pct(a[8], 0) })));
    }
    var rows = D.indicators.map(function (name, k) { return [name, a[9][k]]; });
    rows.sort(function (x, y) { return (y[1] === null ? -1e300 : y[1]) - (x[1] === null ? -1e300 : x[1]); });
    var t = el("table", null, "data");
    var h = el("tr"); h.appendChild(el("th", T.indicator)); h.appendChild(el("th", T.contribution)); t.appendChild(h);
    var sum = 0;
    rows.forEach(function (r) {
      var row = el("tr"); row.appendChild(el("td", r[0])); row.appendChild(el("td", fmt(r[1], 2), "n"));
      if (r[1] !== null) sum += r[1];
      t.appendChild(row);
    });
    var last = el("tr", null, "sum"); last.appendChild(el("td", T.sum)); last.appendChild(el("td", fmt(sum, 2), "n"));
    t.appendChild(last);
    box.appendChild(el("p", T.contributions));
    box.appendChild(t);
    return box;
  }
  function siteInfo(x) {
    // x = [status, rank, id, label, category, gain, irreplaceability, demand, selection
    //      frequency, mean rank when chosen]
    var box = el("div");
    var what = tr(x[0], { rank: x[1] });
    box.appendChild(el("h3", tr("site", { what: what, name: x[2] + (x[3] ? " (" + x[3] + ")" : "") })));
    box.appendChild(el("p", x[4]));
    if (x[0] !== "existing") {
      box.appendChild(el("p", tr("gain", { gain: fmt(x[5], 0), share: pct(D.total_demand > 0 ? x[5] / D.total_demand : null, 1) })));
      box.appendChild(el("p", x[6] === null
        ? T.irreplaceability_none
        : tr("irreplaceability", { value: fmt(x[6], 0) })));
    }
    box.appendChild(el("p", tr("demand", { demand: fmt(x[7], 0) })));
    if (x[8] !== null && x[8] !== undefined) {
      box.appendChild(el("p", tr("frequency", { share: pct(x[8], 0), draws: D.robust_draws, mean_rank: x[9] !== null ? tr("frequency_rank", { rank: fmt(x[9], 1) }) : "" })));
    }
    return box;
  }
  var selected = null;
  svg.addEventListener("click", function (e) {
    if (moved) return;
    var t = e.target.closest("[data-i]");
    if (!t) return;
    var layer = t.parentNode.closest("[data-layer]").getAttribute("data-layer");
    var i = parseInt(t.getAttribute("data-i"), 10);
    if (selected) selected.classList.remove("sel");
    selected = t; t.classList.add("sel");
    info.textContent = "";
    if (layer === "districts" || layer === "units") info.appendChild(areaInfo(layer, D[layer][i]));
    else info.appendChild(siteInfo(D.sites[i]));
  });

  // Start-up from the address: #layers=units,proposed shows only those; #zoom=2 zooms on the
  // centre; #click=districts:ID clicks that feature (how the tests drive the page).
  var hash = decodeURIComponent(location.hash.slice(1));
  hash.split("&").forEach(function (kv) {
    var p = kv.split("=");
    if (p[0] === "layers") {
      var on = p[1].split(",");
      document.querySelectorAll("input[data-toggle]").forEach(function (box) {
        box.checked = on.indexOf(box.getAttribute("data-toggle")) >= 0;
        show(box.getAttribute("data-toggle"), box.checked);
      });
    } else if (p[0] === "zoom") {
      zoom(parseFloat(p[1]), W / 2, H / 2);
    } else if (p[0] === "click") {
      var lv = p[1].slice(0, p[1].indexOf(":")), id = p[1].slice(p[1].indexOf(":") + 1);
      var rows = lv === "sites" ? D.sites.map(function (x) { return x[2]; }) : D[lv].map(function (x) { return x[0]; });
      var i = rows.indexOf(id);
      var g = svg.querySelector('[data-layer="' + (lv === "sites" ? D.sites[i][0] : lv) + '"]');
      var t = g && g.querySelector('[data-i="' + i + '"]');
      if (t) t.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    }
  });
  apply();
})();
