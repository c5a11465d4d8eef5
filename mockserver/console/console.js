// The QA console: everything it shows and does goes through the admin API beside it.
// Values from requests are shown as text, never as markup.
"use strict";

const API = new URL(".", window.location.href).pathname.replace(/\/$/, "");
const state = { view: "jobs", selected: null, providers: [], profiles: [], now: 0 };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else if (name === "style") node.style.cssText = value; // CSSOM: allowed by the page's CSP
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== null && value !== undefined) node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function say(message, failed = false) {
  const status = document.getElementById("status");
  status.textContent = message;
  status.classList.toggle("error", failed);
}

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  const token = sessionStorage.getItem("grok-mock-token");
  if (token) headers["X-Admin-Token"] = token;
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(API + path, {
    method: options.method || "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) {
    document.getElementById("token-form").hidden = false;
    document.getElementById("token").focus();
    throw new Error(body.error || "the admin token is required");
  }
  if (!response.ok) throw new Error(body.error || body.message || response.statusText);
  return body;
}

function when(epoch) {
  return epoch === null || epoch === undefined ? "" : new Date(epoch * 1000).toISOString().replace(".000Z", "Z");
}

// -- clock and profile ------------------------------------------------------------

async function refreshClock() {
  const health = await api("/health");
  state.now = health.clock.now;
  document.getElementById("clock-now").textContent = when(health.clock.now);
  document.getElementById("clock-now").setAttribute("datetime", new Date(health.clock.now * 1000).toISOString());
  document.getElementById("clock-offset").textContent = `(+${Math.round(health.clock.offset)} s)`;
  if (!state.providers.length) {
    state.providers = Object.keys(health.providers);
    for (const select of document.querySelectorAll('select[name="provider"], #catalogue-provider')) {
      for (const provider of state.providers) select.append(el("option", { value: provider, text: provider }));
    }
  }
  const profile = await api("/profile");
  const select = document.getElementById("profile");
  if (!select.options.length) {
    for (const [name, meaning] of Object.entries(profile.profiles)) select.append(el("option", { value: name, text: name, title: meaning }));
  }
  select.value = profile.profile;
}

async function advance(seconds) {
  await api("/clock/advance", { method: "POST", body: { seconds } });
  say(`The clock moved ${seconds} s.`);
  await refresh();
}

// -- jobs -------------------------------------------------------------------------

function timelineBar(job) {
  const bar = el("div", { class: "timeline", role: "img" });
  const phases = job.timeline;
  const first = job.created_at;
  const last = job.terminal_at || Math.max(job.now, first + 1);
  const span = Math.max(last - first, 1e-6);
  phases.forEach((phase, index) => {
    const end = phase.ends_at === null ? last : phase.ends_at;
    const width = job.by_reads ? 100 / phases.length : (100 * (end - phase.starts_at)) / span;
    const reached = index < job.phase || job.terminal;
    const current = index === job.phase && !job.terminal;
    bar.append(el("span", { class: `phase${reached ? " reached" : ""}${current ? " current" : ""}`, style: `width:${Math.max(width, 2)}%`, title: phase.word }));
  });
  bar.append(el("span", { class: `end${job.terminal ? " reached" : ""}`, title: job.status }));
  bar.setAttribute("aria-label", `${phases.map((p) => p.word).join(", ")}, then ${job.terminal ? job.status : "not yet ended"}`);
  return bar;
}

async function refreshJobs() {
  const form = document.getElementById("job-filters");
  const query = new URLSearchParams();
  for (const name of ["provider", "status", "key"]) if (form.elements[name].value) query.set(name, form.elements[name].value);
  const found = await api(`/jobs?${query}`);
  const rows = document.getElementById("job-rows");
  rows.replaceChildren(
    ...found.jobs.map((job) =>
      el(
        "tr",
        { class: job.id === state.selected ? "selected" : null },
        el("td", {}, el("button", { type: "button", class: "link", text: job.id, onclick: () => showJob(job.id) })),
        el("td", { text: job.provider }),
        el("td", { text: job.key_hint || "" }),
        el("td", { text: job.model }),
        el("td", { class: "word", text: job.status }),
        el("td", {}, timelineBar(job)),
        el("td", { text: job.terminal ? job.outcome : "" }),
        el("td", { text: job.cost }),
      ),
    ),
  );
  if (!found.jobs.length) rows.append(el("tr", {}, el("td", { colspan: "8", text: "No live jobs yet: submit one with any client." })));
  if (state.selected) await showJob(state.selected, false);
}

async function showJob(id, focus = true) {
  state.selected = id;
  const detail = document.getElementById("job-detail");
  const [jobs, journal, hooks] = await Promise.all([
    api("/jobs"),
    api(`/journal?job_id=${encodeURIComponent(id)}`),
    api(`/webhooks?job_id=${encodeURIComponent(id)}`),
  ]);
  const job = jobs.jobs.find((j) => j.id === id);
  if (!job) {
    detail.hidden = true;
    state.selected = null;
    return;
  }
  detail.replaceChildren(
    el("h2", { text: `Job ${job.id}` }),
    el("p", { text: `${job.provider} · ${job.model} · ${job.status} · created ${when(job.created_at)} · ends ${when(job.terminal_at) || "not planned"}` }),
    el("div", { class: "thumbs" }, ...job.images.map((src, index) => el("img", { src, alt: `image ${index + 1} of job ${job.id}` }))),
    el("h3", { text: "Requests" }),
    el("ul", {}, ...journal.entries.map((e) => el("li", { text: `#${e.seq} ${when(e.at)} ${e.method} ${e.path} → ${e.status ?? "—"}${e.error ? ` (${e.error})` : ""}` }))),
    el("h3", { text: "Webhooks" }),
    el("ul", {}, ...hooks.deliveries.map((d) => el("li", { text: `${d.url}: ${d.state}, ${d.attempts.length} attempt(s)` }))),
    el("details", {}, el("summary", { text: "Full record" }), el("pre", { text: JSON.stringify(job, null, 2) })),
  );
  detail.hidden = false;
  if (focus) detail.focus();
}

// -- journal ------------------------------------------------------------------------

async function refreshJournal() {
  const found = await api("/journal?limit=50");
  document.getElementById("journal-rows").replaceChildren(
    ...found.entries.reverse().map((e) =>
      el(
        "tr",
        { class: e.status >= 400 || e.error ? "failed" : null },
        el("td", { text: String(e.seq) }),
        el("td", { text: when(e.at) }),
        el(
          "td",
          {},
          el(
            "details",
            {},
            el("summary", { text: `${e.method} ${e.host}${e.path}` }),
            el("pre", { text: JSON.stringify({ headers: e.request_headers, body: e.body, error: e.error, warnings: e.warnings }, null, 2) }),
          ),
        ),
        el("td", { text: e.status === null ? "—" : String(e.status) }),
        el("td", { text: e.provider && e.operation ? `${e.provider}.${e.operation}` : e.operation || "" }),
        el("td", { text: e.scenario || "" }),
        el("td", { text: e.duration_ms === null ? "" : String(e.duration_ms) }),
      ),
    ),
  );
}

async function verify(event) {
  event.preventDefault();
  const out = document.getElementById("verify-result");
  let filters;
  try {
    filters = JSON.parse(document.getElementById("verify-filters").value || "{}");
  } catch (error) {
    out.textContent = `Filters are not JSON: ${error.message}`;
    return;
  }
  const count = document.getElementById("verify-count").value;
  const body = count === "" ? { ...filters, at_least: 1 } : { ...filters, count: Number(count) };
  const answer = await api("/journal/verify?report=true", { method: "POST", body });
  out.textContent = answer.ok ? `Verified: ${answer.count} matching request(s).` : answer.message;
}

// -- scenarios ----------------------------------------------------------------------

async function refreshScenarios() {
  const found = await api("/scenarios");
  const select = document.querySelector('#rule-form select[name="scenario"]');
  if (!select.options.length) {
    for (const name of Object.keys(found.catalogue)) select.append(el("option", { value: name, text: name }));
  }
  document.getElementById("rules").replaceChildren(
    ...found.rules.map((rule) =>
      el(
        "li",
        {},
        el("span", { text: `${rule.id}: ${rule.scenario} for ${describeRule(rule)}; used ${rule.used}, ${rule.remaining === null ? "until deleted" : `${rule.remaining} left`}` }),
        el("button", { type: "button", text: "Delete", "aria-label": `Delete rule ${rule.id}`, onclick: () => deleteRule(rule.id) }),
      ),
    ),
  );
  if (!found.rules.length) document.getElementById("rules").append(el("li", { text: "None queued." }));
  const provider = document.getElementById("catalogue-provider").value || state.providers[0];
  const available = new Set(found.available[provider] || []);
  document.getElementById("catalogue").replaceChildren(
    ...Object.entries(found.catalogue)
      .filter(([name]) => available.has(name))
      .flatMap(([name, text]) => [el("dt", { text: name }), el("dd", { text })]),
  );
  for (const table of ["chaos", "latency"]) {
    const area = document.getElementById(table);
    if (document.activeElement !== area) area.value = JSON.stringify((await api(`/${table}`)).entries, null, 1);
  }
}

function describeRule(rule) {
  const parts = ["provider", "operation", "model", "key", "prompt"].filter((name) => rule[name]).map((name) => `${name} ${rule[name]}`);
  return parts.length ? parts.join(", ") : "any request";
}

async function queueRule(event) {
  event.preventDefault();
  const form = event.target;
  const body = {};
  for (const name of ["scenario", "provider", "operation", "model", "key", "prompt"]) if (form.elements[name].value) body[name] = form.elements[name].value;
  for (const name of ["times", "expires_in"]) if (form.elements[name].value) body[name] = Number(form.elements[name].value);
  const rule = await api("/scenarios", { method: "POST", body });
  say(`Queued ${rule.scenario} as ${rule.id}.`);
  await refreshScenarios();
}

async function deleteRule(id) {
  await api(`/scenarios/${encodeURIComponent(id)}`, { method: "DELETE" });
  say(`Deleted rule ${id}.`);
  await refreshScenarios();
}

async function saveTable(event, table) {
  event.preventDefault();
  const entries = JSON.parse(document.getElementById(table).value || "[]");
  await api(`/${table}`, { method: "PUT", body: { entries } });
  say(`Saved the ${table} table.`);
}

// -- webhooks and accounts -------------------------------------------------------------

async function refreshWebhooks() {
  const found = await api("/webhooks");
  document.getElementById("webhook-rows").replaceChildren(
    ...found.deliveries.map((d) =>
      el(
        "tr",
        { class: d.state === "failed" || d.state === "dropped" ? "failed" : null },
        el("td", {}, el("details", {}, el("summary", { text: d.id }), el("pre", { text: JSON.stringify(d.body, null, 2) }))),
        el("td", { text: d.job_id }),
        el("td", { text: d.url }),
        el("td", { class: "word", text: d.state }),
        el("td", { text: d.attempts.map((a) => `#${a.attempt} ${when(a.at)} → ${a.status ?? a.error}`).join("; ") }),
        el("td", { text: when(d.due_at) }),
      ),
    ),
  );
}

async function refreshAccounts() {
  const found = await api("/accounts");
  document.getElementById("account-rows").replaceChildren(
    ...found.accounts.map((a) =>
      el("tr", {}, el("td", { text: a.provider }), el("td", { text: a.key }), el("td", { text: a.balance }), el("td", { text: a.held }), el("td", { text: a.available }), el("td", { text: a.spent })),
    ),
  );
}

async function setBalance(event) {
  event.preventDefault();
  const form = event.target;
  const path = `/accounts/${encodeURIComponent(form.elements.provider.value)}/${encodeURIComponent(form.elements.key.value)}`;
  await api(path, { method: "PUT", body: { balance: form.elements.balance.value } });
  say("Balance set.");
  await refreshAccounts();
}

// -- wiring ---------------------------------------------------------------------------

const VIEWS = { jobs: refreshJobs, journal: refreshJournal, scenarios: refreshScenarios, webhooks: refreshWebhooks, accounts: refreshAccounts };

function show(view) {
  state.view = view;
  for (const tab of document.querySelectorAll('[role="tab"]')) {
    const selected = tab.getAttribute("aria-controls") === view;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    document.getElementById(tab.getAttribute("aria-controls")).hidden = !selected;
  }
  return refresh();
}

async function refresh() {
  try {
    await refreshClock();
    await VIEWS[state.view]();
  } catch (error) {
    say(error.message, true);
  }
}

function guarded(handler) {
  return (event) => Promise.resolve(handler(event)).catch((error) => say(error.message, true));
}

function wire() {
  for (const button of document.querySelectorAll("[data-advance]")) {
    button.addEventListener("click", guarded(() => advance(Number(button.dataset.advance))));
  }
  document.getElementById("clock-to").addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    const target = Date.parse(`${document.getElementById("clock-target").value}Z`) / 1000;
    if (!(target > state.now)) throw new Error("The clock only moves forward: pick a later time.");
    await advance(Math.round(target - state.now));
  }));
  document.getElementById("profile").addEventListener("change", guarded(async (event) => {
    await api("/profile", { method: "PUT", body: { profile: event.target.value } });
    say(`New jobs follow the ${event.target.value} profile.`);
  }));
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => show(tab.getAttribute("aria-controls")));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const next = tabs[(index + step + tabs.length) % tabs.length];
      next.focus();
      show(next.getAttribute("aria-controls"));
    });
  });
  document.getElementById("job-filters").addEventListener("submit", guarded((event) => { event.preventDefault(); return refreshJobs(); }));
  document.getElementById("verify-form").addEventListener("submit", guarded(verify));
  document.getElementById("rule-form").addEventListener("submit", guarded(queueRule));
  document.getElementById("chaos-form").addEventListener("submit", guarded((event) => saveTable(event, "chaos")));
  document.getElementById("latency-form").addEventListener("submit", guarded((event) => saveTable(event, "latency")));
  document.getElementById("catalogue-provider").addEventListener("change", guarded(refreshScenarios));
  document.getElementById("balance-form").addEventListener("submit", guarded(setBalance));
  document.getElementById("token-form").addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    sessionStorage.setItem("grok-mock-token", document.getElementById("token").value);
    event.target.hidden = true;
    await refresh();
  }));
  document.addEventListener("visibilitychange", () => { if (!document.hidden) refresh(); });
}

wire();
show("jobs");
// Live: the clock and the open view follow the emulator while the tab is visible.
setInterval(() => { if (!document.hidden && state.view !== "scenarios") refresh(); }, 1000);
