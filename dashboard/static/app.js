// nash board: the runs list, a run's page and the comparison of runs, drawn
// from the JSON API of package dashboard and kept live by its event stream.
"use strict";

// board is the page's state; the browser test reads it.
const board = window.board = { ready: false, charts: {}, runs: [], timelines: {} };

const MAX_POINTS = 2000;
const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777", "#4b5563", "#65a30d"];
// Keys drawn on the fixed charts, or not drawn over steps at all.
const FIXED = new Set(["step", "epoch", "time", "loss_d", "loss_g", "d_real", "d_fake"]);
// The labels of metrics keys; a run's page takes its runs' from the server.
const LABELS = { loss_d: "loss_d", loss_g: "loss_g", d_real: "D(x)", d_fake: "D(G(z))" };
// The weight of the exponential moving average drawn over each series, as
// TensorBoard's smoothing slider sets it (0: none); the raw values stay
// drawn faintly beneath.
board.smoothing = 0.6;

// smooth returns TensorBoard's smoothing of values: an exponential moving
// average with weight w, debiased for its start, over the finite values
// (nulls stay null).
function smooth(values, w) {
  let last = 0, n = 0;
  return values.map((v) => {
    if (v === null || v === undefined || !Number.isFinite(v)) return null;
    last = last * w + (1 - w) * v;
    n++;
    return w === 0 ? v : last / (1 - Math.pow(w, n));
  });
}

function label(k) {
  return LABELS[k] || k;
}

// el makes an element with attributes and children (strings become text).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

async function getJSON(url) {
  const r = await fetch(url, { cache: "no-store" });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error || r.statusText);
  return body;
}

function fmt(v) {
  if (v === null || v === undefined) return "–";
  const a = Math.abs(v);
  if (Number.isInteger(v) && a < 1e7) return String(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(3);
  return v.toPrecision(4);
}

function ago(iso) {
  if (!iso) return "–";
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (s < 60) return Math.round(s) + " s ago";
  if (s < 3600) return Math.round(s / 60) + " min ago";
  if (s < 86400) return Math.round(s / 3600) + " h ago";
  return new Date(iso).toLocaleString();
}

function badge(status) {
  return el("span", { class: "badge " + status }, status);
}

function runURL(name) {
  return "/run/" + encodeURIComponent(name);
}

function apiRun(name) {
  return "/api/runs/" + encodeURIComponent(name);
}

// ---- the runs list ----

async function listPage() {
  document.title = "nash board";
  const main = document.getElementById("main");
  const selected = new Set();
  const compare = el("button", { disabled: true, onclick: () => {
    const q = new URLSearchParams();
    for (const n of selected) q.append("run", n);
    location.href = "/compare?" + q;
  } }, "Compare selected");
  const table = el("div");
  main.replaceChildren(el("div", { class: "toolbar" }, compare, el("span", { class: "muted" }, "Select runs to overlay their charts.")), table);

  async function refresh() {
    let list;
    try {
      list = await getJSON("/api/runs");
    } catch (err) {
      table.replaceChildren(el("p", { class: "error" }, "Cannot list the runs: " + err.message));
      return;
    }
    board.runs = list;
    if (list.length === 0) {
      table.replaceChildren(el("p", { class: "muted" }, "No runs in this folder yet. Start one with ", el("code", {}, "nash train --out runs/NAME"), "."));
      return;
    }
    const rows = list.map((r) => {
      const box = el("input", { type: "checkbox", checked: selected.has(r.name), onchange: (e) => {
        if (e.target.checked) selected.add(r.name); else selected.delete(r.name);
        compare.disabled = selected.size === 0;
      } });
      const others = Object.entries(r.latest || {}).filter(([k]) => !FIXED.has(k)).map(([k, v]) => k + " " + fmt(v)).join(", ");
      const steps = r.steps ? " / " + r.steps : r.epochs ? " (" + r.epochs + " epochs)" : "";
      return el("tr", {},
        el("td", {}, box),
        el("td", {}, el("a", { href: runURL(r.name) }, r.name), r.problem ? el("div", { class: "error" }, r.problem) : null),
        el("td", {}, badge(r.status)),
        el("td", {}, r.dataset || "–"), el("td", {}, r.model || "–"), el("td", {}, r.loss || "–"),
        el("td", { class: "num" }, fmt(r.step) + steps),
        ...["loss_d", "loss_g", "d_real", "d_fake"].map((k) => el("td", { class: "num" }, fmt((r.latest || {})[k]))),
        el("td", {}, others),
        el("td", {}, ago(r.updated)),
        el("td", {}, sampleCell(r)));
    });
    const head = ["", "run", "status", "dataset", "model", "loss", "step", "loss_d", "loss_g", "D(x)", "D(G(z))", "other", "updated", "samples"];
    table.replaceChildren(el("table", { class: "runs" }, el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))), el("tbody", {}, rows)));
    compare.disabled = selected.size === 0;
  }
  await refresh();
  board.ready = true;
  setInterval(refresh, 5000);
}

// sampleCell shows a run's latest samples in the runs list: its grid, or a
// link to its generated sequences.
function sampleCell(r) {
  if (!r.latest_sample) return null;
  if (r.latest_text) return el("a", { href: r.latest_sample, class: "latest-text" }, "lines");
  return el("img", { src: r.latest_sample, alt: "latest samples" });
}

// ---- a run's page, or several runs compared ----

// run holds what the page has of one run: its metrics as columns of the
// points drawn (possibly downsampled), gen and rows as the server counts
// them, and its sample grids.
function newRun(name, index) {
  return { name, index, gen: 0, rows: 0, points: 0, skipped: 0, cols: {}, samples: [], status: "" };
}

async function loadMetrics(run) {
  const m = await getJSON(apiRun(run.name) + "/metrics?max_points=" + MAX_POINTS);
  run.gen = m.gen;
  run.rows = m.rows;
  run.skipped = m.skipped;
  run.cols = m.columns;
  run.points = (m.columns.step || []).length;
}

// chartSpecs lists the charts of runs: losses, D's outputs (probabilities
// with their equilibrium if every run's objective gives probabilities, raw
// scores otherwise), then one chart per further metric.
function chartSpecs(runs, probabilistic) {
  const specs = [
    { id: "losses", title: "Losses", keys: ["loss_d", "loss_g"] },
    probabilistic ?
      { id: "disc", title: "Discriminator: D(x) and D(G(z))", keys: ["d_real", "d_fake"], equilibrium: true } :
      { id: "disc", title: "Discriminator scores: D(x) and D(G(z))", keys: ["d_real", "d_fake"] },
  ];
  const extra = [];
  for (const r of runs) {
    for (const k of Object.keys(r.cols)) {
      if (!FIXED.has(k) && !extra.includes(k)) extra.push(k);
    }
  }
  for (const k of extra) specs.push({ id: "metric:" + k, title: label(k), keys: [k] });
  return specs;
}

// chartData returns uPlot's columns for spec: steps, then for each run its
// raw column of each key followed by their smoothed columns, aligned over
// the union of the runs' steps.
function chartData(spec, runs) {
  const tables = runs.map((r) => {
    const x = r.cols.step || [];
    const raw = spec.keys.map((k) => r.cols[k] || new Array(x.length).fill(null));
    return [x, ...raw, ...raw.map((c) => smooth(c, board.smoothing))];
  });
  if (tables.length === 1) return tables[0];
  return uPlot.join(tables);
}

// equilibrium draws the dashed line D = 0.5, where D cannot tell real from
// generated samples.
function equilibrium(u) {
  const y = u.valToPos(0.5, "y", true);
  const ctx = u.ctx;
  ctx.save();
  ctx.strokeStyle = "#6b7480";
  ctx.lineWidth = devicePixelRatio;
  ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
  ctx.beginPath();
  ctx.moveTo(u.bbox.left, y);
  ctx.lineTo(u.bbox.left + u.bbox.width, y);
  ctx.stroke();
  ctx.restore();
}

// sparse tells uPlot to mark the points of a series with few values, such
// as a metric logged rarely, which a line alone would not show.
function sparse(u, si) {
  let n = 0;
  for (const v of u.data[si]) {
    if (v != null && ++n > 100) return false;
  }
  return true;
}

function makeChart(spec, runs, container) {
  const box = el("div", { class: "chart", "data-chart": spec.id }, el("h3", {}, spec.title));
  container.append(box);
  const series = [{ label: "step" }];
  runs.forEach((r, ri) => {
    const color = (ki) => runs.length > 1 ? COLORS[ri % COLORS.length] : COLORS[ki % COLORS.length];
    const name = (k) => (runs.length > 1 ? r.name + " · " : "") + label(k);
    // The raw values faintly, then their smoothing; lines span the gaps of
    // metrics logged less often than every record and of runs logged at
    // other steps.
    spec.keys.forEach((k, ki) => {
      series.push({ label: name(k) + " (raw)", stroke: color(ki) + "40", width: 1, spanGaps: true,
        points: { show: sparse, size: 5, fill: color(ki) + "40" } });
    });
    spec.keys.forEach((k, ki) => {
      series.push({ label: name(k), stroke: color(ki), width: 1.5, dash: runs.length > 1 && ki > 0 ? [6, 3] : undefined, spanGaps: true,
        points: { show: sparse, size: 6, fill: color(ki) } });
    });
  });
  const opts = {
    width: Math.max(300, box.clientWidth - 12),
    height: 260,
    series,
    scales: { x: { time: false } },
    axes: [{ label: "step" }, {}],
    legend: { live: true },
  };
  if (spec.equilibrium) {
    opts.scales.y = { range: (u, lo, hi) => [Math.min(0, lo ?? 0), Math.max(1, hi ?? 1)] };
    opts.hooks = { draw: [equilibrium] };
  }
  const u = new uPlot(opts, chartData(spec, runs), box);
  if (spec.equilibrium) box.append(el("p", { class: "note" }, "Dashed line: D = 0.5, the equilibrium where D cannot tell real from generated."));
  board.charts[spec.id] = u;
  return { spec, u, box };
}

function timeline(run, container) {
  const label = el("span", { class: "muted" });
  const slider = el("input", { type: "range", min: 0, max: 0, value: 0, class: "tl-slider", "data-run": run.name });
  const img = el("img", { class: "tl-img", alt: "sample grid", src: "" });
  // A conditional run's class grid of the same step: one labelled row per class.
  const classes = el("img", { class: "tl-classes", alt: "one row per class", src: "" });
  // A run on token sequences: the generated sequences of the step, one a line.
  const text = el("pre", { class: "tl-text", hidden: true });
  const empty = el("p", { class: "muted" }, "No samples yet.");
  const box = el("div", { class: "timeline" }, el("div", {}, el("b", {}, run.name), " ", label), slider, img, classes, text, empty);
  container.append(box);
  // The step's lines are fetched once each time the step shown changes; the
  // answer for a step no longer shown is dropped.
  let textURL = "";
  async function showText(url) {
    if (textURL === url) return;
    textURL = url;
    let body;
    try {
      const r = await fetch(url, { cache: "no-store" });
      body = r.ok ? await r.text() : "Cannot read " + url + ": " + r.statusText;
    } catch (err) {
      body = "Cannot read " + url + ": " + err.message;
    }
    if (textURL === url) {
      text.textContent = body;
      text.dataset.url = url;
    }
  }
  function show() {
    const s = run.samples[Number(slider.value)];
    empty.hidden = !!s;
    slider.hidden = !s;
    text.hidden = !s || !s.text;
    if (!s) return;
    label.textContent = "step " + s.step + " (" + (Number(slider.value) + 1) + " of " + run.samples.length + ")";
    if (s.text) {
      img.setAttribute("src", "");
      showText(s.url);
    } else if (img.getAttribute("src") !== s.url) img.src = s.url;
    const c = s.classes ?? "";
    if (classes.getAttribute("src") !== c) classes.setAttribute("src", c);
  }
  slider.addEventListener("input", show);
  const t = {
    slider, img, text,
    set(list) {
      const atEnd = Number(slider.value) >= run.samples.length - 1;
      run.samples = list;
      slider.max = Math.max(0, list.length - 1);
      if (atEnd) slider.value = slider.max;
      show();
    },
  };
  board.timelines[run.name] = t;
  return t;
}

function interpolation(detail, container) {
  const box = el("div", { class: "panel interp" }, el("h3", {}, "Latent interpolation"));
  container.append(box);
  if (!detail.interpolation) {
    box.append(el("p", { class: "muted" }, "Latent interpolation is unavailable: this server has no generator to sample from."));
    return;
  }
  const from = el("input", { type: "number", min: 0, value: 1, name: "from" });
  const to = el("input", { type: "number", min: 0, value: 2, name: "to" });
  const steps = el("input", { type: "number", min: 2, max: 32, value: 10, name: "steps" });
  const slerp = el("input", { type: "checkbox", checked: true, name: "slerp" });
  const img = el("img", { alt: "interpolation", src: "" });
  const msg = el("p", { class: "error" });
  const form = el("form", { onsubmit: async (e) => {
    e.preventDefault();
    const q = new URLSearchParams({ from: from.value, to: to.value, steps: steps.value, slerp: slerp.checked });
    const url = apiRun(detail.name) + "/interpolate?" + q;
    msg.textContent = "";
    const r = await fetch(url);
    if (!r.ok) {
      msg.textContent = (await r.json()).error;
      return;
    }
    img.src = URL.createObjectURL(await r.blob());
  } },
  el("label", {}, "from seed ", from), el("label", {}, "to seed ", to), el("label", {}, "steps ", steps),
  el("label", {}, slerp, " spherical (slerp)"), el("button", { type: "submit" }, "Render"));
  box.append(form, msg, img);
}

// EVAL_COLUMNS are the numbers the evaluations table shows, with labels.
const EVAL_COLUMNS = [["fid", "FID"], ["kid", "KID"], ["precision", "precision"], ["recall", "recall"], ["is", "IS"],
  ["classes", "classes"], ["c2st", "C2ST acc."], ["swd", "SWD×10³"], ["ms_ssim", "MS-SSIM"]];

// evaluations lists the run's reports by nash eval, newest first: each
// number of the generated images beside the real-data floor's.
async function evaluations(name, container) {
  const box = el("div", { class: "panel evals" }, el("h3", {}, "Evaluations (nash eval)"));
  container.append(box);
  let rows;
  try {
    rows = await getJSON(apiRun(name) + "/evals");
  } catch (err) {
    box.append(el("p", { class: "error" }, err.message));
    return;
  }
  if (rows.length === 0) {
    box.append(el("p", { class: "muted" }, "None yet: ", el("code", {}, "nash eval --run " + name), " measures the run and keeps every report."));
    return;
  }
  const cols = EVAL_COLUMNS.filter(([k]) => rows.some((r) => k in r.generated));
  const head = ["time", "checkpoint", "step", "n", ...cols.map(([, l]) => l)];
  const body = rows.slice().reverse().map((r) => el("tr", {},
    el("td", {}, ago(r.time)), el("td", {}, r.checkpoint), el("td", { class: "num" }, fmt(r.step)), el("td", { class: "num" }, fmt(r.n)),
    ...cols.map(([k]) => el("td", { class: "num" }, k in r.generated ? fmt(r.generated[k]) : "–",
      k in r.floor ? el("span", { class: "muted" }, " (" + fmt(r.floor[k]) + ")") : null))));
  box.append(el("table", { class: "runs" }, el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))), el("tbody", {}, body)),
    el("p", { class: "note" }, "In parentheses: the real-data floor, real images against real images at the same n."));
  board.evals = rows;
}

async function runPage(names) {
  const main = document.getElementById("main");
  if (names.length === 0) {
    main.replaceChildren(el("p", { class: "error" }, "No runs to show: pick some on the list."));
    return;
  }
  document.title = names.join(", ") + " · nash board";
  document.getElementById("crumb").textContent = names.length > 1 ? "compare " + names.join(", ") : names[0];
  const runs = names.map(newRun);
  let details;
  try {
    details = await Promise.all(names.map((n) => getJSON(apiRun(n))));
    await Promise.all(runs.map(loadMetrics));
  } catch (err) {
    main.replaceChildren(el("p", { class: "error" }, err.message));
    return;
  }

  for (const d of details) Object.assign(LABELS, d.labels || {});
  const summary = el("div");
  const counts = el("p", { class: "muted" });
  const slider = el("input", { type: "range", min: 0, max: 0.99, step: 0.01, value: board.smoothing, class: "smoothing" });
  const weight = el("span", { class: "num" }, board.smoothing.toFixed(2));
  const smoothing = el("label", { class: "muted" }, "smoothing ", slider, " ", weight);
  const charts = el("div", { class: "charts" });
  const timelines = el("div", { class: names.length > 1 ? "timelines compact" : "timelines" });
  main.replaceChildren(summary, el("h2", {}, "Metrics"), el("div", { class: "toolbar" }, counts, smoothing), charts, el("h2", {}, "Samples"), timelines);

  const badges = {};
  const steps = {};
  summary.append(...details.map((d) => {
    badges[d.name] = badge(d.status);
    const cfg = Object.entries(d.config || {}).map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", {}, typeof v === "object" ? JSON.stringify(v) : String(v))));
    return el("div", { class: "panel" },
      el("div", { class: "summary" },
        el("span", {}, el("b", {}, el("a", { href: runURL(d.name) }, d.name))), badges[d.name],
        el("span", {}, "dataset ", el("b", {}, d.dataset || "–")), el("span", {}, "model ", el("b", {}, d.model || "–")),
        el("span", {}, "loss ", el("b", {}, d.loss || "–")), el("span", {}, "step ", steps[d.name] = el("b", {}, fmt(d.step)))),
      d.problem ? el("p", { class: "error" }, d.problem) : null,
      cfg.length ? el("details", {}, el("summary", {}, "configuration"), el("table", {}, cfg)) : null);
  }));

  const probabilistic = details.every((d) => d.probabilistic);
  let drawn = [];
  function drawCharts() {
    for (const c of drawn) c.u.destroy();
    charts.replaceChildren();
    board.charts = {};
    drawn = chartSpecs(runs, probabilistic).map((spec) => makeChart(spec, runs, charts));
    updateCounts();
  }
  function updateCharts() {
    const specs = chartSpecs(runs, probabilistic);
    if (specs.length !== drawn.length) {
      drawCharts();
      return;
    }
    for (const c of drawn) c.u.setData(chartData(c.spec, runs));
    updateCounts();
  }
  function updateCounts() {
    counts.textContent = runs.map((r) => (runs.length > 1 ? r.name + ": " : "") + r.rows.toLocaleString() + " records" +
      (r.points < r.rows ? " (drawn as " + r.points.toLocaleString() + " points)" : "") +
      (r.skipped ? ", " + r.skipped + " malformed lines skipped" : "")).join("; ");
  }
  drawCharts();
  slider.addEventListener("input", () => {
    board.smoothing = Number(slider.value);
    weight.textContent = board.smoothing.toFixed(2);
    for (const c of drawn) c.u.setData(chartData(c.spec, runs));
  });
  window.addEventListener("resize", () => {
    for (const c of drawn) c.u.setSize({ width: Math.max(300, c.box.clientWidth - 12), height: 260 });
  });

  const tl = {};
  for (const r of runs) tl[r.name] = timeline(r, timelines);
  await Promise.all(runs.map(async (r) => tl[r.name].set(await getJSON(apiRun(r.name) + "/samples"))));
  if (runs.length === 1) {
    await evaluations(names[0], main);
    interpolation(details[0], main);
  }

  // Live updates: one event stream for every run on the page.
  const live = document.getElementById("live");
  let source = null;
  let reloading = false;
  function connect() {
    const q = new URLSearchParams();
    for (const r of runs) {
      q.append("run", r.name);
      q.append("gen", r.gen);
      q.append("rows", r.rows);
    }
    source = new EventSource("/api/events?" + q);
    source.onopen = () => { live.className = "live on"; live.textContent = "live"; };
    source.onerror = () => {
      live.className = "live";
      live.textContent = "reconnecting…";
      source.close();
      setTimeout(connect, 2000);
    };
    source.addEventListener("metrics", (e) => {
      const ev = JSON.parse(e.data);
      const r = runs.find((x) => x.name === ev.run);
      if (!r) return;
      if (ev.gen !== r.gen && r.rows > 0 || ev.from !== r.rows) {
        reload();
        return;
      }
      r.gen = ev.gen;
      const n = (ev.columns.step || []).length;
      for (const [k, values] of Object.entries(ev.columns)) {
        if (!r.cols[k]) r.cols[k] = new Array(r.points).fill(null);
        r.cols[k].push(...values);
      }
      for (const [k, col] of Object.entries(r.cols)) {
        if (!(k in ev.columns)) col.push(...new Array(n).fill(null));
      }
      r.points += n;
      r.rows = ev.rows;
      if (n > 0 && steps[r.name]) steps[r.name].textContent = fmt(ev.columns.step[n - 1]);
      if (r.points > 2 * MAX_POINTS) reload();
      else updateCharts();
    });
    source.addEventListener("reset", reload);
    source.addEventListener("samples", (e) => {
      const ev = JSON.parse(e.data);
      if (tl[ev.run]) tl[ev.run].set(ev.samples);
    });
    source.addEventListener("status", (e) => {
      const ev = JSON.parse(e.data);
      if (badges[ev.run]) badges[ev.run].replaceWith(badges[ev.run] = badge(ev.status));
    });
  }
  async function reload() {
    if (reloading) return;
    reloading = true;
    source.close();
    try {
      await Promise.all(runs.map(loadMetrics));
      updateCharts();
    } finally {
      reloading = false;
      connect();
    }
  }
  connect();
  board.runs = runs;
  board.ready = true;
}

function route() {
  const path = location.pathname;
  if (path.startsWith("/run/")) return runPage([decodeURIComponent(path.slice("/run/".length))]);
  if (path === "/compare") return runPage(new URLSearchParams(location.search).getAll("run"));
  return listPage();
}

route();
