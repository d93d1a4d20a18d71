/** sym, rd and dis, from the dump alone: addresses agree with the real System.map + KASLR; reads are real memory. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fixtureDumps } from "../dump-fixtures.ts";
import { fixture, kdx } from "../helpers.ts";

const d = fixtureDumps().find((x) => x.id === "6.1-null/vmcore.elf")!;
const MAP = readFileSync(
  fixture("vmcore/kernel-6.1.0-56-cloud-amd64/System.map-6.1.0-56-cloud-amd64"),
  "utf8",
);
const kaslr = BigInt(`0x${d.manifest.vmcoreinfo.KERNELOFFSET}`);
const mapAddr = (name: string) =>
  BigInt(`0x${new RegExp(`^([0-9a-f]+) \\w ${name}$`, "m").exec(MAP)![1]}`) + kaslr;

test("sym: name → address and address+4 → name+4, as System.map + KASLR says", () => {
  const want = mapAddr("sysrq_handle_crash");
  const r = kdx(["sym", "sysrq_handle_crash", `${(want + 4n).toString(16)}`, d.path]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    `${want.toString(16)} (t) sysrq_handle_crash\n${(want + 4n).toString(16)} (t) sysrq_handle_crash+4\n`,
  );
  const bad = kdx(["sym", "no_such_symbol_here", d.path]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /no_such_symbol_here: no such symbol/);
});

test("rd: the kernel's banner as bytes, and the same bytes read physically with -p", () => {
  const r = kdx(["rd", "-8", "linux_banner", "16", d.path]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(
    r.stdout,
    /^[0-9a-f]{16}: {2}4c 69 6e 75 78 20 76 65 72 73 69 6f 6e 20 36 2e {3}Linux version 6\.\n$/,
  );
  // The kernel image is mapped linearly: physical = virtual - __START_KERNEL_map + phys_base.
  const va = mapAddr("linux_banner");
  const info = JSON.parse(kdx(["info", "--json", d.path]).stdout);
  const pa = BigInt.asUintN(64, va - 0xffffffff80000000n + BigInt(info.vmcoreinfo["NUMBER(phys_base)"]));
  const p = kdx(["rd", "-p", "-8", pa.toString(16), "16", d.path]);
  assert.equal(p.status, 0, p.stderr);
  assert.equal(p.stdout.slice(18), r.stdout.slice(18));
});

test("dis: a whole function from the dump's memory, branch targets named by kallsyms", () => {
  const r = kdx(["dis", "sysrq_handle_crash", d.path]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  const start = mapAddr("sysrq_handle_crash");
  assert.equal(lines[0], `0x${start.toString(16)} <sysrq_handle_crash>:\tnopl   0x0(%rax,%rax,1)`);
  // sysrq-c panics: the function calls panic(), and the call is named.
  assert.ok(
    lines.some((l) => l.endsWith(`call   0x${mapAddr("panic").toString(16)} <panic>`)),
    r.stdout,
  );
  const three = kdx(["dis", "panic", "3", d.path]).stdout.trimEnd().split("\n");
  assert.equal(three.length, 3);
  assert.match(three[1], /<panic\+5>:\tpush {3}%rbp$/);
});

test("module symbols from each module's own kallsyms: crash's bt return addresses resolve into crashmod", () => {
  // crash's bt on the NULL-dereference dump: " #4 [ffffd3f24042bd20] crashmod_do_null at ffffffffc0480251 [crashmod]".
  const bt = readFileSync(`${d.oracles}/crash-bt.txt`, "utf8");
  const frames = [...bt.matchAll(/#\d+ \[[0-9a-f]+\] (\S+) at ([0-9a-f]+) \[crashmod\]/g)];
  assert.ok(frames.length >= 2, bt);
  const r = kdx(["sym", ...frames.map((f) => f[2]), d.path]);
  assert.equal(r.status, 0, r.stderr);
  const got = r.stdout.trimEnd().split("\n");
  for (const [i, f] of frames.entries())
    assert.match(got[i], new RegExp(`^${f[2]} \\(t\\) ${f[1].replace(".", "\\.")}\\+\\d+ \\[crashmod\\]$`));
});

test("p of a per-CPU variable: its BTF type and each CPU's address, which crash's runq agrees with", () => {
  for (const dd of fixtureDumps().filter((x) => ["6.1-kdump/vmcore", "6.1-null/vmcore.elf"].includes(x.id))) {
    const r = kdx(["p", "runqueues", dd.path]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^PER-CPU DATA TYPE:\n {2}struct rq runqueues;\nPER-CPU ADDRESSES:\n/);
    const runq = readFileSync(`${dd.oracles}/crash-runq.txt`, "utf8");
    for (const [, cpu, addr] of runq.matchAll(/^CPU (\d+) RUNQUEUE: ([0-9a-f]+)$/gm))
      assert.match(r.stdout, new RegExp(`^ {2}\\[${cpu}\\]: ${addr}$`, "m"));
  }
  const j = kdx(["px", "jiffies", d.path]);
  assert.match(j.stdout, /^jiffies = \$1 = 0x[0-9a-f]+\n$/);
});
