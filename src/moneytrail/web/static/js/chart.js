// The link chart: Cytoscape.js with fcose (force) and dagre (hierarchical) layouts.
// Accounts, holders (people masked), banks and assets are nodes; money flows are
// edges summed per payer and payee, their width by amount. The chart keeps
// `data-node-count` and `data-edge-count` on its container current (visible ones).
/* global cytoscape, cytoscapeFcose, cytoscapeDagre */
import { api, day, el, failed, money, notice, query, short, when } from "./api.js";
import { toSvg } from "./svg.js";

cytoscape.use(cytoscapeFcose);
cytoscape.use(cytoscapeDagre);

const PALETTE = [
  "#d62728", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
  "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39",
];
const LARGE = 1000;
const LABEL_PX = 9; // node label font size, model units
const MIN_LABEL_PX = 7; // labels smaller than this on screen are not drawn
const FIT_MAX_PX = 2400; // the tallest the chart panel grows to fit a drawing
const FIT_ZOOM = 1.3; // the zoom the panel grows for: 9 px labels drawn at about 12 px
const FIT_MAX_ZOOM = 1.6; // a small drawing is not blown up past this

// A node's label on two lines: "BANK ****1234 #tag" puts the bank on the first and
// the masked number and tag on the second; other labels wrap at the style's width.
function caption(label) {
  const text = String(label ?? "");
  const cut = text.indexOf(" ****");
  return cut > 0 ? `${text.slice(0, cut)}\n${text.slice(cut + 1)}` : text;
}
const KIND_COLOUR = { person: "#6b7d99", company: "#4a6b5a", bank: "#b8a16a", asset: "#7a4f8a" };

const STYLE = [
  { selector: "node", style: {
    "background-color": "data(colour)", label: "data(caption)", "font-size": LABEL_PX, color: "#1b1f24",
    "text-valign": "bottom", "text-margin-y": 2, width: 16, height: 16, "min-zoomed-font-size": MIN_LABEL_PX,
    "border-width": 1, "border-color": "#fff",
    // Two short lines (bank; masked number and tag) on a white ground: readable over
    // the edges that pass beneath, and narrow enough for dagre to stack them.
    "text-wrap": "wrap", "text-max-width": 110, "line-height": 1.15,
    "text-background-color": "#fff", "text-background-opacity": 0.85, "text-background-padding": 1,
  } },
  { selector: "node[kind = 'account']", style: { shape: "round-rectangle", width: 18, height: 12 } },
  { selector: "node[kind = 'person']", style: { shape: "ellipse" } },
  { selector: "node[kind = 'company']", style: { shape: "hexagon", width: 18, height: 16 } },
  { selector: "node[kind = 'bank']", style: { shape: "diamond", width: 14, height: 14 } },
  { selector: "node[kind = 'asset']", style: { shape: "star", width: 18, height: 18 } },
  // Labels dropped by declutter, back while hovered or selected, drawn on top.
  { selector: "node.mute", style: { label: "" } },
  { selector: "node.mute.hover, node.mute:selected", style: { label: "data(caption)", "z-index": 40, "text-background-opacity": 1 } },
  { selector: "node.focus", style: { "border-width": 3, "border-color": "#111" } },
  { selector: "node.subject", style: { "border-width": 3, "border-color": "#c00" } },
  { selector: "node.pinned", style: { "border-style": "double", "border-width": 4, "border-color": "#333" } },
  { selector: "node:selected", style: { "overlay-opacity": 0.25, "overlay-color": "#0b5cad" } },
  { selector: ":parent", style: {
    "background-opacity": 0.06, "background-color": "#0b5cad", "border-color": "#0b5cad",
    "border-width": 1, label: "data(label)", "text-valign": "top", "font-size": 10, shape: "round-rectangle",
  } },
  { selector: "edge", style: {
    width: 1, "line-color": "#b9c0c8", "curve-style": "bezier", "target-arrow-shape": "none", opacity: 0.8,
  } },
  { selector: "edge[kind = 'flow']", style: {
    width: "data(w)", "line-color": "#5b6b7c", "target-arrow-shape": "triangle", "target-arrow-color": "#5b6b7c",
    "arrow-scale": 0.7, label: "data(label)", "font-size": 8, color: "#44505c", "text-rotation": "autorotate",
    "min-zoomed-font-size": 7, "text-background-color": "#fff", "text-background-opacity": 0.85,
  } },
  // Flow labels that would sit on a node, its label or a bigger flow's label are
  // dropped (see declutter); hovering or selecting the flow shows its label again.
  { selector: "edge.quiet", style: { label: "" } },
  { selector: "edge.quiet.hover, edge.quiet:selected", style: { label: "data(label)", "z-index": 30 } },
  { selector: "edge[kind = 'holds'], edge[kind = 'owns']", style: { "line-style": "dashed", "line-color": "#8a96a3" } },
  { selector: "edge[kind = 'bank']", style: { "line-style": "dotted", "line-color": "#c9b98d" } },
  { selector: "edge.evidence", style: { "line-color": "#c0392b", "target-arrow-color": "#c0392b" } },
  { selector: ".path", style: { "line-color": "#e67e00", "target-arrow-color": "#e67e00", "border-color": "#e67e00", "border-width": 4, "z-index": 20 } },
  { selector: ".tainted", style: { "line-color": "#b00020", "target-arrow-color": "#b00020", "z-index": 15, opacity: 1 } },
  { selector: ".hidden, .filtered", style: { display: "none" } },
];

export class LinkChart {
  constructor(container, inspector, legend) {
    this.container = container;
    this.inspector = inspector;
    this.legend = legend;
    this.colours = new Map();
    this.subjects = new Set(); // node ids that are case subjects
    this.mode = "typology";
    this.typology = "";
    this.groups = 0;
    this.large = false;
    this.cy = cytoscape({
      container, style: STYLE, minZoom: 0.05, maxZoom: 4,
      textureOnViewport: false, hideEdgesOnViewport: false, boxSelectionEnabled: true,
      selectionType: "additive",
    });
    this.cy.on("tap", "node", (e) => this.inspectNode(e.target));
    this.cy.on("tap", "edge", (e) => this.inspectEdge(e.target));
    this.cy.on("mouseover", "edge", (e) => e.target.addClass("hover"));
    this.cy.on("mouseout", "edge", (e) => e.target.removeClass("hover"));
    this.cy.on("mouseover", "node", (e) => e.target.union(e.target.connectedEdges()).addClass("hover"));
    this.cy.on("mouseout", "node", (e) => e.target.union(e.target.connectedEdges()).removeClass("hover"));
    this.cy.on("dragfree", "node", () => { this.tidy = false; this.tidyUp(); });
    this.cy.on("zoom", () => this.tidyUp());
    inspector.replaceChildren(el("h2", {}, "Inspector"), el("p", { class: "hint" },
      "Click a node or a flow to see it here. Shift-click or drag a box to select several; " +
      "Expand adds their counterparties, Paths needs exactly two."));
  }

  // Merge a chart document from the API; returns the ids added.
  add(doc) {
    const els = [];
    const ids = new Set(this.cy.elements().map((x) => x.id()));
    for (const n of doc.nodes) {
      if (ids.has(n.id)) continue;
      ids.add(n.id);
      els.push({ group: "nodes", data: { ...n, caption: caption(n.label), colour: this.colourOf(n) }, classes: n.focus ? "focus" : "" });
    }
    let max = 1;
    for (const e of doc.edges) if (e.kind === "flow") max = Math.max(max, Number(e.amount));
    this.cy.edges("[kind = 'flow']").forEach((e) => { max = Math.max(max, Number(e.data("amount"))); });
    for (const e of doc.edges) {
      if (ids.has(e.id) || !ids.has(e.source) || !ids.has(e.target)) continue;
      ids.add(e.id);
      const data = { ...e };
      if (e.kind === "flow") {
        data.w = 1 + 7 * Math.sqrt(Number(e.amount) / max);
        data.label = `${short(e.amount)} x${e.count}`;
      }
      els.push({ group: "edges", data, classes: e.evidence ? "evidence" : "" });
    }
    this.scale(this.cy.nodes().length + els.filter((x) => x.group === "nodes").length);
    this.cy.batch(() => this.cy.add(els));
    this.recolour();
    this.count();
    return els.map((x) => x.data.id);
  }

  clear() {
    this.cy.elements().remove();
    this.scale(0);
    this.stash = null;
    this.count();
  }

  colourOf(n) {
    if (n.kind !== "account") return KIND_COLOUR[n.kind] || "#999";
    if (this.mode === "subject") return this.subjects.has(n.id) ? "#c0392b" : "#9aa5b1";
    const t = (n.typologies || [])[0];
    if (!t) return "#9aa5b1";
    if (!this.colours.has(t)) this.colours.set(t, PALETTE[this.colours.size % PALETTE.length]);
    return this.colours.get(t);
  }

  recolour() {
    this.cy.batch(() => {
      this.cy.nodes().forEach((n) => {
        if (n.isParent()) return;
        n.data("colour", this.colourOf(n.data()));
        n.toggleClass("subject", this.subjects.has(n.id()));
      });
    });
    this.drawLegend();
  }

  setMode(mode) {
    this.mode = mode;
    this.recolour();
  }

  drawLegend() {
    if (!this.legend) return;
    const items = [];
    if (this.mode === "typology") {
      for (const [t, c] of this.colours) items.push(el("span", {}, el("i", { style: `background:${c}` }), t));
      items.push(el("span", {}, el("i", { style: "background:#9aa5b1" }), "no alert"));
    } else {
      items.push(el("span", {}, el("i", { style: "background:#c0392b" }), "case subject"));
      items.push(el("span", {}, el("i", { style: "background:#9aa5b1" }), "other account"));
    }
    for (const [k, c] of Object.entries(KIND_COLOUR)) items.push(el("span", {}, el("i", { style: `background:${c}` }), k));
    items.push(el("span", {}, el("b", { class: "swatch-line red" }), "alert evidence"));
    items.push(el("span", {}, "edge width: amount; label: total x count"));
    this.legend.replaceChildren(...items);
  }

  // Show only accounts carrying `typology` (and what hangs on them); "" shows all.
  filterTypology(typology) {
    this.typology = typology;
    this.cy.batch(() => {
      this.cy.elements().removeClass("filtered");
      if (!typology) return;
      const keep = this.cy.nodes("[kind = 'account']").filter((n) => (n.data("typologies") || []).includes(typology));
      this.cy.nodes("[kind = 'account']").difference(keep).addClass("filtered");
      this.cy.nodes("[kind != 'account']").forEach((n) => {
        if (n.isParent()) return;
        if (n.neighborhood("node[kind = 'account']").not(".filtered").empty()) n.addClass("filtered");
      });
    });
    this.count();
  }

  // Past LARGE nodes, edges are drawn straight without arrows or labels and node
  // labels only when zoomed in: Cytoscape's cheapest drawing, so that a chart of
  // thousands of accounts still draws in a couple of seconds.
  scale(nodes) {
    const large = nodes > LARGE;
    if (large === this.large) return;
    this.large = large;
    const style = this.cy.style();
    if (large) {
      style.selector("edge").style({ "curve-style": "haystack", "haystack-radius": 0, label: "", "target-arrow-shape": "none" })
        .selector("node").style({ "min-zoomed-font-size": 12, "text-wrap": "none", "text-background-opacity": 0 });
    } else {
      style.resetToDefault();
      style.fromJson(STYLE);
    }
    style.update();
  }

  // Counted by class, not by `visible()`, which would compute every element's
  // style at once (half a second for a 2,000-account chart).
  count() {
    const off = ".hidden, .filtered";
    const nodes = this.cy.nodes().not(off).filter((n) => !n.isParent());
    const edges = this.cy.edges().not(off).filter((e) => !e.source().is(off) && !e.target().is(off));
    this.container.dataset.nodeCount = String(nodes.length);
    this.container.dataset.edgeCount = String(edges.length);
  }

  // force: fcose; dagre: a hierarchy of flows, left to right; rings: the focus in
  // the centre and each hop a ring further out (Cytoscape's concentric layout).
  // Past LARGE nodes force gives way to rings: fcose needs over ten seconds there,
  // and its quick spectral draft piles a hub's counterparties onto one point.
  layout(name, fit = true) {
    const n = this.cy.nodes().length;
    const chosen = name !== "dagre" && name !== "rings" && n > LARGE ? "rings" : name;
    const opts = chosen === "dagre"
      // Dagre spaces nodes by their size with the label included, so that labels
      // in one rank stack without touching and ranks leave room for the widest.
      ? { name: "dagre", rankDir: "LR", nodeSep: 10, rankSep: 70, edgeSep: 6, animate: false, fit, nodeDimensionsIncludeLabels: true }
      : chosen === "rings"
        ? {
          name: "concentric", animate: false, fit, minNodeSpacing: 6, startAngle: 0,
          concentric: (x) => (x.data("kind") === "account" ? 10 - Math.min(x.data("hop") ?? 3, 9) : 0),
          levelWidth: () => 1,
        }
        : {
          name: "fcose", quality: "default", animate: false, randomize: true, fit,
          nodeRepulsion: 9000, idealEdgeLength: 70, nodeSeparation: 40, packComponents: true, numIter: 2500,
          nodeDimensionsIncludeLabels: true,
        };
    this.tidy = true; // no declutter on the zoom events of the layout's own fit
    if (fit) this.container.style.height = "";
    this.cy.elements().not(".hidden, .filtered").layout(opts).run();
    this.laidOut = chosen;
    if (fit && !this.large) this.fitPanel();
    this.tidy = false;
    this.tidyUp();
    this.count();
  }

  // A tall drawing (dagre's ranks of many accounts) fitted into the panel would be
  // zoomed out until its labels are too small to read (or not drawn at all): the
  // panel grows instead, up to FIT_MAX_PX, and small drawings are not blown up.
  fitPanel() {
    const pad = 30;
    const shown = this.cy.elements().not(".hidden, .filtered");
    if (shown.empty()) return;
    const bb = shown.boundingBox();
    const width = this.container.clientWidth - 2 * pad;
    const height = this.container.clientHeight - 2 * pad;
    const zoom = Math.min(FIT_ZOOM, width / Math.max(bb.w, 1));
    const needed = Math.ceil(bb.h * zoom) + 2 * pad;
    if (needed > height + 2 * pad) {
      this.container.style.height = `${Math.min(needed, FIT_MAX_PX)}px`;
      this.cy.resize();
    }
    this.cy.fit(shown, pad);
    if (this.cy.zoom() > FIT_MAX_ZOOM) {
      this.cy.zoom(FIT_MAX_ZOOM);
      this.cy.center(shown);
    }
  }

  // Declutter once per layout, and only once labels are drawn at this zoom (Cytoscape
  // leaves out a label under min-zoomed-font-size): a chart shown zoomed out skips the
  // work until the user zooms in.
  tidyUp() {
    if (this.large || this.tidy || this.cy.zoom() * LABEL_PX < MIN_LABEL_PX) return;
    this.tidy = true;
    this.declutter();
  }

  // Labels are drawn only where they clash with nothing already drawn: every node's
  // shape first, then node labels by importance (focus, case subject, pinned, then
  // the most connected), then flow labels, biggest flows first. In a dense middle
  // (a hub's counterparties under force) the labels would otherwise pile on one
  // another; a dropped label comes back on hover or selection. Boxes go into a grid
  // of CELL-sized buckets, so each check looks at a few neighbours, not at every
  // label drawn (linear, not quadratic).
  declutter() {
    const CELL = 40;
    const grid = new Map();
    const cells = (b, fn) => {
      for (let i = Math.floor(b.x1 / CELL); i <= Math.floor(b.x2 / CELL); i += 1) {
        for (let j = Math.floor(b.y1 / CELL); j <= Math.floor(b.y2 / CELL); j += 1) if (fn(`${i},${j}`)) return true;
      }
      return false;
    };
    const put = (b, owner) => cells(b, (k) => { (grid.get(k) || grid.set(k, []).get(k)).push({ ...b, owner }); return false; });
    const hits = (b, owner) => cells(b, (k) => (grid.get(k) || []).some((o) => o.owner !== owner
      && b.x1 < o.x2 && o.x1 < b.x2 && b.y1 < o.y2 && o.y1 < b.y2));
    const off = ".hidden, .filtered";
    const nodes = this.cy.nodes().not(off).filter((n) => !n.isParent());
    const flows = this.cy.edges("[kind = 'flow']").not(off);
    this.cy.batch(() => { nodes.removeClass("mute"); flows.removeClass("quiet"); });
    nodes.forEach((n) => put(n.boundingBox({ includeLabels: false, includeOverlays: false }), n.id()));
    const rank = (n) => (n.hasClass("focus") || n.hasClass("subject") || n.hasClass("pinned") ? 1e6 : 0) + n.degree(false);
    const mute = [];
    nodes.sort((a, b) => rank(b) - rank(a)).forEach((n) => {
      const b = n.boundingBox({ includeNodes: false, includeLabels: true, includeOverlays: false });
      if (!(b.w > 0)) return;
      if (hits(b, n.id())) mute.push(n);
      else put(b, n.id());
    });
    const quiet = [];
    flows.sort((a, b) => Number(b.data("amount")) - Number(a.data("amount"))).forEach((e) => {
      const b = e.boundingBox({ includeNodes: false, includeEdges: false, includeLabels: true, includeOverlays: false,
        includeSourceLabels: false, includeTargetLabels: false });
      if (!(b.w > 0) || hits(b, e.id())) quiet.push(e);
      else put(b, e.id());
    });
    this.cy.batch(() => { this.cy.collection(mute).addClass("mute"); this.cy.collection(quiet).addClass("quiet"); });
  }

  selectedNodes() {
    return this.cy.nodes(":selected").filter((n) => !n.isParent());
  }

  // Hidden elements leave the chart (layouts, paths and counts ignore them) and wait
  // in a stash until "show hidden" puts them back.
  hide() {
    const sel = this.cy.$(":selected");
    sel.unselect();
    const gone = sel.union(sel.connectedEdges()).remove();
    this.stash = (this.stash || this.cy.collection()).union(gone);
    this.count();
    return sel.length;
  }

  showAll() {
    if (this.stash) {
      this.stash.filter((x) => x.isNode()).restore();
      this.stash.filter((x) => x.isEdge() && this.cy.getElementById(x.source().id()).nonempty()
        && this.cy.getElementById(x.target().id()).nonempty()).restore();
      this.stash = null;
    }
    this.count();
  }

  pin() {
    this.selectedNodes().forEach((n) => {
      if (n.locked()) { n.unlock(); n.removeClass("pinned"); } else { n.lock(); n.addClass("pinned"); }
    });
  }

  group() {
    const nodes = this.selectedNodes();
    if (nodes.length < 2) return false;
    this.groups += 1;
    const id = `g:${this.groups}`;
    this.cy.add({ group: "nodes", data: { id, label: `group ${this.groups} (${nodes.length})`, kind: "group" } });
    nodes.move({ parent: id });
    this.count();
    return true;
  }

  ungroup() {
    this.cy.$(":selected").filter((n) => n.isNode() && n.isParent()).forEach((p) => {
      p.children().move({ parent: null });
      p.remove();
    });
    this.cy.nodes(":parent").filter((p) => p.children(":selected").nonempty()).forEach((p) => {
      p.children().move({ parent: null });
      p.remove();
    });
    this.count();
  }

  // The shortest chain of visible links between the two selected nodes.
  paths() {
    const nodes = this.selectedNodes();
    this.cy.elements().removeClass("path");
    if (nodes.length !== 2) return null;
    const visible = this.cy.elements().filter((x) => x.visible());
    const found = visible.aStar({ root: nodes[0], goal: nodes[1], directed: false });
    if (!found.found) return [];
    found.path.addClass("path");
    return found.path;
  }

  markTainted(txnIds) {
    const set = new Set(txnIds);
    this.cy.batch(() => {
      this.cy.edges("[kind = 'flow']").forEach((e) => {
        if ((e.data("txns") || []).some((t) => set.has(t))) e.addClass("tainted");
      });
    });
    return this.cy.edges(".tainted").length;
  }

  png() {
    return this.cy.png({ output: "blob", full: true, scale: 2, bg: "#ffffff" });
  }

  svg() {
    return new Blob([toSvg(this.cy)], { type: "image/svg+xml" });
  }

  inspectNode(n) {
    const d = n.data();
    const parts = [el("h2", {}, `${d.kind} ${d.label}`)];
    const facts = [];
    const fact = (k, v) => { if (v !== undefined && v !== null && v !== "") facts.push(el("dt", {}, k), el("dd", {}, v)); };
    fact("Bank", d.bank);
    fact("Hop from focus", d.hop);
    fact("Typologies", (d.typologies || []).join(", "));
    fact("Asset kind", d.asset_kind);
    fact("Value", d.value ? money(d.value) : "");
    const flows = n.connectedEdges("[kind = 'flow']").filter((e) => e.visible());
    const inflow = flows.filter((e) => e.target().same(n)).reduce((s, e) => s + Number(e.data("amount")), 0);
    const outflow = flows.filter((e) => e.source().same(n)).reduce((s, e) => s + Number(e.data("amount")), 0);
    if (d.kind === "account") {
      fact("In on chart", money(inflow));
      fact("Out on chart", money(outflow));
    }
    parts.push(el("dl", { class: "facts" }, facts));
    const links = [];
    if (d.kind === "account") {
      links.push(el("a", { href: `/w/chart?account=${d.account_key}`, class: "button" }, "Chart of account"));
      links.push(el("a", { href: `/w/timeline?account=${d.account_key}`, class: "button" }, "Timeline"));
    }
    if (d.entity_id) {
      links.push(el("a", { href: `/w/entity?id=${encodeURIComponent(d.entity_id)}`, class: "button" }, "Entity page"));
    }
    for (const a of d.alerts || []) links.push(el("a", { href: `/w/chart?alert=${encodeURIComponent(a)}`, class: "button" }, `Alert ${a}`));
    parts.push(el("p", { class: "actions" }, links));
    this.inspector.replaceChildren(...parts);
  }

  inspectEdge(e) {
    const d = e.data();
    if (d.kind !== "flow") {
      this.inspector.replaceChildren(el("h2", {}, d.kind), el("p", {}, `${e.source().data("label")} - ${e.target().data("label")}${d.role ? ` (${d.role})` : ""}`));
      return;
    }
    this.inspector.replaceChildren(
      el("h2", {}, `Flow ${e.source().data("label")} to ${e.target().data("label")}`),
      el("dl", { class: "facts" },
        el("dt", {}, "Total"), el("dd", {}, `${money(d.amount)} ${d.currency || ""}`),
        el("dt", {}, "Transactions"), el("dd", {}, d.count),
        el("dt", {}, "First"), el("dd", {}, when(d.first)),
        el("dt", {}, "Last"), el("dd", {}, when(d.last)),
        el("dt", {}, "Alert evidence"), el("dd", {}, d.evidence ? "yes" : "no")),
      el("p", { class: "small" }, `Transactions (first ${d.txns.length}): ${d.txns.join(", ")}`),
    );
  }
}

export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// Wire the toolbar of a chart page. `source` says what to chart: {kind, id}.
export function wireToolbar(chart, source, options = {}) {
  const $ = (id) => document.getElementById(id);
  const expansions = [];
  const filter = () => ({
    since: $("since").value ? `${$("since").value}T00:00:00` : "",
    until: $("until").value ? `${$("until").value}T23:59:59` : "",
    min_amount: Number($("min-amount").value) > 0 ? $("min-amount").value : "",
    banks: $("banks").checked ? "true" : "",
  });
  const url = (kind, id, extra = {}) => `/charts/${kind}/${encodeURIComponent(id)}${query({ ...filter(), ...extra })}`;

  async function load(fit = true) {
    const t0 = performance.now();
    try {
      const first = await api(url(source.kind, source.id, source.params || {}));
      chart.container.dataset.fetchMs = String(Math.round(performance.now() - t0));
      if (first.withheld) {
        notice(`Withheld: ${first.withheld}`, "error");
        return first;
      }
      chart.clear();
      chart.add(first);
      for (const x of expansions) chart.add(await api(url(x.kind, x.id, { hops: 1 })));
      fillTypologies(chart);
      chart.filterTypology($("typology").value);
      chart.container.dataset.addedMs = String(Math.round(performance.now() - t0));
      chart.layout($("layout").value, fit);
      if (chart.laidOut !== $("layout").value) $("layout").value = chart.laidOut;
      chart.container.dataset.laidOutMs = String(Math.round(performance.now() - t0));
      // Cytoscape paints on the next animation frame: wait for it to be on screen.
      await new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)));
      chart.container.dataset.drawMs = String(Math.round(performance.now() - t0));
      notice(`${chart.container.dataset.nodeCount} nodes, ${chart.container.dataset.edgeCount} links${first.truncated ? " (capped: expand nodes to see more)" : ""}`);
      return first;
    } catch (err) {
      failed(err);
      return null;
    }
  }

  function fillTypologies() {
    const box = $("typology");
    const have = new Set([...box.options].map((o) => o.value));
    const all = new Set();
    chart.cy.nodes("[kind = 'account']").forEach((n) => (n.data("typologies") || []).forEach((t) => all.add(t)));
    for (const t of [...all].sort()) if (!have.has(t)) box.append(el("option", { value: t }, t));
  }

  $("apply").addEventListener("click", () => load());
  $("layout").addEventListener("change", () => chart.layout($("layout").value));
  $("banks").addEventListener("change", () => load());
  $("colour").addEventListener("change", () => chart.setMode($("colour").value));
  $("typology").addEventListener("change", () => { chart.filterTypology($("typology").value); });
  $("expand").addEventListener("click", async () => {
    const nodes = chart.selectedNodes().filter((n) => n.data("kind") === "account" || n.data("entity_id"));
    if (nodes.empty()) return notice("select an account or an entity to expand", "error");
    try {
      for (const n of nodes) {
        const x = n.data("kind") === "account" ? { kind: "account", id: n.data("account_key") } : { kind: "entity", id: n.data("entity_id") };
        expansions.push(x);
        const added = chart.add(await api(url(x.kind, x.id, { hops: 1 })));
        notice(`expanded ${n.data("label")}: ${added.length} new elements`);
      }
      fillTypologies();
      chart.filterTypology($("typology").value);
      chart.layout($("layout").value);
    } catch (err) {
      failed(err);
    }
  });
  $("hide").addEventListener("click", () => notice(`${chart.hide()} hidden`));
  $("show-all").addEventListener("click", () => chart.showAll());
  $("pin").addEventListener("click", () => chart.pin());
  $("group").addEventListener("click", () => { if (!chart.group()) notice("select two or more nodes to group", "error"); });
  $("ungroup").addEventListener("click", () => chart.ungroup());
  $("paths").addEventListener("click", () => {
    const path = chart.paths();
    if (path === null) return notice("select exactly two nodes (shift-click) to find the path between them", "error");
    if (!path.length) return notice("no path between them among the visible links", "error");
    const hops = path.edges().map((e) => `${e.source().data("label")} -> ${e.target().data("label")}${e.data("amount") ? ` (${money(e.data("amount"))})` : ""}`);
    notice(`path of ${path.edges().length} links: ${hops.join("; ")}`);
  });
  $("png").addEventListener("click", async () => download(await chart.png(), `${options.name || "chart"}.png`));
  $("svg").addEventListener("click", () => download(chart.svg(), `${options.name || "chart"}.svg`));
  return { load, day };
}
