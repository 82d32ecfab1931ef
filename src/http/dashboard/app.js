/* restock dashboard (SPEC §8): plain JavaScript, no build step. The shop's API key is kept in
 * sessionStorage (this tab only, no cookies) and sent as "Authorization: Bearer" to the admin
 * API of the same origin. Everything shown comes from GET /v1/shop, /v1/stats, /v1/campaigns,
 * /v1/reports/demand and /v1/reports/customers. Text from the API is set with textContent only. */
"use strict";

const KEY = "restock_api_key";
const $ = (id) => document.getElementById(id);
let chart = null;
let shop = null;
let customersNext = null;
let rangeTouched = false; // the owner picked dates: a new sign-in keeps them

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(c ?? ""));
  return e;
}

class HttpError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, opts = {}) {
  const headers = { Authorization: "Bearer " + sessionStorage.getItem(KEY) };
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, {
    method: opts.method || "GET", headers,
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
  if (r.status === 401) { signOut("The API key was not accepted."); throw new HttpError(401, "unauthorized"); }
  if (!r.ok) {
    let msg = r.statusText;
    try { msg = (await r.json()).error.message; } catch (e) { /* not JSON */ }
    throw new HttpError(r.status, msg);
  }
  return opts.raw ? r : r.json();
}

/* ---- money: decimal strings added exactly (no binary floats) ---- */
function toMinor(s, exp) {
  const neg = s.startsWith("-");
  const [i, f = ""] = (neg ? s.slice(1) : s).split(".");
  const v = BigInt(i + f.padEnd(exp, "0").slice(0, exp));
  return neg ? -v : v;
}
function decimals(...xs) {
  return Math.max(0, ...xs.filter(Boolean).map((s) => (s.split(".")[1] || "").length));
}
function fromMinor(v, exp) {
  const neg = v < 0n;
  let s = (neg ? -v : v).toString().padStart(exp + 1, "0");
  if (exp) s = s.slice(0, -exp) + "." + s.slice(-exp);
  return (neg ? "-" : "") + s;
}
function addMoney(...xs) {
  const exp = decimals(...xs);
  return fromMinor(xs.filter(Boolean).reduce((t, s) => t + toMinor(s, exp), 0n), exp);
}
function money(s, cur) { return s == null ? "–" : s + " " + (cur || ""); }
function pct(x) { return x == null ? "–" : (x * 100).toFixed(1) + "%"; }
function dateOnly(t) { return t ? t.slice(0, 10) : ""; }
function duration(sec) {
  if (sec == null) return "–";
  const d = Math.floor(sec / 86400), h = Math.floor((sec % 86400) / 3600);
  return d ? `${d} d ${h} h` : `${h} h ${Math.floor((sec % 3600) / 60)} min`;
}
function isoDay(d) {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}
/* Today in the shop's time zone, as /v1/stats counts days, not the browser's: a shop in
 * Copenhagen looked at from New York at 20:00 is already on tomorrow. */
function shopToday(tz) {
  try {
    const p = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
      timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit",
    }).formatToParts(new Date()).map((x) => [x.type, x.value]));
    return `${p.year}-${p.month}-${p.day}`;
  } catch (_) {
    return isoDay(new Date());
  }
}
function addDays(day, n) {
  const d = new Date(day + "T00:00:00Z");
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}
function daysBetween(from, to) {
  const out = [];
  for (let d = new Date(from + "T00:00:00Z"); d.toISOString().slice(0, 10) <= to && out.length < 400;
    d.setUTCDate(d.getUTCDate() + 1))
    out.push(d.toISOString().slice(0, 10));
  return out;
}

function setKpi(id, text, value) {
  const e = $(id);
  e.textContent = text;
  if (value !== undefined) e.dataset.value = String(value);
}

/* ---- stats and the chart ---- */
async function loadStats() {
  const from = $("from").value, to = $("to").value;
  let stats = null;
  $("stats-note").hidden = true;
  try {
    stats = await api(`/v1/stats?from=${from}&to=${to}`);
  } catch (e) {
    if (e.status === 401) return;
    $("stats-note").textContent = e.status === 404
      ? "Statistics are not available on this server yet (GET /v1/stats answered 404)."
      : "Statistics could not be loaded: " + e.message;
    $("stats-note").hidden = false;
  }
  document.body.dataset.stats = stats ? "ok" : "missing";
  const t = stats ? stats.totals : null;
  const cur = (stats && stats.currency) || (shop && shop.currency) || "";
  if (t) {
    const conv = (t.direct?.count || 0) + (t.assisted?.count || 0);
    setKpi("k-sent", String(t.sent), t.sent);
    setKpi("k-open", pct(t.open_rate), t.open_rate);
    setKpi("k-opened", `${t.opened} opened`, t.opened);
    setKpi("k-click", pct(t.click_rate), t.click_rate);
    setKpi("k-clicked", `${t.clicked} clicked`, t.clicked);
    setKpi("k-conv", pct(t.conversion_rate), t.conversion_rate);
    setKpi("k-conversions", `${t.direct?.count || 0} direct, ${t.assisted?.count || 0} assisted`, conv);
    const gross = addMoney(t.direct?.revenue, t.assisted?.revenue);
    const net = addMoney(t.direct?.revenue_net, t.assisted?.revenue_net);
    setKpi("k-gross", money(gross, cur), gross);
    setKpi("k-net", money(net, cur), net);
  } else {
    for (const id of ["k-sent", "k-open", "k-click", "k-conv", "k-gross", "k-net"]) setKpi(id, "–", "");
    for (const id of ["k-opened", "k-clicked", "k-conversions"]) setKpi(id, "", "");
  }
  renderEvents(stats ? stats.top_events || [] : []);
  const days = stats ? stats.days : daysBetween(from, to).map((date) => ({ date }));
  renderChart(days);
}

function renderChart(days) {
  const labels = days.map((d) => d.date);
  const direct = days.map((d) => d.direct?.count || 0);
  const assisted = days.map((d) => d.assisted?.count || 0);
  const canvas = $("chart");
  canvas.dataset.direct = direct.join(",");
  canvas.dataset.assisted = assisted.join(",");
  if (typeof Chart === "undefined") { canvas.dataset.drawn = "no-chartjs"; return; }
  if (chart) chart.destroy();
  chart = new Chart(canvas, {
    type: "bar",
    data: {
      labels,
      datasets: [
        { label: "Direct", data: direct, backgroundColor: "#2f6fed", stack: "c" },
        { label: "Assisted", data: assisted, backgroundColor: "#f59e0b", stack: "c" },
      ],
    },
    options: {
      animation: false, responsive: true, maintainAspectRatio: false,
      scales: { x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true } },
                y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom" } },
    },
  });
  canvas.dataset.drawn = "yes";
}

function renderEvents(events) {
  const tb = $("events").tBodies[0];
  tb.replaceChildren(...events.map((e) => el("tr", {}, el("td", {}, e.event), el("td", { class: "num" }, String(e.hits)))));
  if (!events.length) tb.append(el("tr", {}, el("td", { colspan: "2", class: "empty" }, "No events in this range")));
}

/* ---- campaigns ---- */
async function loadCampaigns() {
  const { data } = await api("/v1/campaigns");
  const tb = $("campaigns").tBodies[0];
  tb.replaceChildren(...data.map((c) => {
    const next = c.status === "active" ? "paused" : "active";
    const btn = el("button", { class: "small", "data-id": String(c.id), "data-next": next,
      onclick: () => switchCampaign(c.id, next) }, next === "paused" ? "Pause" : "Activate");
    return el("tr", { "data-id": String(c.id) },
      el("td", {}, c.name || `#${c.id}`), el("td", {}, c.channel),
      el("td", {}, el("span", { class: "badge " + c.status }, c.status)), el("td", {}, btn));
  }));
  if (!data.length) tb.append(el("tr", {}, el("td", { colspan: "4", class: "empty" }, "No campaigns")));
}

async function switchCampaign(id, status) {
  $("campaigns-error").textContent = "";
  try {
    await api(`/v1/campaigns/${id}`, { method: "PATCH", body: { status } });
  } catch (e) {
    $("campaigns-error").textContent = e.message;
  }
  await loadCampaigns();
}

/* ---- demand ---- */
async function loadDemand() {
  const { data } = await api("/v1/reports/demand?limit=20");
  const rows = data.filter((d) => d.status === "sold_out");
  const tb = $("demand").tBodies[0];
  tb.replaceChildren(...rows.map((d) => el("tr", {},
    el("td", {}, [d.product_title, d.variant_title].filter(Boolean).join(" — ") || d.variant_id),
    el("td", { class: "num" }, String(d.waiting)),
    el("td", { class: "num" }, String(d.available)),
    el("td", { class: "num" }, money(d.price, d.currency)),
    el("td", { class: "num" }, money(d.potential_revenue, d.currency)),
    el("td", {}, duration(d.median_wait_seconds)),
    el("td", {}, duration(d.longest_wait_seconds)))));
  if (!rows.length) tb.append(el("tr", {}, el("td", { colspan: "7", class: "empty" }, "Nobody is waiting for a sold-out product")));
}

/* ---- customers ---- */
function customersQuery() { return `from=${$("from").value}&to=${$("to").value}`; }

async function loadCustomers(more) {
  let q = `/v1/reports/customers?${customersQuery()}&limit=50`;
  if (more && customersNext) q += `&after=${customersNext}`;
  const tb = $("customers").tBodies[0];
  if (!more) { tb.replaceChildren(); $("more").hidden = true; } /* no old range's rows on an error */
  let page;
  try {
    page = await api(q);
  } catch (e) {
    if (e.status !== 401)
      tb.append(el("tr", {}, el("td", { colspan: "9", class: "empty" }, "The customers report could not be loaded: " + e.message)));
    throw e;
  }
  const { data, next } = page;
  for (const c of data) {
    tb.append(el("tr", {},
      el("td", {}, c.contact), el("td", {}, [c.product_title, c.variant_title].filter(Boolean).join(" — ") || c.variant_id),
      el("td", {}, dateOnly(c.notified_at)), el("td", {}, dateOnly(c.opened_at)), el("td", {}, dateOnly(c.clicked_at)),
      el("td", {}, c.conversion === "none" ? "" : el("span", { class: "badge " + c.conversion }, c.conversion)),
      el("td", {}, c.order_number || ""), el("td", { class: "num" }, c.order_total ? money(c.order_total, c.currency) : ""),
      el("td", { class: "num" }, c.order_net ? money(c.order_net, c.currency) : "")));
  }
  if (!more && !data.length) tb.append(el("tr", {}, el("td", { colspan: "9", class: "empty" }, "No notifications sent in this range")));
  customersNext = next;
  $("more").hidden = !next;
}

async function downloadCsv() {
  const r = await api(`/v1/reports/customers?format=csv&${customersQuery()}`, { raw: true });
  const url = URL.createObjectURL(await r.blob());
  const a = el("a", { href: url, download: `customers-${$("from").value}-${$("to").value}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/* ---- sign-in and start ---- */
function signOut(message) {
  sessionStorage.removeItem(KEY);
  $("app").hidden = true;
  $("signout").hidden = true;
  $("signin").hidden = false;
  $("shop-name").textContent = "";
  $("signin-error").textContent = message || "";
}

async function refresh() {
  const jobs = [loadStats(), loadCampaigns(), loadDemand(), loadCustomers(false)];
  const results = await Promise.allSettled(jobs);
  document.body.dataset.loaded = results.every((r) => r.status === "fulfilled") ? "ok" : "error";
}

async function start() {
  try {
    shop = await api("/v1/shop");
  } catch (e) {
    if (e.status !== 401) $("signin-error").textContent = e.message;
    return;
  }
  $("shop-name").textContent = shop.name || "";
  if (!rangeTouched) {
    $("to").value = shopToday(shop.timezone);
    $("from").value = addDays($("to").value, -29);
  }
  $("signin").hidden = true;
  $("signout").hidden = false;
  $("app").hidden = false;
  await refresh();
}

document.addEventListener("DOMContentLoaded", () => {
  const today = new Date();
  $("to").value = isoDay(today);
  $("from").value = isoDay(new Date(today.getTime() - 29 * 86400000));
  $("signin-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(KEY, $("api-key").value.trim());
    $("api-key").value = "";
    start();
  });
  $("signout").addEventListener("click", () => signOut());
  for (const id of ["from", "to"]) $(id).addEventListener("change", () => { rangeTouched = true; });
  $("range").addEventListener("submit", (ev) => { ev.preventDefault(); refresh(); });
  $("csv").addEventListener("click", () => downloadCsv().catch((e) => alert(e.message)));
  $("more").addEventListener("click", () => loadCustomers(true));
  if (sessionStorage.getItem(KEY)) start();
});
