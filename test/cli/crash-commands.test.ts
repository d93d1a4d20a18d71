/** kdx ps, mod, sys and kmem -i with nothing but the dump print what crash printed, on every fixture dump. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fixtureDumps } from "../dump-fixtures.ts";
import { fixture, kdx } from "../helpers.ts";

for (const d of fixtureDumps()) {
  test(`${d.id}: kdx ps = crash ps, every column of every row`, () => {
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
  test(`${d.id}: kdx mod = crash mod`, () => {
    const r = kdx(["mod", d.path]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(join(d.oracles, "crash-mod.txt"), "utf8"));
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
  test(`${d.id}: kdx sys = crash sys, field by field`, () => {
    const r = kdx(["sys", d.path]);
    assert.equal(r.status, 0, r.stderr);
    const got = sysFields(r.stdout);
    const want = sysFields(readFileSync(join(d.oracles, "crash-sys.txt"), "utf8"));
    assert.deepEqual([...got.keys()], [...want.keys()]);
    for (const [k, v] of want) {
      if (k === "KERNEL") {
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
  test(`${d.id}: kdx kmem -i = crash kmem -i`, () => {
    const r = kdx(["kmem", "-i", d.path]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, readFileSync(join(d.oracles, "crash-kmem-i.txt"), "utf8"));
  });
}

test("the same answers with the fixture's System.map given instead of the dump's kallsyms, on every dump", () => {
  const map = fixture("vmcore/kernel-6.1.0-56-cloud-amd64/System.map-6.1.0-56-cloud-amd64");
  for (const d of fixtureDumps()) {
    const plain = kdx(["-c", "sys; ps; mod; kmem -i", d.path]);
    const withMap = kdx(["-c", "sys; ps; mod; kmem -i", "--system-map", map, d.path]);
    assert.equal(withMap.status, 0, withMap.stderr);
    // Only the KERNEL line differs: it names where the symbols came from.
    const [a, b] = [plain.stdout, withMap.stdout].map((s) => s.replace(/^ {6}KERNEL: .*$/m, ""));
    assert.equal(b, a, d.id);
    assert.match(
      withMap.stdout,
      /KERNEL: no vmlinux: symbols from System\.map-6\.1\.0-56-cloud-amd64, BTF from the dump {2}\[TAINTED\]/,
    );
  }
});
