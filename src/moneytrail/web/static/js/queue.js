// The alert queue: networks first, strongest first; filters; keyboard triage.
import {
  api, day, el, failed, fillCaseSelect, guard, notice, query, table, withheld, workingCase,
} from "./api.js";

const LIMIT = 50;
const state = { offset: 0, rows: [], selected: 0, total: 0, caseDoc: null, names: {} };
const tbody = document.querySelector("#queue tbody");
const detail = document.getElementById("detail");
const form = document.getElementById("filters");

function filters() {
  return {
    typology: form.typology.value,
    min_score: form.min_score.value === "0" ? "" : form.min_score.value,
    subject_kind: form.subject_kind.value,
    since: form.since.value ? `${form.since.value}T00:00:00` : "",
    until: form.until.value ? `${form.until.value}T23:59:59` : "",
    case_id: workingCase(),
  };
}

async function loadCase() {
  const id = workingCase();
  state.caseDoc = null;
  if (!id) return;
  try {
    state.caseDoc = await api(`/cases/${id}`);
  } catch (err) {
    failed(err);
  }
}

function onCase(alertId) {
  const doc = state.caseDoc;
  if (!doc || !Array.isArray(doc.alerts)) return null;
  return doc.alerts.find((a) => a.alert_id === alertId) || null;
}

async function load() {
  const t0 = performance.now();
  try {
    const [page] = await Promise.all([
      api(`/alert-queue${query({ ...filters(), limit: LIMIT, offset: state.offset })}`),
      loadCase(),
    ]);
    state.rows = page.items;
    state.total = page.total;
    state.names = page.typologies;
    fillOptions(page);
    render();
    document.getElementById("queue").dataset.loadMs = String(Math.round(performance.now() - t0));
  } catch (err) {
    failed(err);
  }
}

function fillOptions(page) {
  const typ = form.typology;
  if (typ.options.length === 1) {
    for (const [id, name] of Object.entries(page.typologies).sort()) {
      typ.append(el("option", { value: id }, `${id} ${name}`));
    }
    for (const kind of page.subject_kinds) form.subject_kind.append(el("option", { value: kind }, kind));
  }
}

function render() {
  tbody.replaceChildren();
  state.rows.forEach((a, i) => {
    const attached = onCase(a.alert_id);
    const status = attached ? attached.disposition || "attached" : "";
    const row = el(
      "tr",
      {
        "data-testid": "alert-row",
        "data-alert-id": a.alert_id,
        "data-withheld": a.withheld ? "true" : undefined,
        tabindex: "-1",
        "aria-selected": i === state.selected ? "true" : "false",
        onclick: () => select(i),
        ondblclick: () => open(i),
      },
      el("td", { class: "num" }, a.withheld ? "" : el("span", { class: "score", style: `--s:${(a.score || 0) * 100}%` }, (a.score ?? 0).toFixed(3))),
      el("td", {}, a.withheld ? el("em", {}, `${a.rows || 1} withheld (${(a.labels || []).join(", ").toUpperCase() || "labelled"})`) : a.subject),
      el("td", { title: state.names[a.typology] || "" }, a.typology || ""),
      el("td", { class: "num" }, a.accounts ?? ""),
      el("td", { class: "num" }, a.evidence ?? ""),
      el("td", {}, day(a.first)),
      el("td", {}, day(a.last)),
      el("td", { class: status ? `disp ${status}` : "" }, status),
    );
    tbody.append(row);
  });
  const from = state.total ? state.offset + 1 : 0;
  document.getElementById("queue-count").textContent =
    `${state.total} alerts (networks first, then by score); ${from}-${state.offset + state.rows.length} shown`;
  document.getElementById("page").textContent = ` ${from}-${state.offset + state.rows.length} of ${state.total} `;
  document.getElementById("prev").disabled = state.offset === 0;
  document.getElementById("next").disabled = state.offset + LIMIT >= state.total;
  select(Math.min(state.selected, Math.max(state.rows.length - 1, 0)));
}

function select(i) {
  if (!state.rows.length) {
    detail.replaceChildren(el("p", {}, "No alert matches these filters."));
    return;
  }
  state.selected = i;
  tbody.querySelectorAll("tr").forEach((tr, j) => tr.setAttribute("aria-selected", j === i ? "true" : "false"));
  const tr = tbody.children[i];
  if (tr) tr.scrollIntoView({ block: "nearest" });
  showDetail(state.rows[i]);
}

function showDetail(a) {
  const attached = onCase(a.alert_id);
  const parts = [el("h2", {}, a.withheld ? `${a.rows || 1} alerts withheld` : `Alert ${a.alert_id}`)];
  if (a.withheld) {
    parts.push(withheld(a.withheld));
    detail.replaceChildren(...parts);
    return;
  }
  const q = `alert=${encodeURIComponent(a.alert_id)}`;
  parts.push(
    el("p", { class: "reason" }, a.reason),
    el("dl", { class: "facts" },
      el("dt", {}, "Score"), el("dd", {}, a.score.toFixed(3)),
      el("dt", {}, "Subject"), el("dd", {}, a.subject),
      el("dt", {}, "Typologies"), el("dd", {}, a.typologies.map((t) => `${t} ${state.names[t] || ""}`).join("; ")),
      el("dt", {}, "Period"), el("dd", {}, `${day(a.first)} to ${day(a.last)}`),
      el("dt", {}, "On case"), el("dd", {}, attached ? `#${workingCase()}: ${attached.disposition || "attached, not disposed"}` : "no"),
    ),
    el("p", { class: "actions" },
      el("a", { href: `/w/chart?${q}`, class: "button" }, "Link chart"),
      el("a", { href: `/w/timeline?${q}`, class: "button" }, "Timeline"),
      el("a", { href: `/w/trace?${q}`, class: "button" }, "Trace"),
    ),
  );
  if (workingCase()) {
    const members = (state.caseDoc && Array.isArray(state.caseDoc.members) ? state.caseDoc.members : []);
    parts.push(
      el("form", { class: "inline", id: "dispose-form", onsubmit: (e) => { e.preventDefault(); dispose(); } },
        el("label", {}, "Disposition ",
          el("select", { id: "disposition" },
            el("option", { value: "confirmed" }, "confirmed"),
            el("option", { value: "false_positive" }, "false positive"),
            el("option", { value: "inconclusive" }, "inconclusive"))),
        el("label", {}, "Note ", el("input", { id: "disp-note", maxlength: "2000" })),
        el("button", { type: "submit" }, "Dispose (d)")),
      el("form", { class: "inline", onsubmit: (e) => { e.preventDefault(); assign(); } },
        el("label", {}, "Assign to ",
          el("select", { id: "assignee" }, members.map((m) => el("option", { value: m.username || m }, m.username || m)))),
        el("button", { type: "submit" }, "Assign (t)")),
      el("p", {}, el("button", { type: "button", onclick: attach, disabled: Boolean(attached) }, attached ? "Attached" : "Attach to case (a)")),
    );
  } else {
    parts.push(el("p", { class: "hint" }, "Choose a working case above to attach, dispose or assign alerts."));
  }
  detail.replaceChildren(...parts);
}

function current() {
  return state.rows[state.selected];
}

async function attach() {
  const a = current();
  const id = workingCase();
  if (!a || !id) return notice("choose a working case first", "error");
  if (a.withheld) return notice("withheld alerts cannot be attached: choose a case that covers them", "error");
  try {
    await api(`/cases/${id}/alerts`, { method: "POST", body: { alert_id: a.alert_id, labels: a.labels || [] } });
    notice(`alert ${a.alert_id} attached to case #${id}`);
    await loadCase();
    render();
  } catch (err) {
    failed(err);
  }
}

async function dispose() {
  const a = current();
  const id = workingCase();
  if (!a || !id) return notice("choose a working case first", "error");
  const disposition = document.getElementById("disposition").value;
  const note = document.getElementById("disp-note").value;
  try {
    if (!onCase(a.alert_id)) {
      await api(`/cases/${id}/alerts`, { method: "POST", body: { alert_id: a.alert_id, labels: a.labels || [] } });
    }
    await api(`/cases/${id}/alerts/${encodeURIComponent(a.alert_id)}/disposition`, { method: "POST", body: { disposition, note } });
    notice(`alert ${a.alert_id} disposed as ${disposition} on case #${id}`);
    await loadCase();
    render();
  } catch (err) {
    failed(err);
  }
}

async function assign() {
  const a = current();
  const id = workingCase();
  const who = document.getElementById("assignee").value;
  try {
    await api(`/cases/${id}/tasks`, { method: "POST", body: { title: `Review alert ${a.alert_id} (${a.typology})`, assignee: who } });
    notice(`task to review ${a.alert_id} assigned to ${who} on case #${id}`);
  } catch (err) {
    failed(err);
  }
}

function open(i) {
  const a = state.rows[i];
  if (a && !a.withheld) location.assign(`/w/chart?alert=${encodeURIComponent(a.alert_id)}`);
}

document.addEventListener("keydown", (e) => {
  if (e.target.closest("input, select, textarea") || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === "j") select(Math.min(state.selected + 1, state.rows.length - 1));
  else if (e.key === "k") select(Math.max(state.selected - 1, 0));
  else if (e.key === "Enter") open(state.selected);
  else if (e.key === "a") attach();
  else if (e.key === "d") {
    const box = document.getElementById("disposition");
    if (box) box.focus();
  } else if (e.key === "t") {
    const box = document.getElementById("assignee");
    if (box) box.focus();
  } else return;
  e.preventDefault();
});

form.addEventListener("submit", (e) => {
  e.preventDefault();
  state.offset = 0;
  state.selected = 0;
  load();
});
document.getElementById("prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - LIMIT); load(); });
document.getElementById("next").addEventListener("click", () => { state.offset += LIMIT; load(); });

if (guard()) {
  fillCaseSelect(form.case).then(() => form.case.addEventListener("change", load));
  load();
}
