/**
 * The house's floors, read from the code's own imports (ARCHITECTURE.md draws them): every import goes to
 * a lower floor or stays in its own folder; analyses read the kernel, never the dump file; and x86-64's
 * names and constants live in kernel/arch/x86_64/ alone (the oops reader, which reads x86-64 kernels' own
 * report text, and its Code: decoder aside).
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { ROOT } from "../helpers.ts";

/** Floor of each room (a folder under src/; kernel/ is one floor of several rooms). */
const FLOORS: Record<string, number> = {
  util: 1,
  dump: 2,
  kernel: 3,
  analysis: 4,
  report: 4,
  capture: 5,
  views: 6,
  platform: 7,
  server: 8,
  cli: 9,
};

const SRC = join(ROOT, "src");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

const room = (file: string) => relative(SRC, file).split("/")[0];

/** Each relative import of a source file: the file it names, and whether it imports only types. */
function imports(file: string): { target: string; typeOnly: boolean; line: string }[] {
  const text = readFileSync(file, "utf8");
  const out: { target: string; typeOnly: boolean; line: string }[] = [];
  for (const m of text.matchAll(/^(import|export)(\s+type)?[^;]*?from\s+"(\.[^"]+)"/gms))
    out.push({
      target: resolve(dirname(file), m[3]),
      typeOnly: m[2] !== undefined,
      line: m[0].split("\n")[0],
    });
  for (const m of text.matchAll(/import\("(\.[^"]+)"\)/g))
    out.push({ target: resolve(dirname(file), m[1]), typeOnly: false, line: m[0] });
  return out;
}

const files = sources(SRC);

test("every folder of src/ has a floor", () => {
  const rooms = new Set(files.map(room));
  assert.deepEqual(
    [...rooms].filter((r) => FLOORS[r] === undefined && !r.endsWith(".ts")),
    [],
  );
});

test("no import runs up a floor (type-only imports too): util → dump → kernel → analysis → capture → views → platform → server → cli", () => {
  const up: string[] = [];
  for (const f of files)
    for (const i of imports(f)) {
      const from = room(f);
      const to = room(i.target);
      if (from !== to && FLOORS[to] >= FLOORS[from])
        up.push(
          `${relative(ROOT, f)} (${from}, floor ${FLOORS[from]}) imports ${relative(ROOT, i.target)} (${to}, floor ${FLOORS[to]})`,
        );
    }
  assert.deepEqual(up, []);
});

test("analyses read the kernel, not the dump file: analysis/ imports nothing from dump/", () => {
  const bad = files
    .filter((f) => room(f) === "analysis")
    .flatMap((f) =>
      imports(f)
        .filter((i) => room(i.target) === "dump")
        .map((i) => `${relative(ROOT, f)}: ${i.line}`),
    );
  assert.deepEqual(bad, []);
});

test("the server consumes records and views, never the CLI", () => {
  const bad = files
    .filter((f) => room(f) === "server")
    .flatMap((f) =>
      imports(f)
        .filter((i) => room(i.target) === "cli")
        .map((i) => `${relative(ROOT, f)}: ${i.line}`),
    );
  assert.deepEqual(bad, []);
});

/** Where x86-64 may be named: its own folder, and the reader of x86-64 oops text with its Code: decoder. */
const X86_ALLOWED = (rel: string) =>
  rel.startsWith("src/kernel/arch/x86_64/") ||
  rel.startsWith("src/report/") ||
  rel === "src/views/oops-text.ts";

const X86_NAMES: [RegExp, string][] = [
  [/0xffffffff80000000n|0xffff800000000000n/, "an x86-64 address constant"],
  [/\b(EM_X86_64|START_KERNEL_MAP|KERNEL_SPACE)\b/, "an x86-64 constant's name"],
  [
    /\bcpu_khz\b|\bhardirq_stack_ptr\b|\bcea_exception_stacks\b|\binactive_task_frame\b/,
    "an x86-64 kernel symbol",
  ],
  [/\.(rip|rsp|rbp|rax|eflags|orig_rax|orig_ax)\b|regs\.(ip|sp|bp|cs)\b/, "an x86-64 register"],
  [/from "iced-x86"/, "the x86 decoder"],
];

test("x86-64's registers, constants and decoder are named only in kernel/arch/x86_64/ (and the oops reader)", () => {
  const bad: string[] = [];
  for (const f of files) {
    const rel = relative(ROOT, f);
    if (X86_ALLOWED(rel)) continue;
    readFileSync(f, "utf8")
      .split("\n")
      .forEach((line, n) => {
        if (/^\s*(\*|\/\/)/.test(line)) return; // prose in comments may say what x86-64 does
        for (const [re, what] of X86_NAMES)
          if (re.test(line)) bad.push(`${rel}:${n + 1}: ${what}: ${line.trim()}`);
      });
    for (const i of imports(f)) {
      const target = relative(ROOT, i.target);
      // The registry names each architecture; the Code: decoder uses x86-64's disassembler.
      if (target.startsWith("src/kernel/arch/x86_64/") && rel !== "src/kernel/arch/index.ts")
        bad.push(`${rel}: imports ${target}`);
    }
  }
  assert.deepEqual(bad, []);
});

test("adding an architecture is a folder and one line: the registry is the only file that names x86_64's", () => {
  const registry = readFileSync(join(SRC, "kernel/arch/index.ts"), "utf8");
  assert.match(registry, /ARCHITECTURES: readonly Architecture\[\] = \[x86_64\]/);
  const namers = files.filter((f) =>
    /from "\.\/x86_64\/index\.ts"|arch\/x86_64\/index\.ts"/.test(readFileSync(f, "utf8")),
  );
  assert.deepEqual(
    namers.map((f) => relative(ROOT, f)),
    ["src/kernel/arch/index.ts"],
  );
});

/**
 * Where analysis/ may still lay out a struct by hand, and why: each reads structures VMCOREINFO describes
 * (the log and the page filter must work without BTF, as makedumpfile's do), or scans every struct page in
 * bulk, where an object per page would cost tenfold.
 */
const RAW_LAYOUT_ALLOWED: Record<string, string> = {
  "src/analysis/printk/ringbuffer.ts": "the printk ring buffer, by VMCOREINFO (log works without BTF)",
  "src/analysis/printk/log-buf.ts": "the pre-5.10 log buffer, by VMCOREINFO",
  "src/analysis/page-filter.ts": "makedumpfile's struct page tests, by VMCOREINFO, over every page",
  "src/analysis/memory.ts": "kmem -i=shared's scan of every struct page",
};

test("analyses read kernel structs as typed objects: offsets by hand only in the bulk readers listed", () => {
  const bad: string[] = [];
  for (const f of files.filter((x) => room(x) === "analysis")) {
    const rel = relative(ROOT, f);
    const text = readFileSync(f, "utf8");
    if (/\.offsetof\(|vmcoreinfo\.offset\(|\bvi\.offset\(/.test(text) && !RAW_LAYOUT_ALLOWED[rel])
      bad.push(rel);
  }
  assert.deepEqual(bad, []);
});

test("views print records: none reads the dead kernel's memory", () => {
  const bad = files
    .filter((f) => room(f) === "views")
    .flatMap((f) =>
      readFileSync(f, "utf8")
        .split("\n")
        .map((line, n) => [line, n] as const)
        .filter(([line]) =>
          /kernel\.(read|readU64|readU32|readCString|readString)\(|\.memory\.read\(/.test(line),
        )
        .map(([line, n]) => `${relative(ROOT, f)}:${n + 1}: ${line.trim()}`),
    );
  assert.deepEqual(bad, []);
});
