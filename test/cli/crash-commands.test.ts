/** kdx ps, mod, sys and kmem -i with nothing but the dump print what crash printed, on every fixture dump. */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { test } from "node:test";
import { consoleTruth, sysDate, sysUptime } from "../console-truth.ts";
import { consoleModules, crashErratum, noteErratum } from "../crash-errata.ts";
import { fixtureDumps, kmemIArgs } from "../dump-fixtures.ts";
import { fixture, kdx } from "../helpers.ts";
import { fixtureCheck, knownGap } from "../known-gaps.ts";

for (const d of fixtureDumps()) {
  fixtureCheck(d.id, "kdx ps = crash ps, every column of every row", () => {
    const r = kdx(["ps", d.path]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(join(d.oracles, "crash-ps.txt"), "utf8"));
  });
}

test("kdx ps --json: the panic task of the kdump capture", () => {
  const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;
  const o = JSON.parse(kdx(["ps", "--json", d.path]).stdout);
  assert.equal(o.schema, "kdx.ps/1");
  const sh = o.tasks.find((t: { pid: number }) => t.pid === d.manifest.crash.bt_pid);
  assert.equal(sh.comm, d.manifest.crash.bt_command);
  assert.equal(sh.active, true);
  assert.equal(sh.task, `0x${(d.manifest.crash as unknown as { bt_task: string }).bt_task}`);
});

for (const d of fixtureDumps()) {
  fixtureCheck(d.id, "kdx mod = crash mod", (t) => {
    const r = kdx(["mod", d.path]);
    assert.equal(r.status, 0, r.stderr);
    const want = readFileSync(join(d.oracles, "crash-mod.txt"), "utf8");
    const e = crashErratum(d.id, "mod", "the module list");
    if (!e) return assert.equal(r.stdout, want);
    noteErratum(t, e);
    assert.equal(want, "mod: cannot access vmalloc'd module memory\n");
    const rows = r.stdout.split("\n").slice(1, -1);
    assert.equal(
      r.stdout.split("\n")[0],
      "     MODULE       NAME               BASE         SIZE  OBJECT FILE",
    );
    assert.deepEqual(rows.map((l) => l.split(/\s+/)[1]).sort(), consoleModules(d));
    for (const l of rows)
      assert.match(
        l,
        /^ffffffffc[0-9a-f]{7} {2}\S+ +ffffffffc[0-9a-f]{7} +\d+ {2}\(not loaded\) {2}\[CONFIG_KALLSYMS\]$/,
      );
  });
}

/** crash's sys as field → value. */
function sysFields(text: string): Map<string, string> {
  return new Map(
    text
      .split("\n")
      .filter((l) => l.includes(": "))
      .map((l) => [l.slice(0, l.indexOf(": ")).trim(), l.slice(l.indexOf(": ") + 2)]),
  );
}

for (const d of fixtureDumps()) {
  fixtureCheck(d.id, "kdx sys = crash sys, field by field", (t) => {
    const r = kdx(["sys", d.path]);
    assert.equal(r.status, 0, r.stderr);
    const got = sysFields(r.stdout);
    const want = sysFields(readFileSync(join(d.oracles, "crash-sys.txt"), "utf8"));
    assert.deepEqual([...got.keys()], [...want.keys()]);
    for (const [k, v] of want) {
      const e = crashErratum(d.id, "sys", k);
      if (e) {
        noteErratum(t, e);
        const truth = consoleTruth(d);
        if (k === "DATE") {
          assert.equal(v, "Thu Jan  1 00:00:00 UTC 1970");
          assert.ok(truth.panicWallClock, "the console has the RTC's time");
          assert.ok(
            Math.abs(sysDate(got.get(k)!) - truth.panicWallClock) <= 2,
            `${got.get(k)} vs the console`,
          );
        } else {
          assert.equal(k, "UPTIME");
          assert.ok(Math.abs(sysUptime(v) - truth.panicUptime) > 60, "crash's uptime is still wrong");
          assert.ok(
            Math.abs(sysUptime(got.get(k)!) - truth.panicUptime) <= 1,
            `${got.get(k)} vs the console`,
          );
        }
      } else if (k === "KERNEL") {
        // crash names its vmlinux; kdx has none and says where symbols and types came from.
        assert.equal(got.get(k)!.endsWith("[TAINTED]"), v.endsWith("[TAINTED]"));
        assert.match(got.get(k)!, /kallsyms and BTF from the dump/);
      } else if (k === "DUMPFILE") {
        // The fixture's name differs (xz dumps are decompressed under another); the partial-dump flag may not.
        assert.equal(got.get(k)!.endsWith("[PARTIAL DUMP]"), v.endsWith("[PARTIAL DUMP]"), v);
      } else assert.equal(got.get(k), v, k);
    }
  });
}

for (const d of fixtureDumps()) {
  fixtureCheck(d.id, "kdx kmem -i = crash kmem -i", (t) => {
    // As the oracle's crash was asked: crash 8 always counted SHARED, crash 9 only for -i=shared.
    const r = kdx(["kmem", kmemIArgs(d), d.path]);
    assert.equal(r.status, 0, r.stderr);
    let want = readFileSync(join(d.oracles, "crash-kmem-i.txt"), "utf8");
    const e = crashErratum(d.id, "kmem -i", "the swap lines");
    if (e) {
      noteErratum(t, e);
      assert.doesNotMatch(want, /SWAP/);
      const m = JSON.parse(kdx(["kmem", "-i", "--json", d.path]).stdout);
      assert.equal(m.swapTotal, 0, "the fixtures' guests have no swap");
      const swap = [
        "   TOTAL SWAP        0            0         ----",
        "    SWAP USED        0            0    0% of TOTAL SWAP",
        "    SWAP FREE        0            0    0% of TOTAL SWAP",
      ];
      want = want.replace("\n\n COMMIT LIMIT", `\n${swap.join("\n")}\n\n COMMIT LIMIT`);
    }
    assert.equal(r.stdout, want);
  });
}

/** The System.map of each fixture kernel, from the -dbg package (7.2's is trimmed from the fixtures). */
const systemMaps = new Map(
  readdirSync(fixture("vmcore"))
    .filter((k) => k.startsWith("kernel-"))
    .flatMap((k) => {
      const map = readdirSync(fixture(`vmcore/${k}`)).find((f) => f.startsWith("System.map-"));
      return map ? [[k.slice("kernel-".length), fixture(`vmcore/${k}/${map}`)] as const] : [];
    }),
);

for (const d of fixtureDumps()) {
  fixtureCheck(
    d.id,
    "the same answers with the fixture's System.map given instead of the dump's kallsyms",
    () => {
      const map = systemMaps.get(d.manifest.crash.release);
      assert.ok(map, `no System.map for ${d.manifest.crash.release} among the fixtures`);
      const plain = kdx(["-c", "sys; ps; mod; kmem -i", d.path]);
      const withMap = kdx(["-c", "sys; ps; mod; kmem -i", "--system-map", map, d.path]);
      assert.equal(withMap.status, 0, withMap.stderr);
      // Only the KERNEL line differs: it names where the symbols came from.
      const [a, b] = [plain.stdout, withMap.stdout].map((s) => s.replace(/^ {6}KERNEL: .*$/m, ""));
      assert.equal(b, a, d.id);
      assert.match(
        withMap.stdout,
        new RegExp(
          `KERNEL: no vmlinux: symbols from ${basename(map).replaceAll(".", "\\.")}, BTF from the dump {2}\\[TAINTED\\]`,
        ),
      );
    },
  );
}

test("crash 8's kmem -i less its SHARED line is what kdx kmem -i prints, as crash 9 does (b39f8b5)", () => {
  const olds = fixtureDumps().filter(
    (d) => d.crashVersion[0] < 9 && !knownGap(d.id, "kdx kmem -i = crash kmem -i"),
  );
  assert.ok(olds.length > 0);
  for (const d of olds) {
    const want = readFileSync(join(d.oracles, "crash-kmem-i.txt"), "utf8").replace(/^ +SHARED .*\n/m, "");
    assert.equal(kdx(["kmem", "-i", d.path]).stdout, want, d.id);
  }
});
