/** The CLI contract: JSON lines per file, help, the shipped example. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { REPORT_SCHEMA } from "../../src/report/types.ts";
import { fixture, kdx } from "../helpers.ts";

test("--json with several files prints one object per file per line, reports in order", () => {
  const files = [
    fixture("vmcore/6.1-null/console.log"),
    fixture("oops/seed-rhel8-sysrq-vmcore-dmesg.txt"),
    fixture("vmcore/6.1-warn/console.log"),
  ];
  const r = kdx(["oops", "--json", ...files]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 3);
  const objs = lines.map((l) => JSON.parse(l));
  assert.deepEqual(
    objs.map((o) => o.file),
    files,
  );
  for (const o of objs) assert.equal(o.schema, REPORT_SCHEMA);
  assert.equal(
    objs[0].reports[0].title,
    "BUG: unable to handle kernel NULL pointer dereference in crashmod_do_null",
  );
  assert.equal(objs[1].reports[0].corrupted, true);
  assert.equal(objs[2].reports[0].title, "WARNING in crashmod_do_warn");
  assert.equal(objs[2].reports[0].bugAt.line, 65);
});

test("a file that fails does not stop the others; its line carries the error", () => {
  const r = kdx(["oops", "--json", "/nonexistent", fixture("vmcore/6.1-gpf/console.log")]);
  assert.equal(r.status, 1);
  const [bad, good] = r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.match(bad.error, /no such file/);
  assert.equal(good.reports[0].title, "general protection fault in crashmod_do_gpf");
});

test("--color always colours, plain otherwise", () => {
  const file = fixture("vmcore/6.1-bug/console.log");
  assert.ok(kdx(["oops", "--color", "always", file]).stdout.includes("\x1b[31m"));
  assert.ok(!kdx(["oops", file]).stdout.includes("\x1b["));
});

test("help lists the commands and options", () => {
  assert.match(kdx(["help"]).stdout, /oops \[FILE\.\.\.\|-\]/);
  assert.match(kdx(["oops", "--help"]).stdout, /--system-map FILE/);
  assert.equal(kdx(["frob"]).status, 2);
});

test("the shipped example runs", () => {
  const r = kdx(["oops", "examples/vmcore-dmesg.txt"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /BUG: unable to handle kernel NULL pointer dereference in crashmod_do_null/);
});

test("a warning storm: past the reports held for the header, they print as they are found, before the input ends", async () => {
  const { spawn } = await import("node:child_process");
  const { readFileSync } = await import("node:fs");
  const { HELD_REPORTS } = await import("../../src/cli/commands/oops.ts");
  const { KDX } = await import("../helpers.ts");
  const one = readFileSync(fixture("vmcore/6.1-null/console.log"), "utf8");
  const n = HELD_REPORTS + 20;
  const storm = `${one}\n`.repeat(n);

  // Fed through a pipe that stays open: every report must be out before the input ends.
  const child = spawn(KDX, ["oops", "--brief", "-"], { env: { ...process.env, NO_COLOR: "" } });
  let stdout = "";
  child.stdout.setEncoding("utf8");
  const seenAll = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not streamed: ${stdout.slice(-300)}`)), 60_000);
    child.stdout.on("data", (d: string) => {
      stdout += d;
      if (stdout.includes(`── Report ${n} ·`)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.stdin.write(storm);
  try {
    await seenAll;
  } finally {
    child.stdin.end();
  }
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  assert.equal(status, 0);
  assert.match(
    stdout,
    new RegExp(`^<stdin>: more than ${HELD_REPORTS} reports, printed as they are found\\n`),
  );
  assert.match(stdout, /── Report 1 · lines/);
  assert.doesNotMatch(stdout, /── Report \d+ of /);
  assert.match(stdout, new RegExp(`\\n<stdin>: ${n} reports\\n$`));

  // --json: still one object, its reports streamed into it.
  const r = kdx(["oops", "--json", "-"], storm);
  assert.equal(r.status, 0, r.stderr);
  const [obj] = r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(obj.reports.length, n);
  assert.equal(obj.longLines, 0);
  assert.ok(obj.reports.every((x: { title: string }) => x.title === obj.reports[0].title));
});
