/** The same real report, wrapped the ways logs reach people: journald, syslog, CRLF, caller ids, several crashes. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { parseLine } from "../../src/report/lines.ts";
import { parseReports, ReportScanner } from "../../src/report/reader.ts";
import { fixture, fixtureConsoleLogs } from "../helpers.ts";

const NULL_LOG = readFileSync(fixture("vmcore/6.1-null/console.log"), "utf8");
const GPF_LOG = readFileSync(fixture("vmcore/6.1-gpf/console.log"), "utf8");
const NULL_TITLE = "BUG: unable to handle kernel NULL pointer dereference in crashmod_do_null";

/** Only the kernel's stamped lines, rewritten by `f`. */
function rewrite(log: string, f: (stamp: string, msg: string) => string): string {
  return log
    .split("\n")
    .map((l) => /^(\[ *\d+\.\d+\]) (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => f(m[1], m[2]))
    .join("\n");
}

function check(text: string, label: string): void {
  const rs = parseReports(text);
  assert.equal(rs.length, 1, `${label}: ${rs.map((r) => r.title).join("; ")}`);
  const r = rs[0];
  assert.equal(r.title, NULL_TITLE, label);
  assert.equal(r.pid, 102, label);
  assert.equal(r.code?.faulting?.text, "movq $0x6b6b6b6b,0x10(%rax)", label);
  assert.equal(r.trace.filter((f) => f.kind === "frame").length, 12, label);
  assert.equal(r.corrupted, false, `${label}: ${r.corruptedReason}`);
}

test("plain dmesg without timestamps", () =>
  check(
    rewrite(NULL_LOG, (_s, m) => m),
    "no stamps",
  ));
test("journalctl -k (short)", () =>
  check(
    rewrite(NULL_LOG, (_s, m) => `Nov 25 02:56:26 vm1 kernel: ${m}`),
    "journal",
  ));
test("syslog with ISO time and the kernel stamp", () =>
  check(
    rewrite(NULL_LOG, (s, m) => `2026-11-25T02:56:26.123456+00:00 vm1 kernel: ${s} ${m}`),
    "syslog",
  ));
test("journalctl -o short-monotonic", () =>
  check(
    rewrite(NULL_LOG, (s, m) => `${s} vm1 kernel: ${m}`),
    "monotonic",
  ));
test("CRLF line ends (serial capture from a terminal server)", () =>
  check(NULL_LOG.replaceAll("\n", "\r\n"), "crlf"));
test("dmesg -r level prefixes", () =>
  check(
    rewrite(NULL_LOG, (s, m) => `<4>${s} ${m}`),
    "levels",
  ));
test("CONFIG_PRINTK_CALLER ids", () =>
  check(
    rewrite(NULL_LOG, (s, m) => `${s}[  T102] ${m}`),
    "caller ids",
  ));

test("another task's lines interleaved with a caller-id log stay out of the report", () => {
  const lines = rewrite(NULL_LOG, (s, m) => `${s}[  T102] ${m}`).split("\n");
  const mixed = lines.flatMap((l, i) =>
    i % 3 === 0
      ? [l, `[    5.312000][  T555]  ? unrelated_noise+0x10/0x20`, `[    5.312001][    C0] eth0: link up`]
      : [l],
  );
  check(mixed.join("\n"), "interleaved");
});

test("several crashes in one log are reported in order", () => {
  const rs = parseReports(`${NULL_LOG}\n${GPF_LOG}`);
  assert.deepEqual(
    rs.map((r) => r.title),
    [NULL_TITLE, "general protection fault in crashmod_do_gpf"],
  );
  assert.ok(rs[0].endLine < rs[1].startLine);
  assert.equal(rs[1].fault?.address, "0xdead4ead00000000");
});

test("streaming in tiny chunks gives the same reports as one piece", () => {
  const s = new ReportScanner();
  const got = [];
  for (let i = 0; i < NULL_LOG.length; i += 7) got.push(...s.push(NULL_LOG.slice(i, i + 7)));
  got.push(...s.finish());
  assert.deepEqual(JSON.parse(JSON.stringify(got)), JSON.parse(JSON.stringify(parseReports(NULL_LOG))));
});

test("every fixture console in one log: chunks of any size give the reports of the whole text", () => {
  // Boots and crashes back to back: reports whose context (the sysrq line before the kdump capture's
  // oops) lies in other chunks than their header, and long quiet stretches between reports.
  const log = fixtureConsoleLogs().join("\n");
  const whole = JSON.parse(JSON.stringify(parseReports(log)));
  assert.ok(whole.length >= 8);
  assert.ok(whole.some((r: { kind: string }) => r.kind === "sysrq"));
  for (const size of [1, 61, 4096, 1 << 16]) {
    const s = new ReportScanner();
    const got = [];
    for (let i = 0; i < log.length; i += size) got.push(...s.push(log.slice(i, i + size)));
    got.push(...s.finish());
    assert.deepEqual(JSON.parse(JSON.stringify(got)), whole, `chunks of ${size}`);
  }
});

test("the reader hands over a panic's report with its last line, not with later input (a live log)", () => {
  const logs = fixtureConsoleLogs().filter((text) => text.includes("---[ end Kernel panic"));
  assert.ok(logs.length >= 7);
  for (const log of logs) {
    const lines = log.split("\n");
    const end = lines.findIndex((l) => l.includes("---[ end Kernel panic"));
    const s = new ReportScanner();
    let seenAt = -1;
    for (let i = 0; i < lines.length && seenAt < 0; i++) if (s.push(`${lines[i]}\n`).length) seenAt = i;
    assert.equal(seenAt, end, lines[end]);
  }
});

test("the header pre-filter, a prefix tree, finds exactly what the plain alternation of headers finds", async () => {
  const { readdirSync } = await import("node:fs");
  const { prefixTree } = await import("../../src/report/rules.ts");
  const words = [
    "BUG:",
    "BUG kmalloc-",
    "Kernel panic",
    "Kernel BUG",
    "kernel BUG",
    "int3: ",
    "in",
    "invalid",
  ];
  const plain = new RegExp(words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"));
  const tree = new RegExp(prefixTree(words));
  const dir = fixture("oops/syzkaller-report");
  const lines = [NULL_LOG, GPF_LOG, ...readdirSync(dir).map((f) => readFileSync(`${dir}/${f}`, "latin1"))]
    .join("\n")
    .split("\n");
  const found = lines.filter((l) => plain.test(l));
  assert.deepEqual(
    lines.filter((l) => tree.test(l)),
    found,
  );
  assert.ok(found.length > 1000 && found.length < lines.length / 2);
});

test("the signature is FNV-1a 64 of kind, title and the top three reliable frames (stable across versions)", () => {
  // The index de-duplicates by this value: it must never change for the same report.
  const fnv = (s: string) => {
    let h = 0xcbf29ce484222325n;
    for (let i = 0; i < s.length; i++) {
      h ^= BigInt(s.charCodeAt(i) & 0xff);
      h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
    }
    return h.toString(16).padStart(16, "0");
  };
  for (const log of [NULL_LOG, GPF_LOG]) {
    const [r] = parseReports(log);
    const top = r.trace
      .filter((f) => f.kind === "frame" && f.reliable && f.symbol)
      .slice(0, 3)
      .map((f) => (f.kind === "frame" ? f.symbol?.name : ""));
    assert.deepEqual(top.length, 3);
    assert.equal(r.signature, fnv([r.kind, r.title, ...top].join("\n")));
  }
});

test("an OOM kill is an event, not a crash", () => {
  const log = [
    "[  100.000001] stress invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0",
    "[  100.000002] CPU: 1 PID: 4242 Comm: stress Not tainted 6.1.0-56-cloud-amd64 #1  Debian 6.1.192-2",
    "[  100.000003] Call Trace:",
    "[  100.000004]  <TASK>",
    "[  100.000005]  dump_stack_lvl+0x44/0x5c",
    "[  100.000006]  dump_header+0x4a/0x211",
    "[  100.000007]  oom_kill_process.cold+0xb/0x10",
    "[  100.000008]  out_of_memory+0x1fd/0x4c0",
    "[  100.000009]  </TASK>",
    "[  100.000010] Out of memory: Killed process 4242 (stress) total-vm:1052036kB",
  ].join("\n");
  const [r] = parseReports(log);
  assert.equal(r.kind, "oom");
  assert.equal(r.event, true);
  assert.equal(r.comm, "stress");
});

test("an uncorrected machine check is a hardware error, titled by its reason", () => {
  const log = [
    "[ 5025.126349] mce: [Hardware Error]: CPU 1: Machine Check Exception: 5 Bank 4: b200000000070f0f",
    "[ 5025.126360] mce: [Hardware Error]: RIP !INEXACT! 10:<ffffffff8102c1f6> {intel_idle+0x86/0x190}",
    "[ 5025.126370] mce: [Hardware Error]: TSC 1d4e1c6d6b8 ",
    "[ 5025.126380] mce: [Hardware Error]: PROCESSOR 0:306a9 TIME 1355225372 SOCKET 0 APIC 2 microcode 12",
    "[ 5025.126390] mce: [Hardware Error]: Machine check: Processor context corrupt",
    "[ 5025.126400] Kernel panic - not syncing: Fatal machine check",
    "",
  ].join("\n");
  const rs = parseReports(log);
  assert.equal(rs.length, 1);
  assert.equal(rs[0].kind, "machine-check");
  assert.equal(rs[0].title, "machine check: Processor context corrupt");
  assert.equal(rs[0].panic, "Fatal machine check");
  assert.equal(rs[0].corrupted, false);
});

test("printk stamps and caller ids are taken off as the kernel prints them, and only then", () => {
  // [ seconds] with optional padding, then an optional [ T123] / [C1] caller id (space before it or not), then
  // one space: what CONFIG_PRINTK_TIME and CONFIG_PRINTK_CALLER print.
  const cases: [string, { text: string; stamp?: string; caller?: string; stamped: boolean }][] = [
    ["[    5.310003] msg", { text: "msg", stamp: "5.310003", stamped: true }],
    ["[12345.678901]msg", { text: "msg", stamp: "12345.678901", stamped: true }],
    ["[    5.310003][  T102] msg", { text: "msg", stamp: "5.310003", caller: "T102", stamped: true }],
    ["[    5.310003] [    C1] msg", { text: "msg", stamp: "5.310003", caller: "C1", stamped: true }],
    ["[    5.310003] [T] msg", { text: "[T] msg", stamp: "5.310003", stamped: true }],
    ["[    5.310003] [X12] msg", { text: "[X12] msg", stamp: "5.310003", stamped: true }],
    ["[    5.310003] [T12 msg", { text: "[T12 msg", stamp: "5.310003", stamped: true }],
    ["[    5.310003]  two spaces", { text: " two spaces", stamp: "5.310003", stamped: true }],
    ["[    5.] msg", { text: "[    5.] msg", stamped: false }],
    ["[    .5] msg", { text: "[    .5] msg", stamped: false }],
    ["[    5.3 msg", { text: "[    5.3 msg", stamped: false }],
    ["[", { text: "[", stamped: false }],
    ["[    5.310003]", { text: "", stamp: "5.310003", stamped: true }],
    ["[    5.310003][  T102]", { text: "", stamp: "5.310003", caller: "T102", stamped: true }],
  ];
  for (const [raw, want] of cases) {
    const l = parseLine(raw, 1);
    assert.deepEqual(
      { text: l.text, stamp: l.stamp, caller: l.caller, stamped: l.stamped },
      { stamp: undefined, caller: undefined, ...want },
      JSON.stringify(raw),
    );
  }
});
