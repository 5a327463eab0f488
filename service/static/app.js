"use strict";
// drillwatch dashboard (first version): fleet status and live alerts over SSE. No CDN.

const wells = new Map();
const alerts = new Map();

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

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

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
    const age = el("td", ageS > 120 ? { class: "gap", title: "data gap" } : {}, fmtAge(w.last_sample_at));
    const badges = el("td");
    for (const [type, n] of Object.entries(open.get(w.id) || {})) badges.append(el("span", { class: "badge" }, `${type} ×${n}`));
    body.append(el("tr", { "data-well": w.id }, el("td", {}, w.id), el("td", {}, human(w.rig_state)),
      el("td", {}, fmtTime(w.last_sample_at)), age, badges));
  }
}

function renderAlerts(newId) {
  const body = document.querySelector("#alerts tbody");
  body.replaceChildren();
  if (alerts.size === 0) {
    body.append(el("tr", { class: "empty" }, el("td", { colspan: 7 }, "No alerts. Quiet is good.")));
    return;
  }
  const sorted = [...alerts.values()].sort((a, b) => new Date(b.time) - new Date(a.time)).slice(0, 200);
  for (const a of sorted) {
    const feats = (a.contributions || []).slice(0, 3).map((c) => c.feature).join(", ");
    const cls = [a.status === "open" ? "open" : "", a.id === newId ? "new" : ""].join(" ").trim();
    body.append(el("tr", { "data-alert": a.id, class: cls },
      el("td", {}, fmtTime(a.time)), el("td", {}, a.well_id), el("td", { class: "type" }, a.type),
      el("td", {}, a.probability.toFixed(2)), el("td", {}, human(a.rig_state)),
      el("td", { class: "features" }, feats), el("td", { class: `status status-${a.status}` }, a.status)));
  }
}

async function load() {
  const [ws, as, ready] = await Promise.all([
    fetch("/api/v1/wells").then((r) => r.json()),
    fetch("/api/v1/alerts?limit=200").then((r) => r.json()),
    fetch("/ready").then((r) => r.json()),
  ]);
  // The fleet list names the stored rig state `last_rig_state`; live `well` events say `rig_state`.
  ws.forEach((w) => wells.set(w.id, { ...w, rig_state: w.rig_state ?? w.last_rig_state }));
  as.forEach((a) => alerts.set(a.id, a));
  document.getElementById("model").textContent = ready.model_version ? `model ${ready.model_version}` : "";
  renderWells();
  renderAlerts();
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
}

connect();
setInterval(renderWells, 5000);
