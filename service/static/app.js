"use strict";
// drillwatch dashboard: fleet, well, alert and models views; live over Server-Sent Events.
// Plain JavaScript served by the app (chart.js beside it); no CDN, no build step.

const wells = new Map();
const alerts = new Map();
const KEY_CHANNELS = [
  ["Hookload kN", ["HKLA"]],
  ["Torque kN·m", ["TQA"]],
  ["Standpipe pressure kPa", ["SPPA"]],
  ["Flow in / out L/min", ["MFIA", "MFOA"]],
  ["Pit volume m³", ["TVA"]],
  ["Rotary speed rpm / ROP m/h", ["RPMA", "ROPA"]],
];
const RIG_COLORS = {
  rotary_drilling: "rgba(63,185,80,.10)", slide_drilling: "rgba(63,185,80,.18)",
  reaming: "rgba(88,166,255,.12)", back_reaming: "rgba(88,166,255,.18)",
  circulating: "rgba(210,168,255,.12)", trip_in: "rgba(227,179,65,.12)",
  trip_out: "rgba(227,179,65,.20)", connection: "rgba(138,150,163,.18)",
};

function fmtTime(iso) {
  if (!iso) return "—";
  return new Date(iso).toISOString().replace("T", " ").slice(0, 19);
}

function fmtAge(iso) {
  if (!iso) return "—";
  const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
  if (s < 90) return `${s.toFixed(0)} s`;
  if (s < 5400) return `${(s / 60).toFixed(0)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

function human(name) {
  return name ? name.replaceAll("_", " ") : "—";
}

const CHANNEL_NAMES = {
  HKLA: "hookload", WOBA: "WOB", TQA: "torque", RPMA: "rotary speed", SPPA: "standpipe pressure",
  CHKP: "choke pressure", MFIA: "flow in", MFOA: "flow out", MFOP: "flow out paddle", TVA: "pit volume",
  GASA: "gas", ROPA: "ROP", DBTM: "bit depth", FLOWDIFF: "flow out − flow in",
  SPPFLOW: "SPP per flow^1.8", TQWOB: "torque / WOB", ROPWOB: "ROP / WOB",
  OVERPULL: "hookload vs its rig state (overpull)", RIG: "rig state",
};
const CALC_NAMES = {
  mean: "mean", std: "variability", min: "minimum", max: "maximum", slope: "trend per min",
  change: "change", rchange: "relative change", rslope: "relative trend", zlast: "last vs window (z)",
  meanabschange: "roughness", nanshare: "share missing", flat: "frozen sensor",
  basedev: "vs its slow baseline", roughdev: "roughness vs its usual",
};

// "TQA__max__window_1800" -> "torque · maximum · 30 min window"
function describeFeature(name) {
  const [channel, calc, param] = name.split("__");
  const seconds = Number((param || "").replace("window_", ""));
  const window = Number.isFinite(seconds) && seconds > 0 ? `${seconds / 60} min window` : param || "";
  const what = calc && calc.startsWith("share_") ? `share ${human(calc.slice(6))}` : CALC_NAMES[calc] || calc;
  return [CHANNEL_NAMES[channel] || channel, what, window].filter(Boolean).join(" · ");
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

async function api(path, options = {}) {
  const r = await fetch(path, { headers: { "content-type": "application/json" }, ...options });
  const body = r.headers.get("content-type")?.includes("json") ? await r.json() : await r.text();
  if (!r.ok) throw new Error(body.detail || `${r.status} ${r.statusText}`);
  return body;
}

function who() {
  return document.getElementById("who").value.trim() || "operator";
}

// ---------------------------------------------------------------- fleet view

function renderWells() {
  const body = document.querySelector("#wells tbody");
  body.replaceChildren();
  if (wells.size === 0) {
    body.append(el("tr", { class: "empty" }, el("td", { colspan: 5 }, "No wells yet: telemetry creates them.")));
    return;
  }
  const open = new Map();
  for (const a of alerts.values()) {
    if (a.status !== "open") continue;
    const per = open.get(a.well_id) || {};
    per[a.type] = (per[a.type] || 0) + 1;
    open.set(a.well_id, per);
  }
  for (const w of [...wells.values()].sort((a, b) => a.id.localeCompare(b.id))) {
    const ageS = w.last_sample_at ? (Date.now() - new Date(w.last_sample_at).getTime()) / 1000 : Infinity;
    const age = el("td", ageS > 120 ? { class: "gap", title: "data gap: no sample for over 2 min" } : {}, fmtAge(w.last_sample_at));
    const badges = el("td");
    for (const [type, n] of Object.entries(open.get(w.id) || {})) badges.append(el("span", { class: "badge" }, `${human(type)} ×${n}`));
    body.append(el("tr", { "data-well": w.id, class: "link", onclick: () => { location.hash = `#/wells/${encodeURIComponent(w.id)}`; } },
      el("td", {}, el("a", { href: `#/wells/${encodeURIComponent(w.id)}` }, w.id)), el("td", {}, human(w.rig_state)),
      el("td", {}, fmtTime(w.last_sample_at)), age, badges));
  }
}

function alertRow(a, newId) {
  const feats = (a.contributions || []).slice(0, 2).map((c) => describeFeature(c.feature)).join("; ");
  const cls = ["link", a.status === "open" ? "open" : "", a.id === newId ? "new" : ""].join(" ").trim();
  return el("tr", { "data-alert": a.id, class: cls, onclick: () => { location.hash = `#/alerts/${a.id}`; } },
    el("td", {}, fmtTime(a.time)), el("td", {}, a.well_id), el("td", { class: "type" }, human(a.type)),
    el("td", {}, a.probability.toFixed(2)), el("td", {}, human(a.rig_state)),
    el("td", { class: "features" }, feats), el("td", { class: `status status-${a.status}` }, a.status));
}

function renderAlerts(newId) {
  const body = document.querySelector("#alerts tbody");
  body.replaceChildren();
  if (alerts.size === 0) {
    body.append(el("tr", { class: "empty" }, el("td", { colspan: 7 }, "No alerts. Quiet is good.")));
    return;
  }
  const sorted = [...alerts.values()].sort((a, b) => new Date(b.time) - new Date(a.time)).slice(0, 200);
  for (const a of sorted) body.append(alertRow(a, newId));
}

async function load() {
  const [ws, as, ready] = await Promise.all([api("/api/v1/wells"), api("/api/v1/alerts?limit=200"), api("/ready")]);
  // The fleet list names the stored rig state `last_rig_state`; live `well` events say `rig_state`.
  ws.forEach((w) => wells.set(w.id, { ...w, rig_state: w.rig_state ?? w.last_rig_state }));
  as.forEach((a) => alerts.set(a.id, a));
  document.getElementById("model").textContent = ready.model_version ? `model ${ready.model_version}` : "";
  renderWells();
  renderAlerts();
}

// ---------------------------------------------------------------- well view

async function showWell(wellId) {
  const view = document.getElementById("well-view");
  const endInput = document.getElementById("replay-end");
  document.getElementById("well-title").textContent = wellId;
  const well = wells.get(wellId) || (await api(`/api/v1/wells/${encodeURIComponent(wellId)}`));
  const end = endInput.value ? new Date(endInput.value + "Z") : new Date(well.last_sample_at || Date.now());
  const hours = Number(document.getElementById("replay-hours").value) || 2;
  const start = new Date(end.getTime() - hours * 3600e3);
  const q = new URLSearchParams({ start: start.toISOString(), end: end.toISOString(), max_points: "1500", rig_state: "true" });
  const range = new URLSearchParams({ start: start.toISOString(), end: end.toISOString() });
  const [data, wellAlerts, notices] = await Promise.all([
    api(`/api/v1/wells/${encodeURIComponent(wellId)}/telemetry?${q}`),
    api(`/api/v1/alerts?well_id=${encodeURIComponent(wellId)}&start=${encodeURIComponent(start.toISOString())}&limit=200`),
    api(`/api/v1/wells/${encodeURIComponent(wellId)}/quality?${range}`),
  ]);
  const quality = document.querySelector("#well-quality tbody");
  quality.replaceChildren(...(notices.length
    ? notices.map((n) => el("tr", { "data-notice": n.kind }, el("td", {}, human(n.kind)), el("td", {}, n.channel),
      el("td", {}, `${fmtTime(n.start)} – ${fmtTime(n.end).slice(11)}`), el("td", {}, n.detail)))
    : [el("tr", { class: "empty" }, el("td", { colspan: 4 }, "No data-quality notices in this period."))]));
  const x = data.time.map((t) => new Date(t).getTime());
  const bands = [];
  const states = data.rig_state || [];
  for (let i = 0; i < states.length; i++) {
    const j0 = i;
    while (i + 1 < states.length && states[i + 1] === states[j0]) i++;
    if (RIG_COLORS[states[j0]]) bands.push({ x0: x[j0], x1: x[i], color: RIG_COLORS[states[j0]] });
  }
  const markers = wellAlerts.map((a) => ({ x: new Date(a.time).getTime(), label: human(a.type) }));
  const charts = document.getElementById("well-charts");
  charts.replaceChildren();
  for (const [title, names] of KEY_CHANNELS) {
    const present = names.filter((n) => data.channels[n]);
    if (!present.length) continue;
    const canvas = el("canvas", { class: "chart", "data-channel": present.join(","), "aria-label": title });
    charts.append(el("div", { class: "chart-box" }, el("div", { class: "chart-title" }, title), canvas));
    drawChart(canvas, { x, series: present.map((n) => ({ name: n, values: data.channels[n] })), markers, bands });
  }
  const list = document.querySelector("#well-alerts tbody");
  list.replaceChildren(...(wellAlerts.length ? wellAlerts.map((a) => alertRow(a)) : [el("tr", { class: "empty" }, el("td", { colspan: 7 }, "No alerts in this period."))]));
  view.dataset.loaded = wellId;
}

// ---------------------------------------------------------------- alert view

async function showAlert(alertId) {
  const a = await api(`/api/v1/alerts/${alertId}`);
  alerts.set(a.id, a);
  document.getElementById("alert-title").textContent = `${human(a.type)} on ${a.well_id} at ${fmtTime(a.time)} UTC`;
  const status = document.getElementById("alert-status");
  status.textContent = a.status;
  status.className = `status status-${a.status}`;
  const probs = document.getElementById("alert-probs");
  probs.replaceChildren(...Object.entries(a.probabilities || {}).sort((p, q) => q[1] - p[1]).map(([type, p]) =>
    el("div", { class: "prob" }, el("span", { class: "prob-label" }, human(type)),
      el("span", { class: "prob-bar" }, el("span", { style: `width:${(p * 100).toFixed(1)}%`, class: type === a.type ? "hot" : "" })),
      el("span", { class: "prob-value" }, p.toFixed(3)))));
  const evidence = document.getElementById("alert-evidence");
  const signs = a.evidence || [];
  evidence.replaceChildren(...(signs.length ? signs.map((s) => el("li", {}, s))
    : [el("li", { class: "muted" }, "no physical sign measured (the model decided from its window features)")]));
  const feats = document.querySelector("#alert-features tbody");
  feats.replaceChildren(...(a.contributions || []).map((c) => el("tr", { "data-feature": c.feature },
    el("td", { title: c.feature }, describeFeature(c.feature)), el("td", {}, c.value === null ? "—" : Number(c.value).toPrecision(4)), el("td", {}, c.contribution.toFixed(3)))));
  const audit = document.querySelector("#alert-audit tbody");
  audit.replaceChildren(...(a.audit || []).map((e) => el("tr", {}, el("td", {}, fmtTime(e.at)), el("td", {}, e.who), el("td", {}, e.action), el("td", {}, e.comment || ""))));
  await Promise.all([showAnalogues(a), showAnalogueDb()]);
  document.getElementById("alert-view").dataset.loaded = String(a.id);
}

// The verdict loop: confirmed and dismissed alerts add windows to the analogue database.
async function showAnalogueDb() {
  const node = document.getElementById("analogue-db-count");
  try {
    const db = await api("/api/v1/analogues");
    node.dataset.total = String(db.total);
    node.dataset.fromModel = String(db.from_model);
    node.dataset.confirmed = String(db.confirmed);
    node.dataset.dismissed = String(db.dismissed);
    node.textContent = `Analogue database: ${db.total} windows (${db.confirmed} from confirmed alerts, ${db.dismissed} dismissed)`;
  } catch (err) {
    node.textContent = `Analogue database unavailable: ${err.message}`;
  }
}

function snippet(window) {
  // {offsets_s: [...], channels: {...}}: seconds relative to the alert / analogue time
  if (!window) return { x: [], channels: {} };
  return { x: window.offsets_s.map(Number), channels: window.channels || {} };
}

async function showAnalogues(a) {
  const box = document.getElementById("alert-analogues");
  box.replaceChildren();
  let result;
  try {
    result = await api(`/api/v1/alerts/${a.id}/analogues?k=5`);
  } catch (err) {
    box.append(el("p", { class: "muted" }, `Analogues unavailable: ${err.message}`));
    return;
  }
  const analogues = result.analogues || [];
  const current = snippet(result.alert && result.alert.window);
  document.getElementById("analogue-count").textContent = String(analogues.length);
  if (!analogues.length) {
    box.append(el("p", { class: "muted" }, "No analogues stored for this alert."));
    return;
  }
  const table = el("table", { id: "analogue-table" }, el("thead", {}, el("tr", {}, ...["Well", "Time (UTC)", "Type", "Depth (m)", "Rig state", "Similarity"].map((h) => el("th", {}, h)))));
  const body = el("tbody");
  const depth = (an) => (typeof an.depth_m === "number" ? an.depth_m.toFixed(0) : "–");
  for (const an of analogues) body.append(el("tr", { "data-analogue": `${an.well_id}@${an.time}` }, el("td", {}, an.well_id), el("td", {}, fmtTime(an.time)), el("td", {}, human(an.type)), el("td", {}, depth(an)), el("td", {}, an.rig_state ? human(an.rig_state) : "–"), el("td", {}, Number(an.similarity).toFixed(3))));
  table.append(body);
  box.append(table);
  const channels = ["SPPA", "TQA", "HKLA", "MFOA", "TVA"];
  for (const ch of channels) {
    const series = [];
    if (current.channels[ch]) series.push({ name: "this alert", values: current.channels[ch], x: current.x, width: 2.4, color: "#f85149" });
    analogues.forEach((an, k) => {
      const s = snippet(an.window);
      if (s.channels[ch]) series.push({ name: `${an.well_id} ${human(an.type)}`, values: s.channels[ch], x: s.x, color: CHART_COLORS[k % CHART_COLORS.length], dash: [4, 3] });
    });
    if (series.length < 2) continue;
    const xs = [...new Set(series.flatMap((s) => s.x))].sort((p, q) => p - q);
    const canvas = el("canvas", { class: "chart", "data-channel": ch });
    box.append(el("div", { class: "chart-box" }, el("div", { class: "chart-title" }, `${ch}: this alert against its analogues (minutes from alert time)`), canvas));
    drawChart(canvas, { x: xs, series, markers: [{ x: 0, label: "alert", color: "#f85149" }], xFormat: (s) => `${(s / 60).toFixed(0)}` });
  }
}

async function act(action) {
  const id = document.getElementById("alert-view").dataset.loaded;
  const comment = document.getElementById("alert-comment").value.trim();
  const body = action === "dismiss" ? { who: who(), reason: comment } : { who: who(), comment: comment || null };
  const msg = document.getElementById("alert-message");
  try {
    await api(`/api/v1/alerts/${id}/${action}`, { method: "POST", body: JSON.stringify(body) });
    msg.textContent = `${action} recorded`;
    msg.className = "ok";
    document.getElementById("alert-comment").value = "";
    await showAlert(id);
  } catch (err) {
    msg.textContent = err.message;
    msg.className = "error";
  }
}

// ---------------------------------------------------------------- models view

async function showModels() {
  const versions = await api("/api/v1/models");
  const body = document.querySelector("#models tbody");
  body.replaceChildren(...versions.map((v) => {
    const m = (v.metrics || {}).validation || {};
    const f = (x) => (typeof x === "number" ? x.toFixed(2) : "—");
    return el("tr", { "data-model": v.id, class: v.active ? "active" : "" },
      el("td", {}, v.id), el("td", {}, v.detector), el("td", {}, fmtTime(v.created_at)),
      el("td", {}, f(m.recall)), el("td", {}, f(m.type_accuracy)), el("td", {}, f(m.false_alarms_per_day)),
      el("td", {}, v.active ? el("strong", {}, "active") : el("button", { onclick: () => activate(v.id) }, "Activate")));
  }));
}

async function activate(id) {
  const msg = document.getElementById("models-message");
  try {
    await api(`/api/v1/models/${encodeURIComponent(id)}/activate`, { method: "POST", body: "{}" });
    msg.textContent = `model ${id} is active`;
    msg.className = "ok";
    await showModels();
    await load();
  } catch (err) {
    msg.textContent = err.message;
    msg.className = "error";
  }
}

// ---------------------------------------------------------------- routing and live events

async function route() {
  const [, kind, id] = location.hash.split("/");
  for (const v of document.querySelectorAll(".view")) v.hidden = true;
  document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("current", a.getAttribute("href") === `#/${kind || ""}`));
  try {
    if (kind === "wells" && id) { document.getElementById("well-view").hidden = false; await showWell(decodeURIComponent(id)); }
    else if (kind === "alerts" && id) { document.getElementById("alert-view").hidden = false; await showAlert(id); }
    else if (kind === "models") { document.getElementById("models-view").hidden = false; await showModels(); }
    else document.getElementById("fleet-view").hidden = false;
  } catch (err) {
    document.getElementById("fleet-view").hidden = false;
    document.getElementById("banner").textContent = err.message;
  }
}

function connect() {
  const conn = document.getElementById("conn");
  const source = new EventSource("/api/v1/stream");
  // (Re)load the lists each time the stream (re)connects, so nothing raised while it was
  // down is missed; events after that arrive live.
  source.onopen = () => { conn.textContent = "live"; conn.className = "conn conn-up"; load(); };
  source.onerror = () => { conn.textContent = "reconnecting"; conn.className = "conn conn-down"; };
  source.addEventListener("well", (e) => {
    const w = JSON.parse(e.data);
    wells.set(w.id, { ...(wells.get(w.id) || {}), ...w });
    renderWells();
  });
  source.addEventListener("alert", (e) => {
    const a = JSON.parse(e.data);
    alerts.set(a.id, a);
    renderAlerts(a.id);
    renderWells();
  });
  source.addEventListener("alert_status", (e) => {
    const a = JSON.parse(e.data);
    if (alerts.has(a.id)) alerts.set(a.id, { ...alerts.get(a.id), ...a });
    renderAlerts();
    renderWells();
    if (!document.getElementById("alert-view").hidden) showAnalogueDb();
  });
  source.addEventListener("model", () => load());
}

document.getElementById("who").value = localStorage.getItem("drillwatch.who") || "";
document.getElementById("who").addEventListener("change", (e) => localStorage.setItem("drillwatch.who", e.target.value));
for (const action of ["acknowledge", "confirm", "dismiss"]) document.getElementById(`btn-${action}`).addEventListener("click", () => act(action));
document.getElementById("replay-go").addEventListener("click", route);
window.addEventListener("hashchange", route);
connect();
route();
setInterval(renderWells, 5000);
