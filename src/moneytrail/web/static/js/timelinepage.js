// Timeline and sources and uses: /w/timeline?alert=ID | account=KEY (Apache ECharts).
/* global echarts */
import { api, failed, guard, money, num, param, query, table, workingCase } from "./api.js";

const alert = param("alert");
const account = param("account");
const focus = alert ? { alert_id: alert } : { account_key: account };

async function drawTimeline(chart) {
  const bucket = document.getElementById("bucket").value;
  try {
    const doc = await api(`/flows/timeline${query({ ...focus, bucket, case_id: workingCase() })}`);
    if (doc.withheld) throw new Error(`Withheld: ${doc.withheld}`);
    const p = doc.periods;
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", valueFormatter: (v) => money(v) },
      legend: { top: 0 },
      grid: { left: 70, right: 20, top: 30, bottom: 50 },
      dataZoom: [{ type: "inside" }, { type: "slider", height: 18, bottom: 6 }],
      xAxis: { type: "category", data: p.map((x) => x.period.slice(0, 10)) },
      yAxis: { type: "value", axisLabel: { formatter: (v) => (Math.abs(v) >= 1000 ? `${v / 1000}k` : v) } },
      series: [
        { name: "in", type: "bar", stack: "m", data: p.map((x) => Number(x.in)), itemStyle: { color: "#2e7d4f" } },
        { name: "out", type: "bar", stack: "m", data: p.map((x) => -Number(x.out)), itemStyle: { color: "#b03a2e" } },
        { name: "within", type: "line", data: p.map((x) => Number(x.internal)), itemStyle: { color: "#0b5cad" } },
      ],
    }, true);
    document.getElementById("timeline").dataset.periods = String(p.length);
  } catch (err) {
    failed(err);
  }
}

async function drawSankey(chart) {
  try {
    const doc = await api(`/flows/sources-uses${query({ ...focus, case_id: workingCase() })}`);
    if (doc.withheld) throw new Error(`Withheld: ${doc.withheld}`);
    const middle = alert ? `network of alert ${alert}` : `account ${account}`;
    const nodes = [{ name: middle }];
    const links = [];
    for (const s of doc.sources) { nodes.push({ name: `from ${s.name}` }); links.push({ source: `from ${s.name}`, target: middle, value: Number(s.amount) }); }
    for (const u of doc.uses) { nodes.push({ name: `to ${u.name}` }); links.push({ source: middle, target: `to ${u.name}`, value: Number(u.amount) }); }
    chart.setOption({
      animation: false,
      tooltip: { trigger: "item", valueFormatter: (v) => money(v) },
      series: [{ type: "sankey", data: nodes, links, nodeAlign: "justify", left: 10, right: 200, top: 10, bottom: 10,
        label: { fontSize: 11 }, lineStyle: { color: "gradient", opacity: 0.45 }, emphasis: { focus: "adjacency" } }],
    }, true);
    const rows = (list) => list.map((x) => [x.account_key ? `${x.name}` : x.name, num(money(x.amount)), num(x.count)]);
    table(document.getElementById("sources"), ["Source", "Amount", "Txns"], rows(doc.sources), `Sources: ${money(doc.total_in)} in`);
    table(document.getElementById("uses"), ["Use", "Amount", "Txns"], rows(doc.uses),
      `Uses: ${money(doc.total_out)} out; ${money(doc.internal.amount)} moved between the accounts themselves (${doc.internal.count} txns, left aside)`);
  } catch (err) {
    failed(err);
  }
}

if (guard()) {
  document.querySelector("h1").textContent = alert ? `Money of alert ${alert} over time` : `Money of account ${account} over time`;
  document.getElementById("focus").textContent = alert ? "in and out of the network; transfers within it drawn apart" : "";
  const timeline = echarts.init(document.getElementById("timeline"), null, { renderer: "svg" });
  const sankey = echarts.init(document.getElementById("sankey"), null, { renderer: "svg" });
  document.getElementById("bucket").addEventListener("change", () => drawTimeline(timeline));
  window.addEventListener("resize", () => { timeline.resize(); sankey.resize(); });
  drawTimeline(timeline);
  drawSankey(sankey);
}
