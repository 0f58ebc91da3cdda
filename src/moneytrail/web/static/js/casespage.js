// Cases you may see, and opening a new one.
import { api, day, el, failed, guard, table } from "./api.js";

async function load() {
  try {
    const page = await api("/cases?limit=200");
    table(document.getElementById("case-list"), ["#", "Title", "Status", "Agency", "Opened by", "Opened", "Updated"],
      page.items.map((c) => [el("td", { class: "num" }, el("a", { href: `/w/case?id=${c.id}` }, `#${c.id}`)), el("td", {}, el("a", { href: `/w/case?id=${c.id}` }, c.title)),
        c.status, c.owner_agency, c.created_by, day(c.created_at), day(c.updated_at)]), `${page.total} cases you may see`);
  } catch (err) {
    failed(err);
  }
}

document.getElementById("new-case").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const c = await api("/cases", { method: "POST", body: { title: document.getElementById("new-title").value, summary: document.getElementById("new-summary").value } });
    location.assign(`/w/case?id=${c.id}`);
  } catch (err) {
    failed(err);
  }
});

if (guard()) load();
