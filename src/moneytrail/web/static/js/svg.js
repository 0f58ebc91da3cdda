// SVG export of a Cytoscape chart. Cytoscape draws on canvas and exports PNG itself;
// its SVG extension (cytoscape-svg) is GPL-3.0, which cannot ship in this
// Apache-2.0 package, so this writes the visible elements' positions and styles
// (as Cytoscape computed them) out as SVG shapes. It lays nothing out.

const esc = (s) => String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
const num = (v) => Number(v).toFixed(1);

function shape(n) {
  const { x, y } = n.position();
  const w = n.width() / 2;
  const h = n.height() / 2;
  const fill = n.style("background-color");
  const stroke = n.style("border-color");
  const sw = parseFloat(n.style("border-width")) || 0;
  const paint = `fill="${fill}" stroke="${stroke}" stroke-width="${sw}"`;
  switch (n.style("shape")) {
    case "ellipse":
      return `<ellipse cx="${num(x)}" cy="${num(y)}" rx="${num(w)}" ry="${num(h)}" ${paint}/>`;
    case "diamond":
      return `<polygon points="${num(x)},${num(y - h)} ${num(x + w)},${num(y)} ${num(x)},${num(y + h)} ${num(x - w)},${num(y)}" ${paint}/>`;
    case "hexagon": {
      const pts = [0, 1, 2, 3, 4, 5].map((i) => `${num(x + w * Math.cos((Math.PI / 3) * i))},${num(y + h * Math.sin((Math.PI / 3) * i))}`);
      return `<polygon points="${pts.join(" ")}" ${paint}/>`;
    }
    case "star": {
      const pts = [];
      for (let i = 0; i < 10; i += 1) {
        const r = i % 2 ? 0.45 : 1;
        const a = -Math.PI / 2 + (Math.PI / 5) * i;
        pts.push(`${num(x + w * r * Math.cos(a))},${num(y + h * r * Math.sin(a))}`);
      }
      return `<polygon points="${pts.join(" ")}" ${paint}/>`;
    }
    default:
      return `<rect x="${num(x - w)}" y="${num(y - h)}" width="${num(2 * w)}" height="${num(2 * h)}" rx="2" ${paint}/>`;
  }
}

export function toSvg(cy) {
  const visible = cy.elements().filter((x) => x.visible());
  const bb = visible.boundingBox({ includeLabels: true });
  const pad = 10;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="${num(bb.x1 - pad)} ${num(bb.y1 - pad)} ${num(bb.w + 2 * pad)} ${num(bb.h + 2 * pad)}" width="${num(bb.w + 2 * pad)}" height="${num(bb.h + 2 * pad)}" font-family="sans-serif">`);
  out.push('<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="5" markerHeight="5" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5b6b7c"/></marker></defs>');
  out.push(`<rect x="${num(bb.x1 - pad)}" y="${num(bb.y1 - pad)}" width="${num(bb.w + 2 * pad)}" height="${num(bb.h + 2 * pad)}" fill="#ffffff"/>`);
  visible.nodes().filter((n) => n.isParent()).forEach((p) => {
    const b = p.boundingBox();
    out.push(`<rect x="${num(b.x1)}" y="${num(b.y1)}" width="${num(b.w)}" height="${num(b.h)}" rx="4" fill="#0b5cad" fill-opacity="0.06" stroke="#0b5cad"/>`);
    out.push(`<text x="${num(b.x1 + 4)}" y="${num(b.y1 - 3)}" font-size="10">${esc(p.data("label"))}</text>`);
  });
  visible.edges().forEach((e) => {
    const s = e.sourceEndpoint();
    const t = e.targetEndpoint();
    const flow = e.data("kind") === "flow";
    const dash = e.style("line-style") === "dashed" ? ' stroke-dasharray="4 3"' : e.style("line-style") === "dotted" ? ' stroke-dasharray="1 3"' : "";
    out.push(`<line x1="${num(s.x)}" y1="${num(s.y)}" x2="${num(t.x)}" y2="${num(t.y)}" stroke="${e.style("line-color")}" stroke-width="${num(parseFloat(e.style("width")))}" stroke-opacity="${e.style("opacity")}"${dash}${flow ? ' marker-end="url(#arrow)"' : ""}><title>${esc(e.data("label") || e.data("kind"))}</title></line>`);
    // the labels the chart draws: a flow's label is left out where it would clash
    if (flow && e.style("label")) {
      out.push(`<text x="${num((s.x + t.x) / 2)}" y="${num((s.y + t.y) / 2 - 2)}" font-size="8" fill="#44505c" text-anchor="middle">${esc(e.style("label"))}</text>`);
    }
  });
  visible.nodes().filter((n) => !n.isParent()).forEach((n) => {
    out.push(shape(n));
    const { x, y } = n.position();
    // the node's label as drawn, on its lines ("BANK" over "****1234 #tag"); none where
    // the chart dropped it for a clash; the full label stays in the node's title
    const lines = String(n.style("label") || "").split("\n").filter(Boolean);
    const spans = lines.map((l, i) => `<tspan x="${num(x)}" dy="${i ? 10.5 : 0}">${esc(l)}</tspan>`).join("");
    out.push(`<text x="${num(x)}" y="${num(y + n.height() / 2 + 10)}" font-size="9" text-anchor="middle" fill="#1b1f24"><title>${esc(n.data("label"))}</title>${spans}</text>`);
  });
  out.push("</svg>");
  return out.join("\n");
}
