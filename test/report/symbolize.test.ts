/** Naming raw addresses with the fixture's real System.map, and file:line from real DWARF through --vmlinux. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseNmText } from "../../src/kernel/symbols/symbol-table.ts";
import { fixture, kdx, tempDir } from "../helpers.ts";

const MAP = fixture("vmcore/kernel-6.1.0-56-cloud-amd64/System.map-6.1.0-56-cloud-amd64");
const KASLR = 0x2d600000n;

function at(name: string, off: bigint): string {
  const table = parseNmText(readFileSync(MAP, "utf8"), MAP);
  const s = table.lookup(name);
  assert.ok(s, name);
  return (s.address + KASLR + off).toString(16);
}

/** An old-style report whose frames are bare addresses, as kernels without KALLSYMS print them. */
function rawReport(): string {
  return [
    "[  566.651985] BUG: unable to handle kernel NULL pointer dereference at 0000000000000000",
    "[  566.651990] Oops: 0002 [#1] SMP PTI",
    "[  566.651993] CPU: 0 PID: 6631 Comm: bash Not tainted 6.1.0-56-cloud-amd64 #1",
    `[  566.651999] RIP: 0010:[<${at("sysrq_handle_crash", 0x12n)}>]  [<${at("sysrq_handle_crash", 0x12n)}>] 0x${at("sysrq_handle_crash", 0x12n)}`,
    "[  566.652020] Call Trace:",
    `[  566.652021]  [<${at("__handle_sysrq", 0x2dn)}>] 0x${at("__handle_sysrq", 0x2dn)}`,
    `[  566.652022]  [<${at("write_sysrq_trigger", 0x24n)}>] 0x${at("write_sysrq_trigger", 0x24n)}`,
    `[  566.652023]  [<${at("proc_reg_write", 0x56n)}>] ? 0x${at("proc_reg_write", 0x56n)}`,
    `[  566.652024]  [<${at("vfs_write", 0xc7n)}>] 0x${at("vfs_write", 0xc7n)}`,
    "[  566.652030] Kernel Offset: 0x2d600000 from 0xffffffff81000000 (relocation range: 0xffffffff80000000-0xffffffffbfffffff)",
    "",
  ].join("\n");
}

test("--system-map names bare addresses, KASLR offset taken from the log", () => {
  const r = kdx(["oops", "--json", "--system-map", MAP, "-"], rawReport());
  assert.equal(r.status, 0, r.stderr);
  const [rep] = JSON.parse(r.stdout).reports;
  assert.deepEqual(rep.rip.symbol, { name: "sysrq_handle_crash", offset: 0x12, size: 0x20 });
  const names = rep.trace
    .filter((f: { kind: string }) => f.kind === "frame")
    .map(
      (f: { symbol: { name: string; offset: number } }) =>
        `${f.symbol.name}+0x${f.symbol.offset.toString(16)}`,
    );
  assert.deepEqual(names, [
    "__handle_sysrq+0x2d",
    "write_sysrq_trigger+0x24",
    "proc_reg_write+0x56",
    "vfs_write+0xc7",
  ]);
});

test("--kallsyms (runtime addresses) names the same frames", () => {
  const dir = tempDir();
  const kallsyms = join(dir, "kallsyms");
  const table = parseNmText(readFileSync(MAP, "utf8"), MAP).relocated(KASLR);
  const lines = [
    "_text",
    "sysrq_handle_crash",
    "__handle_sysrq",
    "write_sysrq_trigger",
    "proc_reg_write",
    "vfs_write",
    "ksys_write",
  ].map((n) => `${table.lookup(n)!.address.toString(16)} t ${n}`);
  writeFileSync(kallsyms, `${lines.join("\n")}\n`);
  const r = kdx(["oops", "--json", "--kallsyms", kallsyms, "-"], rawReport());
  assert.equal(r.status, 0, r.stderr);
  const [rep] = JSON.parse(r.stdout).reports;
  assert.equal(rep.trace[0].symbol.name, "__handle_sysrq");
  assert.equal(rep.trace[0].symbol.offset, 0x2d);
});

test("a symbol file that is not one is a clear error", () => {
  const r = kdx(["oops", "--system-map", fixture("oops/README.md"), "-"], rawReport());
  assert.equal(r.status, 2);
  assert.match(r.stderr, /README\.md: (no symbols found|mostly not a symbol list)/);
});

test("--vmlinux gives file:line from DWARF line tables, as decode_stacktrace.sh does", () => {
  const dir = tempDir();
  const src = join(dir, "mini.c");
  writeFileSync(
    src,
    [
      "int leaf(volatile int *p) { return *p * 2; }",
      "int mid(int *p) {",
      "  return leaf(p) + 1;",
      "}",
      "",
    ].join("\n"),
  );
  const obj = join(dir, "mini.o");
  execFileSync("gcc", ["-g", "-O0", "-fno-inline", "-c", src, "-o", obj]);
  // Where mid() continues after calling leaf(): the return address of a frame in mid.
  const dis = execFileSync("objdump", ["-d", obj], { encoding: "utf8" });
  const mid = dis.slice(dis.indexOf("<mid>:"));
  const call = /\n\s*([0-9a-f]+):[^\n]*\bcall[^\n]*\n\s*([0-9a-f]+):/.exec(mid);
  assert.ok(call, "found the call in mid()");
  const midStart = Number.parseInt(/([0-9a-f]+) <mid>:/.exec(dis)![1], 16);
  const ret = Number.parseInt(call[2], 16) - midStart;
  const report = [
    "[    1.000000] BUG: kernel NULL pointer dereference, address: 0000000000000000",
    "[    1.000001] RIP: 0010:leaf+0x8/0x20",
    "[    1.000002] Call Trace:",
    "[    1.000003]  <TASK>",
    `[    1.000004]  mid+0x${ret.toString(16)}/0x30`,
    "[    1.000005]  </TASK>",
    "",
  ].join("\n");
  const r = kdx(["oops", "--json", "--vmlinux", obj, "-"], report);
  assert.equal(r.status, 0, r.stderr);
  const [rep] = JSON.parse(r.stdout).reports;
  const frame = rep.trace.find((f: { kind: string }) => f.kind === "frame");
  assert.equal(frame.file, src);
  assert.equal(frame.line, 3);
  assert.equal(rep.ripSource.line, 1);
});
