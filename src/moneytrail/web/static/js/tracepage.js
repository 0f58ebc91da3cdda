// Trace view: /w/trace?alert=ID - the schedule of the alert's tainted money under a
// rule, and the path it took drawn on the link chart.
import { api, el, failed, guard, money, notice, num, param, query, table, when, withheld, workingCase } from "./api.js";
import { LinkChart, download } from "./chart.js";

// The trace names accounts as "****1234 (account_key)": the key joins them to the chart.
function keyOf(text) {
  const m = /\((-?\d+)\)$/.exec(text || "");
  return m ? m[1] : null;
}

// `purchases`: the movements that bought each asset (GET /transactions), whose payer
// the trace's asset lines do not name.
function traceGraph(trace, purchases) {
  const nodes = Object.entries(trace.accounts).map(([key, a]) => ({
    id: `a:${key}`, kind: "account", label: a.display, account_key: key, hop: a.hop, focus: a.hop === 1, typologies: [],
  }));
  const edges = [];
  const pairs = new Map();
  for (const t of trace.transfers) {
    const from = keyOf(t.from_account);
    const to = keyOf(t.to_account);
    if (!from || !to) continue;
    const id = `f:${from}:${to}`;
    const e = pairs.get(id) || { id, source: `a:${from}`, target: `a:${to}`, kind: "flow", amount: 0, tainted: 0, count: 0, txns: [], first: t.ts, last: t.ts };
    e.amount += Number(t.amount);
    e.tainted += Number(t.tainted_amount);
    e.count += 1;
    e.txns.push(t.txn_id);
    e.last = t.ts;
    pairs.set(id, e);
  }
  for (const e of pairs.values()) {
    for (const end of [e.source, e.target]) {
      if (!nodes.some((n) => n.id === end)) {
        const text = trace.transfers.find((t) => keyOf(t.from_account) === end.slice(2))?.from_account
          || trace.transfers.find((t) => keyOf(t.to_account) === end.slice(2))?.to_account || end;
        nodes.push({ id: end, kind: "account", label: text.split(" ")[0], account_key: end.slice(2), typologies: [] });
      }
    }
    edges.push({ ...e, amount: String(e.tainted) });
  }
  for (const x of trace.assets) {
    nodes.push({ id: `x:${x.asset_id}`, kind: "asset", label: x.description || x.asset_id, asset_kind: x.kind, value: x.value });
    const buy = purchases.find((t) => t.txn_id === x.txn_id);
    if (buy && buy.from_account) {
      const payer = `a:${buy.from_account}`;
      if (!nodes.some((n) => n.id === payer)) nodes.push({ id: payer, kind: "account", label: buy.from_masked, account_key: buy.from_account, typologies: [] });
      edges.push({ id: `p:${x.asset_id}`, source: payer, target: `x:${x.asset_id}`, kind: "flow", amount: buy.amount, count: 1, txns: [buy.txn_id], first: buy.ts, last: buy.ts });
    }
  }
  return { nodes, edges };
}

async function run(chart, alert) {
  const rule = document.getElementById("rule").value;
  const hops = document.getElementById("max-hops").value;
  try {
    const doc = await api(`/alerts/${encodeURIComponent(alert)}/trace${query({ rule, max_hops: hops, case_id: workingCase() })}`);
    const totals = document.getElementById("totals");
    if (doc.withheld) {
      totals.replaceChildren(withheld(doc.withheld));
      return;
    }
    if (!doc.trace) {
      totals.replaceChildren(el("p", {}, doc.note || "nothing to trace"));
      return;
    }
    const t = doc.trace;
    totals.replaceChildren(el("h2", {}, `${t.rule.toUpperCase()} trace of alert ${alert}`),
      el("dl", { class: "facts" }, Object.entries(t.totals).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, money(v))])));
    table(document.getElementById("schedule"), ["Account", "Hop", "Opening known", "Balance at entry", "Balance", "Tainted balance", "Dissipated"],
      Object.entries(t.accounts).map(([key, a]) => [
        el("a", { href: `/w/chart?account=${key}` }, a.display), num(a.hop), a.opening_known ? "yes" : "no",
        num(money(a.balance_at_entry)), num(money(a.balance)), num(money(a.tainted_balance)), num(money(a.dissipated))]));
    table(document.getElementById("transfers"), ["Txn", "When", "From", "To", "Amount", "Tainted", "Left trace"],
      t.transfers.map((x) => [x.txn_id, when(x.ts), label(t, x.from_account), label(t, x.to_account), num(money(x.amount)), num(money(x.tainted_amount)), x.left_trace ? "yes" : ""]));
    table(document.getElementById("assets"), ["Asset", "Kind", "Value", "Purchase txn", "How"],
      t.assets.map((x) => [x.description || x.asset_id, x.kind, num(money(x.value)), x.txn_id, x.how || ""]));
    const bought = t.assets.map((x) => x.txn_id).filter(Boolean);
    const purchases = bought.length ? (await api(`/transactions?${bought.map((x) => `txn_id=${encodeURIComponent(x)}`).join("&")}`)).items : [];
    chart.clear();
    chart.add(traceGraph(t, purchases));
    chart.markTainted([...t.transfers.map((x) => x.txn_id), ...bought]);
    chart.layout(document.getElementById("layout").value);
    notice(`${Object.keys(t.accounts).length} accounts reached, ${t.transfers.length} transfers, ${t.assets.length} assets`);
  } catch (err) {
    failed(err);
  }
}

// "BANK ****1234 #tag (key)": all but the key, which only joins the row to the chart.
function label(t, text) {
  return text ? text.replace(/\s*\(-?\d+\)$/, "") : "";
}

if (guard()) {
  const alert = param("alert");
  document.querySelector("h1").textContent = `Trace of alert ${alert}`;
  const chart = new LinkChart(document.getElementById("chart"), document.getElementById("inspector"), document.getElementById("legend"));
  window.moneytrailChart = chart;
  document.getElementById("layout").value = "dagre";
  document.getElementById("run").addEventListener("click", () => run(chart, alert));
  document.getElementById("apply").addEventListener("click", () => run(chart, alert));
  document.getElementById("layout").addEventListener("change", () => chart.layout(document.getElementById("layout").value));
  document.getElementById("hide").addEventListener("click", () => chart.hide());
  document.getElementById("show-all").addEventListener("click", () => chart.showAll());
  document.getElementById("pin").addEventListener("click", () => chart.pin());
  document.getElementById("group").addEventListener("click", () => chart.group());
  document.getElementById("ungroup").addEventListener("click", () => chart.ungroup());
  document.getElementById("png").addEventListener("click", async () => download(await chart.png(), `trace-${alert}.png`));
  document.getElementById("svg").addEventListener("click", () => download(chart.svg(), `trace-${alert}.svg`));
  for (const id of ["expand", "paths", "banks", "typology", "colour", "since", "until", "min-amount"]) {
    const node = document.getElementById(id);
    node.closest("label") ? node.closest("label").remove() : node.remove();
  }
  run(chart, alert);
}
