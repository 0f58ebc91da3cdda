// Case page: /w/case?id=N - everything on the case, and the forms to add to it
// that the API allows. Parts the reader may not see come back withheld, with why.
import { api, day, el, failed, guard, notice, param, setWorkingCase, table, when, withheld } from "./api.js";

const id = param("id");
const STATUSES = ["open", "active", "referred", "pending_closure", "closed"];

function section(title, { wide = false, testid } = {}, ...children) {
  return el("section", { class: wide ? "wide" : "", "aria-label": title, "data-testid": testid }, el("h2", {}, title), ...children);
}

function grid(head, rows, caption) {
  const t = el("table", { class: "grid" });
  table(t, head, rows, caption);
  return el("div", { class: "table-wrap", tabindex: "0" }, t);
}

// A small form: fields are [name, label, {type, options, required}]; onSubmit(values).
function form(label, fields, submit, onSubmit) {
  const inputs = {};
  const node = el("form", { class: "inline", "aria-label": label }, fields.map(([name, text, opt = {}]) => {
    const input = opt.options
      ? el("select", { name }, opt.options.map((o) => el("option", { value: o }, o)))
      : el("input", { name, type: opt.type || "text", required: opt.required !== false, maxlength: "2000", size: opt.size || "14" });
    inputs[name] = input;
    return el("label", {}, `${text} `, input);
  }), el("button", { type: "submit" }, submit));
  node.addEventListener("submit", async (e) => {
    e.preventDefault();
    const values = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.value]));
    try {
      await onSubmit(values);
      notice(`${label}: done`);
      await load();
    } catch (err) {
      failed(err);
    }
  });
  return node;
}

const post = (path, body) => api(`/cases/${id}${path}`, { method: "POST", body });
const labels = (l) => (l || []).map((x) => el("span", { class: `tag ${x}` }, x));
const list = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);

async function load() {
  const box = document.getElementById("case");
  let c;
  let hits = [];
  try {
    [c, hits] = await Promise.all([api(`/cases/${id}`), api("/deconfliction/hits?limit=500").then((p) => p.items)]);
  } catch (err) {
    failed(err);
    return;
  }
  document.querySelector("h1").textContent = `Case #${c.id}: ${c.title}`;
  const withheldParts = (c.withheld || []).map((w) => withheld(`${w.part} ${w.id ?? ""} (${w.labels.join(", ")}): ${w.reason}`));
  const own = hits.filter((h) => String(h.case_id) === String(c.id));
  box.replaceChildren(
    section("Overview", {},
      el("dl", { class: "facts" },
        el("dt", {}, "Status"), el("dd", {}, c.status),
        el("dt", {}, "Agency"), el("dd", {}, c.owner_agency),
        el("dt", {}, "Opened"), el("dd", {}, `${when(c.created_at)} by ${c.created_by}`),
        el("dt", {}, "Labels"), el("dd", {}, labels(c.labels).length ? labels(c.labels) : "open"),
        el("dt", {}, "Summary"), el("dd", {}, c.summary || "")),
      form("Change status", [["status", "Status", { options: STATUSES }]], "Set", (v) => post("/status", v)),
      el("p", {}, el("button", { type: "button", onclick: () => { setWorkingCase(String(c.id)); notice(`case #${c.id} is now your working case`); } }, "Make working case"),
        " ", el("a", { class: "button", href: "/w/queue" }, "Alert queue")),
      ...withheldParts),
    section("Subjects", {},
      grid(["Kind", "Party", "Reference", "Identifiers", "Added"], (c.subjects || []).map((s) => [
        s.kind, s.party, s.masked ? el("td", {}, el("em", {}, "masked: this case does not grant you identities")) : subjectLink(s),
        s.identifiers.map((i) => `${i.scheme} ${i.token.slice(0, 10)}`).join(", "), `${day(s.added_at)} ${s.added_by}`])),
      form("Add subject", [["kind", "Kind", { options: ["account", "entity", "network", "business"] }], ["ref", "Reference"], ["party", "Party", { options: ["subject", "worker", "victim"] }]], "Add",
        (v) => post("/subjects", v))),
    section("Alerts and dispositions", { wide: true, testid: "case-alerts" },
      grid(["Alert", "Disposition", "By", "When", "Note", "Labels", "Dispose"], (c.alerts || []).map((a) => [
        el("td", {}, el("a", { href: `/w/chart?alert=${encodeURIComponent(a.alert_id)}` }, a.alert_id), " ",
          el("a", { href: `/w/timeline?alert=${encodeURIComponent(a.alert_id)}` }, "timeline"), " ",
          el("a", { href: `/w/trace?alert=${encodeURIComponent(a.alert_id)}` }, "trace")),
        el("td", { class: a.disposition ? `disp ${a.disposition}` : "" }, a.disposition || "not disposed"), a.disposed_by || "", when(a.disposed_at), a.note || "", el("td", {}, labels(a.labels)),
        el("td", {}, form(`Dispose ${a.alert_id}`, [["disposition", "Disposition", { options: ["confirmed", "false_positive", "inconclusive"] }], ["note", "Note", { required: false }]], "Dispose",
          (v) => post(`/alerts/${encodeURIComponent(a.alert_id)}/disposition`, v)))])),
      form("Attach alert", [["alert_id", "Alert id"]], "Attach", (v) => post("/alerts", { alert_id: v.alert_id, labels: [] }))),
    section("Evidence", {},
      grid(["Table", "Key", "Description", "Labels", "Added"], (c.evidence || []).map((e) => [e.table, e.key, e.description, el("td", {}, labels(e.labels)), `${day(e.added_at)} ${e.added_by}`])),
      form("Add evidence", [["table", "Table", { size: 10 }], ["key", "Key", { size: 10 }], ["description", "Description"]], "Add", (v) => post("/evidence", { ...v, labels: [] }))),
    section("Notes", {},
      grid(["When", "Author", "Note", "Labels"], (c.notes || []).map((n) => [when(n.created_at), n.author, n.text, el("td", {}, labels(n.labels))])),
      form("Add note", [["text", "Note", { size: 40 }]], "Add", (v) => post("/notes", { text: v.text, labels: [] }))),
    section("Tasks", {},
      grid(["Task", "Assignee", "Due", "Done", ""], (c.tasks || []).map((t) => [t.title, t.assignee || "", day(t.due), t.done ? `yes ${day(t.done_at)}` : "no",
        el("td", {}, t.done ? "" : el("button", { type: "button", onclick: async () => { try { await post(`/tasks/${t.id}/complete`); await load(); } catch (err) { failed(err); } } }, "Complete"))])),
      form("Add task", [["title", "Task"], ["assignee", "Assignee", { options: (c.members || []).map((m) => m.username) }], ["due", "Due", { type: "date", required: false }]], "Add",
        (v) => post("/tasks", { title: v.title, assignee: v.assignee || null, due: v.due || null }))),
    section("Referrals", {},
      grid(["To", "From", "Status", "Reason", "When"], (c.referrals || []).map((r) => [r.to_agency, r.from_agency, r.status, r.reason, day(r.created_at)])),
      form("Refer", [["to_agency", "To agency"], ["reason", "Reason", { size: 30 }]], "Refer", (v) => post("/referrals", v))),
    section("Deconfliction hits", {},
      own.length ? grid(["When", "Other agency", "Contact", "Message"], own.map((h) => [when(h.at), h.other_agency, h.contact, h.message]))
        : el("p", { class: "hint" }, "No other agency has a subject of this case on an open case.")),
    section("Legal bases", { wide: true },
      grid(["Kind", "Reference", "Scope", "Labels", "Persons", "Agencies", "Expires", "Recorded"], (c.legal_bases || []).map((b) => [b.kind, b.reference, b.scope, el("td", {}, labels(b.labels)), b.persons.join(", "), b.agencies.join(", "), day(b.expires), `${day(b.recorded_at)} ${b.recorded_by}`])),
      form("Record legal basis", [["kind", "Kind", { size: 18 }], ["reference", "Reference", { size: 10 }], ["scope", "Scope", { size: 14 }], ["labels", "Labels", { options: ["fti", "le_sensitive", "bsa"] }], ["persons", "Persons (comma)", { size: 12, required: false }], ["agencies", "Agencies (comma)", { size: 12, required: false }], ["expires", "Expires", { type: "date" }]], "Record",
        (v) => post("/legal-bases", { ...v, labels: [v.labels], persons: list(v.persons), agencies: list(v.agencies) }))),
    section("Members", { wide: true },
      grid(["User", "Role", "Agency", "Identities", "Added"], (c.members || []).map((m) => [m.username, m.role, m.agency, m.identities ? "granted" : "masked", day(m.added_at)])),
      form("Add member", [["username", "User"]], "Add", (v) => post("/members", v)),
      form("Grant identities", [["username", "User"], ["grant", "Action", { options: ["grant", "revoke"] }]], "Set", (v) => post("/identity-grants", { username: v.username, grant: v.grant === "grant" }))),
  );
}

function subjectLink(s) {
  const href = s.kind === "account" ? `/w/chart?account=${encodeURIComponent(s.ref)}`
    : s.kind === "network" ? `/w/chart?alert=${encodeURIComponent(s.ref)}`
      : `/w/entity?id=${encodeURIComponent(s.ref)}`;
  return el("td", {}, el("a", { href }, s.ref));
}

if (guard()) load();
