/**
 * One command registry: kdx's usage, `kdx help CMD`, the shell's help and the README's table all list
 * exactly the commands src/cli/commands/index.ts has.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { COMMANDS, commandTable } from "../../src/cli/commands/index.ts";
import { fixtureDumps } from "../dump-fixtures.ts";
import { kdx, ROOT } from "../helpers.ts";

test("the README's command table is the registry's", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  assert.ok(readme.includes(`${commandTable()}\n`), `README.md should hold this table:\n${commandTable()}`);
});

test("kdx help lists every command, and kdx help CMD gives each one's own help", () => {
  const usage = kdx(["help"]).stdout;
  for (const c of COMMANDS) {
    assert.ok(usage.includes(`  ${c.synopsis}`), `kdx help lists ${c.name}`);
    const own = kdx(["help", c.name]);
    assert.equal(own.status, 0);
    assert.match(own.stdout, /^usage: /, c.name);
  }
});

test("the shell's help lists the crash commands, each with its registry summary", () => {
  const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;
  const r = kdx(["-c", "help", d.path]);
  assert.equal(r.status, 0, r.stderr);
  const listed = r.stdout
    .split("\n")
    .slice(1)
    .map((l) => /^ {2}(\S+)\s+(.*)$/.exec(l))
    .filter((m) => m !== null)
    .map((m) => [m[1], m[2]]);
  assert.deepEqual(
    listed.filter(([n]) => n !== "help" && n !== "q"),
    COMMANDS.filter((c) => c.dump).map((c) => [c.name, c.summary]),
  );
});
