// kdx's dashboard: the crash list, signatures over time, breakdowns, and a page per crash.
// Plain DOM, no framework: every string from a dump goes in through textContent, never as HTML.

const app = document.getElementById("app");

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children.flat())
    if (c !== undefined && c !== null) e.append(c instanceof Node ? c : String(c));
  return e;
}

const svg = (tag, attrs = {}) => {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
};

async function get(path) {
  const r = await fetch(path);
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.json();
}

const when = (row) => new Date(row.crash_time ? row.crash_time * 1000 : row.created);
const fmtTime = (d) => d.toISOString().replace("T", " ").slice(0, 19);
const fmtBytes = (n) =>
  n >= 2 ** 30
    ? `${(n / 2 ** 30).toFixed(1)} GiB`
    : n >= 2 ** 20
      ? `${(n / 2 ** 20).toFixed(1)} MiB`
      : `${Math.ceil(n / 1024)} KiB`;
// As the index names hosts: the kernel's node name, else the host part of kdump's directory name.
const host = (row) =>
  row.hostname && row.hostname !== "(none)"
    ? row.hostname
    : row.dir.replace(/-(\d{4}-\d\d-\d\d-\d\d:\d\d:\d\d|\d{12})(\.\d+)?$/, "");
const state = (s) => el("span", { class: `state ${s}`, "data-state": s }, s);

function crashTable(rows) {
  if (!rows.length)
    return el("p", { class: "muted" }, "No dumps yet. Point a kdump client at this server's ssh port.");
  return el(
    "table",
    { id: "crashes" },
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        ["time", "host", "kernel", "crash", "state", "size"].map((h) => el("th", {}, h)),
      ),
    ),
    el(
      "tbody",
      {},
      rows.map((r) =>
        el(
          "tr",
          { class: "row", "data-id": r.id, onclick: () => go(`/crash/${r.id}`) },
          el("td", {}, fmtTime(when(r))),
          el("td", {}, host(r)),
          el("td", {}, r.release ?? ""),
          el(
            "td",
            { class: "title" },
            el("a", { href: `/crash/${r.id}` }, r.title ?? (r.state === "failed" ? r.error : "—")),
          ),
          el("td", {}, state(r.state)),
          el("td", {}, fmtBytes(r.bytes)),
        ),
      ),
    ),
  );
}

/** Counts per day for each signature, as small stacked columns over the last 30 days. */
function signatureChart(sigs) {
  const days = [];
  const today = new Date();
  for (let i = 29; i >= 0; i--) days.push(new Date(today.getTime() - i * 86400e3).toISOString().slice(0, 10));
  const colors = ["#2457c5", "#c5244f", "#1e7b34", "#9a6700", "#6a3cc5", "#00838f", "#6d4c41"];
  const top = sigs.slice(0, colors.length);
  const per = days.map((d) => top.map((s) => (s.days ?? "").split(",").filter((x) => x === d).length));
  const max = Math.max(1, ...per.map((c) => c.reduce((a, b) => a + b, 0)));
  const W = 600;
  const H = 120;
  const bw = W / days.length;
  const g = svg("svg", {
    viewBox: `0 0 ${W} ${H + 16}`,
    width: "100%",
    role: "img",
    "aria-label": "crashes per day by signature",
  });
  per.forEach((counts, i) => {
    let y = H;
    counts.forEach((n, j) => {
      if (!n) return;
      const h = (n / max) * H;
      y -= h;
      const r = svg("rect", { x: i * bw + 1, y, width: bw - 2, height: h, fill: colors[j] });
      r.append(svg("title"));
      r.firstChild.textContent = `${days[i]}: ${n} × ${top[j].title}`;
      g.append(r);
    });
  });
  for (const i of [0, 14, 29]) {
    const t = svg("text", { x: i === 29 ? W : i * bw, y: H + 12, "text-anchor": i === 29 ? "end" : "start" });
    t.textContent = days[i].slice(5);
    g.append(t);
  }
  return { chart: g, colors };
}

function signatures(sigs) {
  const { chart, colors } = signatureChart(sigs);
  return el(
    "section",
    { id: "signatures" },
    el("h2", {}, "Signatures"),
    chart,
    el(
      "table",
      {},
      el(
        "thead",
        {},
        el(
          "tr",
          {},
          ["", "crash", "count", "first seen", "last seen", "signature"].map((h) => el("th", {}, h)),
        ),
      ),
      el(
        "tbody",
        {},
        sigs.map((s, i) =>
          el(
            "tr",
            { "data-signature": s.signature },
            el("td", {}, el("span", { class: "bar", style: `width:.7em;background:${colors[i] ?? "#999"}` })),
            el("td", {}, s.title),
            el("td", { class: "count" }, s.count),
            el("td", {}, fmtTime(new Date(s.first))),
            el("td", {}, fmtTime(new Date(s.last))),
            el("td", { class: "muted" }, s.signature),
          ),
        ),
      ),
    ),
  );
}

function breakdown(title, id, items) {
  const max = Math.max(1, ...items.map((i) => i.count));
  return el(
    "section",
    { id },
    el("h2", {}, title),
    items.length
      ? el(
          "table",
          {},
          el(
            "tbody",
            {},
            items.map((i) =>
              el(
                "tr",
                {},
                el("td", {}, i.key),
                el(
                  "td",
                  {},
                  el("span", { class: "bar", style: `width:${(i.count / max) * 8}em` }),
                  ` ${i.count}`,
                ),
              ),
            ),
          ),
        )
      : el("p", { class: "muted" }, "—"),
  );
}

async function home() {
  const [{ crashes }, { signatures: sigs }, bd] = await Promise.all([
    get("/api/crashes"),
    get("/api/signatures"),
    get("/api/breakdown"),
  ]);
  document.title = `kdx — ${crashes.length} dump${crashes.length === 1 ? "" : "s"}`;
  app.replaceChildren(
    el("section", {}, el("h2", {}, "Crashes"), crashTable(crashes)),
    el(
      "div",
      { class: "grid" },
      signatures(sigs),
      breakdown("By kernel release", "by-release", bd.release),
      breakdown("By host", "by-host", bd.host),
    ),
  );
}

/** The log with a filter box: lines matching the search stay, the match marked. */
function logView(text) {
  const pre = el("pre", { class: "log", id: "log" });
  const lines = text.split("\n");
  const input = el("input", {
    type: "search",
    placeholder: "search the log (text or /regex/)",
    id: "log-search",
  });
  const count = el("span", { class: "muted", id: "log-count" });
  const render = () => {
    const q = input.value;
    let re;
    try {
      re = q.startsWith("/") && q.endsWith("/") && q.length > 2 ? new RegExp(q.slice(1, -1), "i") : undefined;
    } catch {
      re = undefined;
    }
    const match = (l) => (re ? re.test(l) : l.toLowerCase().includes(q.toLowerCase()));
    const shown = q ? lines.filter(match) : lines;
    pre.replaceChildren();
    for (const l of shown.slice(0, 20000)) {
      if (!q || re) {
        pre.append(`${l}\n`);
        continue;
      }
      const i = l.toLowerCase().indexOf(q.toLowerCase());
      pre.append(l.slice(0, i), el("mark", {}, l.slice(i, i + q.length)), `${l.slice(i + q.length)}\n`);
    }
    count.textContent = q ? ` ${shown.length} of ${lines.length} lines` : ` ${lines.length} lines`;
  };
  input.addEventListener("input", render);
  render();
  return el("div", {}, el("p", {}, input, count), pre);
}

async function crashPage(id) {
  const c = await get(`/api/crashes/${id}`);
  const d = c.detail ?? { reports: [], explained: [], problems: [] };
  document.title = `kdx — ${c.title ?? c.dir}`;
  const meta = [
    ["host", host(c)],
    ["from", `${c.owner_name} (${c.peer})`],
    ["kernel", c.release ?? "?"],
    ["crashed", c.crash_time ? fmtTime(new Date(c.crash_time * 1000)) : "?"],
    ["received", fmtTime(new Date(c.created))],
    ["dump", c.format ?? "—"],
    ["directory", c.dir],
  ];
  const sections = [
    el(
      "section",
      {},
      el("p", {}, el("a", { href: "/" }, "← all crashes")),
      el("h1", { id: "crash-title" }, c.title ?? "(not analysed)"),
      el(
        "div",
        { class: "meta" },
        state(c.state),
        meta.map(([k, v]) => el("div", {}, el("span", {}, k), v)),
      ),
      c.signature ? el("p", { class: "muted" }, `signature ${c.signature}`) : null,
      c.error ? el("p", { class: "problems" }, c.error) : null,
      d.problems?.length
        ? el(
            "ul",
            { class: "problems" },
            d.problems.map((p) => el("li", {}, p)),
          )
        : null,
      el(
        "p",
        { class: "files" },
        "files: ",
        c.files.map((f) =>
          el(
            "a",
            {
              href: `/files/${encodeURIComponent(c.dir)}/${encodeURIComponent(f.name)}`,
              "data-state": f.state,
            },
            `${f.name} (${fmtBytes(f.bytes)}${f.state === "complete" ? "" : `, ${f.state}`})`,
          ),
        ),
      ),
    ),
  ];
  d.explained.forEach((text, i) => {
    sections.push(
      el(
        "section",
        { class: "report" },
        el("h2", {}, d.explained.length > 1 ? `Report ${i + 1}` : "The report"),
        el("pre", {}, text),
      ),
    );
  });
  if (d.bt)
    sections.push(el("section", { id: "bt" }, el("h2", {}, "bt — the panic task"), el("pre", {}, d.bt)));
  if (d.sys) sections.push(el("section", { id: "sys" }, el("h2", {}, "sys"), el("pre", {}, d.sys)));
  if (d.log)
    sections.push(
      el(
        "section",
        { id: "log-section" },
        el("h2", {}, `Log (from ${d.source}${d.logCut ? ", last 4 MiB" : ""})`),
        logView(d.log),
      ),
    );
  app.replaceChildren(...sections);
}

function go(path) {
  history.pushState({}, "", path);
  route();
}

async function route() {
  const m = /^\/crash\/(\d+)$/.exec(location.pathname);
  try {
    if (m) await crashPage(m[1]);
    else await home();
    document.getElementById("refreshed").textContent = `updated ${fmtTime(new Date())}`;
  } catch (e) {
    app.replaceChildren(el("p", { class: "problems" }, String(e.message ?? e)));
  }
}

document.addEventListener("click", (e) => {
  const href = e.target.closest?.("a")?.getAttribute("href");
  if (href?.startsWith("/") && !href.startsWith("/files/")) {
    e.preventDefault();
    go(href);
  }
});
window.addEventListener("popstate", route);
route();
// The list refreshes itself while it is open: new dumps appear as they land.
setInterval(() => {
  if (location.pathname === "/" && !document.hidden) route();
}, 5000);
