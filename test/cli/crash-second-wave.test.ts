/**
 * crash's oracles beyond the first wave's commands (../shared/fixtures-factory/make-more-oracles.sh, and
 * make-oracles.sh's sys -t: one file per command, crash-<command>.txt) for the commands kdx answers so far,
 * byte for byte, on every fixture that has them.
 * One session per dump writes each answer to a file (`cmd > file`), as a crash user would. The commands
 * of that list kdx does not answer yet are #19's; the test prints how many it covers.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fixtureDumps } from "../dump-fixtures.ts";
import { FIXTURES, kdx, tempDir } from "../helpers.ts";
import { fixtureCheck } from "../known-gaps.ts";

/** The commands of make-more-oracles.sh that kdx answers as crash does. */
const ANSWERED = [
  "sys -t",
  "ptov 0x1000000",
  "eval 4096 * 3",
  "ascii 0x6b6e696c",
  "ptob 3",
  "btop 0x3000",
  "sym jiffies",
  "struct list_head",
  "log -m",
  "task -R pid,comm,prio,flags",
  "ps -l",
  "ps -p",
  "ps -c",
  "ps -s",
  "ps -m",
  "ps -S",
  "ps -A",
  // In the oracles' order: crash numbered their values $1 to $5 in its session, as kdx's must.
  "p jiffies",
  "p init_task.comm",
  "px nr_cpu_ids",
  "p max_pfn",
  "p/x init_uts_ns.name",
];

/** The oracle's file name for a command, as make-more-oracles.sh names it. */
const oracleName = (c: string) =>
  `crash-${c
    .replace(/[ /,.*]/g, "-")
    .replace(/-+/g, "-")
    .replace(/-$/, "")}.txt`;

const script = readFileSync(join(FIXTURES, "../fixtures-factory/make-more-oracles.sh"), "utf8");
const wave = [
  ...script
    .slice(script.indexOf("cmds=("), script.indexOf(")\n", script.indexOf("cmds=(")))
    .matchAll(/"([^"]+)"/g),
].map((m) => m[1]);

test("the second wave's command list is read from the factory, and every command kdx claims is on it", (t) => {
  assert.ok(wave.length >= 50, `${wave.length} commands`);
  for (const c of ANSWERED) assert.ok(wave.includes(c) || c === "sys -t", c);
  t.diagnostic(
    `second-wave crash commands kdx answers byte for byte: ${ANSWERED.filter((c) => wave.includes(c)).length} of ${wave.length}`,
  );
});

for (const d of fixtureDumps().filter((x) => existsSync(join(x.oracles, "crash-sys-t.txt")))) {
  const dir = tempDir();
  let ran: ReturnType<typeof kdx> | undefined;
  const answers = () => {
    ran ??= kdx(["-s", d.path], `${ANSWERED.map((c) => `${c} > ${join(dir, oracleName(c))}`).join("\n")}\n`);
    return ran;
  };
  // A dump whose oracles are the first wave's and a few more (a makedumpfile copy of a capture) is
  // compared where crash answered it; the test says which commands it has no answer for.
  const present = ANSWERED.filter((c) => existsSync(join(d.oracles, oracleName(c))));
  if (present.length < ANSWERED.length)
    test(`${d.id}: crash's answers recorded for ${present.length} of the ${ANSWERED.length} commands`, (t) => {
      t.diagnostic(
        `no crash oracle on ${d.id} for: ${ANSWERED.filter((c) => !present.includes(c)).join(", ")}`,
      );
    });
  for (const c of present)
    fixtureCheck(d.id, `kdx ${c} answers as crash ${c} does`, () => {
      const r = answers();
      assert.equal(
        readFileSync(join(dir, oracleName(c)), "utf8"),
        readFileSync(join(d.oracles, oracleName(c)), "utf8"),
        r.stderr,
      );
    });
}
