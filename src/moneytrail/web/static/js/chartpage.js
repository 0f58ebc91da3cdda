// The link chart page: /chart?alert=ID | account=KEY | entity=ID
import { api, failed, guard, param, workingCase } from "./api.js";
import { LinkChart, wireToolbar } from "./chart.js";

async function caseSubjects(chart) {
  const id = workingCase();
  if (!id) return;
  try {
    const doc = await api(`/cases/${id}`);
    for (const s of doc.subjects || []) {
      if (s.masked) continue;
      if (s.kind === "account") chart.subjects.add(`a:${s.ref}`);
      else if (s.kind === "entity" || s.kind === "business") chart.subjects.add(`e:${s.ref}`);
      else if (s.kind === "network") {
        const g = await api(`/charts/alert/${encodeURIComponent(s.ref)}?hops=0&case_id=${id}`);
        for (const n of g.nodes || []) if (n.focus) chart.subjects.add(n.id);
      }
    }
  } catch (err) {
    failed(err);
  }
}

if (guard()) {
  const alert = param("alert");
  const account = param("account");
  const entity = param("entity");
  const size = { hops: param("hops"), max_nodes: param("max_nodes") };
  const source = alert ? { kind: "alert", id: alert, params: { ...size, case_id: workingCase() } }
    : account ? { kind: "account", id: account, params: size } : { kind: "entity", id: entity, params: size };
  document.querySelector("h1").textContent = `Link chart of ${source.kind} ${source.id}`;
  const chart = new LinkChart(document.getElementById("chart"), document.getElementById("inspector"), document.getElementById("legend"));
  window.moneytrailChart = chart; // for the browser tests and the benchmark
  const tools = wireToolbar(chart, source, { name: `${source.kind}-${source.id}` });
  caseSubjects(chart).then(() => tools.load()).then(() => chart.recolour());
}
