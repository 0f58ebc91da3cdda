// Talking to the JSON API: the bearer token (kept in this tab only), errors in the
// API's one shape, and small helpers every page shares.

const TOKEN = "mt.token";
const USER = "mt.user";
const CASE = "mt.case";

export function token() {
  return sessionStorage.getItem(TOKEN);
}

export async function signIn(username, password) {
  const body = new URLSearchParams({ username, password });
  const r = await fetch("/auth/token", { method: "POST", body });
  const doc = await r.json();
  if (!r.ok) throw new ApiError(doc.error || { message: r.statusText, status: r.status });
  sessionStorage.setItem(TOKEN, doc.access_token);
  sessionStorage.setItem(USER, username);
}

export function signOut() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(USER);
  location.assign("/");
}

export class ApiError extends Error {
  constructor(error) {
    super(error.message);
    this.status = error.status;
    this.detail = error.detail;
  }
}

// GET (or send `body` as JSON with `method`) and return the parsed answer.
export async function api(path, { method = "GET", body } = {}) {
  const headers = { Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const doc = await r.json();
  if (r.status === 401) {
    sessionStorage.removeItem(TOKEN);
    location.assign(`/?next=${encodeURIComponent(location.pathname + location.search)}`);
  }
  if (!r.ok) throw new ApiError(doc.error);
  return doc;
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, v);
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}

export function workingCase() {
  return sessionStorage.getItem(CASE) || "";
}

export function setWorkingCase(id) {
  if (id) sessionStorage.setItem(CASE, id);
  else sessionStorage.removeItem(CASE);
}

// Every page but sign-in: send the user to sign in first, show who is signed in.
export function guard() {
  if (!token()) {
    location.assign(`/?next=${encodeURIComponent(location.pathname + location.search)}`);
    return false;
  }
  document.getElementById("who").textContent = sessionStorage.getItem(USER) || "";
  document.getElementById("sign-out").addEventListener("click", signOut);
  return true;
}

export function param(name) {
  return new URLSearchParams(location.search).get(name);
}

// el("td", {class: "num"}, "text", child...) -> an element; strings become text nodes.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const MONEY = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
export function money(v) {
  return v === null || v === undefined ? "" : MONEY.format(Number(v));
}

export function short(v) {
  const n = Number(v);
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(0);
}

export function day(iso) {
  return iso ? iso.slice(0, 10) : "";
}

export function when(iso) {
  return iso ? iso.slice(0, 16).replace("T", " ") : "";
}

export function notice(text, kind = "info") {
  const box = document.getElementById("notice");
  box.className = `notice ${kind}`;
  box.textContent = text;
}

export function failed(err) {
  notice(err instanceof ApiError ? `${err.status}: ${err.message}` : String(err), "error");
}

// A withheld part: why it is not shown, in the page, never silently dropped.
export function withheld(reason) {
  return el("p", { class: "withheld", role: "note" }, "Withheld: ", reason);
}

// table(el, ["Col", ...], rows of cells) where a cell is a string or a Node.
export function table(node, head, rows, caption) {
  node.replaceChildren();
  if (caption) node.append(el("caption", {}, caption));
  node.append(el("thead", {}, el("tr", {}, head.map((h) => el("th", { scope: "col" }, h)))));
  const body = el("tbody");
  for (const row of rows) {
    body.append(el("tr", {}, row.map((c) => (c instanceof Node && c.tagName === "TD" ? c : el("td", {}, c)))));
  }
  node.append(body);
}

export function num(text) {
  return el("td", { class: "num" }, text);
}

export async function fillCaseSelect(select) {
  try {
    const page = await api("/cases?limit=200");
    for (const c of page.items) {
      select.append(el("option", { value: c.id }, `#${c.id} ${c.title.slice(0, 40)}`));
    }
  } catch (err) {
    failed(err);
  }
  select.value = workingCase();
  select.addEventListener("change", () => setWorkingCase(select.value));
}
