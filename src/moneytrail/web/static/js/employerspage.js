// Employer flags: evidence and reasons; workers masked; FTI only under a covering case.
import { api, el, failed, fillCaseSelect, guard, query, table, workingCase } from "./api.js";

async function load() {
  try {
    const page = await api(`/employers${query({ severity: document.getElementById("severity").value, case_id: workingCase(), limit: 500 })}`);
    table(document.getElementById("flags"), ["Employer", "Name", "Year", "Code", "Severity", "Count", "Reason", "Evidence"],
      page.items.map((f) => f.withheld
        ? [`${f.rows || 1} flags`, el("td", { colspan: "7" }, el("span", { class: "tag fti" }, "FTI"), el("span", { class: "withheld" }, `Withheld: ${f.withheld}`))]
        : [f.employer, f.employer_name || "", String(f.tax_year), f.code, el("td", { class: `sev-${f.severity}` }, f.severity), el("td", { class: "num" }, f.count),
          el("td", {}, (f.labels || []).includes("fti") ? el("span", { class: "tag fti" }, "FTI") : "", f.reason), el("td", { class: "small" }, f.evidence.slice(0, 6).join(", ") + (f.evidence.length > 6 ? ` and ${f.evidence.length - 6} more` : ""))]),
      `${page.total} flags, most severe first`);
  } catch (err) {
    failed(err);
  }
}

if (guard()) {
  const box = document.getElementById("f-case");
  fillCaseSelect(box).then(() => box.addEventListener("change", load));
  document.getElementById("severity").addEventListener("change", load);
  load();
}
