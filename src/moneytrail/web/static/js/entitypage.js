// Entity page: /w/entity?id=ENTITY - source records, why they are one entity (match
// weights per field, as `moneytrail link explain` gives them), accounts held, ties.
/* global echarts */
import { api, el, failed, guard, money, num, param, query, table, withheld, workingCase } from "./api.js";

async function load(id) {
  try {
    const [entity, profile] = await Promise.all([
      api(`/entities/${encodeURIComponent(id)}${query({ case_id: workingCase() })}`),
      api(`/entities/${encodeURIComponent(id)}/profile${query({ case_id: workingCase() })}`),
    ]);
    const head = document.getElementById("head");
    if (entity.withheld || profile.withheld) {
      head.replaceChildren(el("h2", {}, id), withheld(entity.withheld || profile.withheld));
      return;
    }
    document.querySelector("h1").textContent = `Entity ${id} (${entity.kind})`;
    head.replaceChildren(
      el("dl", { class: "facts" },
        el("dt", {}, "Kind"), el("dd", {}, entity.kind),
        el("dt", {}, "Source records"), el("dd", {}, entity.members),
        el("dt", {}, "Accounts held"), el("dd", {}, profile.accounts.length),
        el("dt", {}, "Names"), el("dd", {}, [...new Set(entity.records.map((r) => r.name).filter(Boolean))].join("; ") || "-"),
        el("dt", {}, "Identity"), el("dd", {}, entity.kind === "person" ? "people's names are shown as initials (masked)" : "shown")),
      el("p", { class: "actions" }, el("a", { class: "button", href: `/w/chart?entity=${encodeURIComponent(id)}` }, "Link chart")),
    );
    table(document.getElementById("accounts"), ["Account", "Bank", "In", "Out", "Txns", ""],
      profile.accounts.map((a) => [a.masked, a.bank || "", num(money(a.in)), num(money(a.out)), num(a.count),
        el("td", {}, el("a", { href: `/w/timeline?account=${a.account_key}` }, "timeline"), " ", el("a", { href: `/w/chart?account=${a.account_key}` }, "chart"))]));
    table(document.getElementById("ties"), ["Tie", "Role", "Direction", "Other party", "Since"],
      profile.ties.map((t) => [t.kind, t.role || "", t.direction, t.other && t.other.includes("-") ? el("td", {}, el("a", { href: `/w/entity?id=${encodeURIComponent(t.other)}` }, t.other)) : t.other || "", t.since || ""]));
    table(document.getElementById("records"), ["Record", "Name", "Source file", "Format"],
      entity.records.map((r) => [r.member_id, r.name || "", r.source || "", r.format || ""]));
    table(document.getElementById("links"), ["Record", "Linked to", "Rule", "Weight", "Probability", "Fields"],
      profile.links.map((l) => [l.member_l, l.member_r, l.rule, num(l.match_weight === null ? "" : l.match_weight.toFixed(2)),
        num(l.match_probability.toFixed(4)), l.fields.map((f) => `${f.field}: ${f.level} (${f.weight})`).join("; ")]));
    drawWeights(profile.links);
  } catch (err) {
    failed(err);
  }
}

function drawWeights(links) {
  const box = document.getElementById("weights");
  if (!links.length) {
    box.replaceChildren(el("p", { class: "hint" }, "One source record: no link to explain."));
    box.style.height = "auto";
    return;
  }
  const shown = links.slice(0, 40);
  const fields = [...new Set(shown.flatMap((l) => l.fields.map((f) => f.field)))];
  box.style.height = `${Math.max(180, 26 * shown.length + 60)}px`;
  const chart = echarts.init(box, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
    legend: { top: 0 },
    grid: { left: 260, right: 30, top: 28, bottom: 24 },
    xAxis: { type: "value", name: "match weight (log2 Bayes factor)", nameLocation: "middle", nameGap: 22 },
    yAxis: { type: "category", inverse: true, data: shown.map((l) => `${l.member_l.slice(0, 18)} ~ ${l.member_r.slice(0, 18)}`), axisLabel: { fontSize: 10 } },
    series: fields.map((f) => ({ name: f, type: "bar", stack: "w", data: shown.map((l) => { const x = l.fields.find((y) => y.field === f); return x ? x.weight : 0; }) })),
  });
}

if (guard()) load(param("id"));
