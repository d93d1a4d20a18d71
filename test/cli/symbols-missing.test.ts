/**
 * A dump whose VMCOREINFO does not locate kallsyms (older kernels): the commands that need symbols say what
 * is missing and what to pass; the log and info still work; --system-map fills the gap, and a System.map of
 * another build is refused.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fixtureDumps } from "../dump-fixtures.ts";
import { fixture, kdx, tempDir } from "../helpers.ts";

const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;
const dir = tempDir();
const MAP = fixture("vmcore/kernel-6.1.0-56-cloud-amd64/System.map-6.1.0-56-cloud-amd64");

/** The capture's vmcore with every VMCOREINFO "SYMBOL(kallsyms_" renamed, as an old kernel would lack them. */
function withoutKallsyms(): string {
  const b = readFileSync(d.path);
  const needle = Buffer.from("SYMBOL(kallsyms_");
  let n = 0;
  for (let at = b.indexOf(needle); at >= 0 && at < 1 << 20; at = b.indexOf(needle, at + 1)) {
    b.write("SYMBOL(xallsyms_", at, "latin1");
    n++;
  }
  assert.ok(n >= 6, `renamed ${n} entries`);
  const out = join(dir, "vmcore-no-kallsyms");
  writeFileSync(out, b);
  return out;
}

const dump = withoutKallsyms();

test("without kallsyms: ps names what is missing and what to pass; log and info still work", () => {
  const ps = kdx(["ps", dump]);
  assert.equal(ps.status, 2);
  assert.match(ps.stderr, /^kdx: .*does not locate the kernel's kallsyms.*--system-map FILE\n$/);
  const log = kdx(["log", dump]);
  assert.equal(log.status, 0, log.stderr);
  assert.equal(log.stdout, readFileSync(join(d.oracles, "crash-log.txt"), "utf8"));
  assert.equal(kdx(["info", dump]).status, 0);
});

test("--system-map fills in the symbols: ps equals crash's again", () => {
  const ps = kdx(["ps", "--system-map", MAP, dump]);
  assert.equal(ps.status, 0, ps.stderr);
  assert.equal(ps.stdout, readFileSync(join(d.oracles, "crash-ps.txt"), "utf8"));
});

test("a System.map from another build is refused, naming the symbol that disagrees", () => {
  const wrong = join(dir, "System.map-other");
  writeFileSync(
    wrong,
    readFileSync(MAP, "utf8").replace(
      /^([0-9a-f]+)( D init_uts_ns)$/m,
      (_, a, rest) => `${(BigInt(`0x${a}`) + 0x40n).toString(16)}${rest}`,
    ),
  );
  const r = kdx(["sys", "--system-map", wrong, d.path]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /System\.map-other.*does not match the kernel in the dump: init_uts_ns/);
});
