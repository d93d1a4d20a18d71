/** kdx info / log / dmesg / oops on every fixture dump, through the real CLI. */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fixtureDumps, makedumpfileDmesgOracle } from "../dump-fixtures.ts";
import { kdx, tempDir } from "../helpers.ts";

const dumps = fixtureDumps();

/** What MANIFEST.json says of the format, in kdx info's terms. */
function expectedFormat(format: string): { format: string; compression: string[]; flattened: boolean } {
  if (format.startsWith("ELF")) return { format: "elf", compression: [], flattened: false };
  if (format.startsWith("makedumpfile flattened"))
    return { format: "kdump", compression: ["zlib"], flattened: true };
  const c = /compressed with (\w+)/.exec(format)?.[1] ?? "";
  return { format: "kdump", compression: [c], flattened: false };
}

for (const d of dumps) {
  test(`kdx info/oops ${d.id}`, () => {
    const r = kdx(["info", "--json", d.path]);
    assert.equal(r.status, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    const want = expectedFormat(d.manifest.format);
    assert.equal(o.format, want.format);
    assert.deepEqual(o.compression, want.compression);
    assert.equal(o.flattened, want.flattened);
    assert.equal(o.release, d.manifest.vmcoreinfo.OSRELEASE);
    assert.equal(o.kernelOffset, `0x${d.manifest.vmcoreinfo.KERNELOFFSET}`);
    assert.equal(o.buildId, d.manifest.vmcoreinfo["BUILD-ID"]);
    assert.equal(o.cpus, Number.parseInt(d.manifest.crash.cpus, 10)); // crash: "2 [OFFLINE: 1]"
    assert.equal(o.pageSize, 4096);
    assert.equal(o.incomplete, false);
    if (/-d 31/.test((d.manifest as unknown as { produced_by: string }).produced_by))
      assert.equal(o.dumpLevel, 31);

    const oops = kdx(["oops", "--json", d.path]);
    assert.equal(oops.status, 0, oops.stderr);
    const reports = JSON.parse(oops.stdout).reports;
    const panic = reports.find((x: { panic?: string }) => x.panic)?.panic;
    assert.equal(`Kernel panic - not syncing: ${panic}`, d.manifest.crash.panic);
  });
}

test("kdx log prints crash's log; kdx dmesg writes makedumpfile's file, atomically", () => {
  const d = dumps.find((x) => x.id === "6.1-kdump/vmcore")!;
  const log = kdx(["log", d.path]);
  assert.equal(log.status, 0, log.stderr);
  assert.equal(log.stdout, readFileSync(join(d.oracles, "crash-log.txt"), "latin1"));

  const out = join(tempDir(), "vmcore-dmesg.txt");
  const r = kdx(["dmesg", d.path, out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /The dmesg log is saved to/);
  assert.ok(readFileSync(out).equals(readFileSync(makedumpfileDmesgOracle(d)!)));
  assert.equal(existsSync(`${out}.incomplete`), false);

  const vd = kdx(["dmesg", "--format", "vmcore-dmesg", d.path]);
  assert.equal(vd.stdout, readFileSync(join(d.dir, "oracles/vmcore.elf/vmcore-dmesg.txt"), "latin1"));

  const json = JSON.parse(kdx(["log", "--json", d.path]).stdout);
  assert.equal(json.schema, "kdx.log/1");
  assert.equal(json.format, "printk_ringbuffer");
  const panic = json.records.find(
    (x: { text: string }) => x.text === "Kernel panic - not syncing: sysrq triggered crash",
  );
  assert.equal(panic.caller, "T105");
  assert.equal(panic.level, 0);
});

test("kdx log options: -t drops times, -m adds levels, -P callers, -T wall-clock times", () => {
  const d = dumps.find((x) => x.id === "6.1-kdump/vmcore")!;
  const t = kdx(["log", "-t", d.path]).stdout.split("\n");
  assert.match(t[0], /^Linux version 6\.1\.0-56-cloud-amd64/);
  const m = kdx(["log", "-m", d.path]).stdout.split("\n");
  assert.match(m[0], /^\[ +0\.000000\] <5>Linux version/);
  // -T: wall-clock times from the kernel's timekeeper; the last record lands within a second or two of the
  // DATE crash's sys reads from the same timekeeper. It works on QEMU dumps too, which record no CRASHTIME.
  for (const dd of [d, dumps.find((x) => x.id === "6.1-null/vmcore.elf")!]) {
    const T = kdx(["log", "-T", dd.path]).stdout.trim().split("\n");
    const date = /DATE: \w+ (\w+ +\d+ [\d:]+) UTC (\d+)/.exec(
      readFileSync(join(dd.oracles, "crash-sys.txt"), "utf8"),
    )!;
    const crashAt = Date.parse(`${date[1]} ${date[2]} UTC`);
    const last = /^\[\w+ (\w+ +\d+ [\d:]+) (\d+)\]/.exec(T.at(-1)!)!;
    const lastAt = Date.parse(`${last[1]} ${last[2]} UTC`);
    assert.ok(Math.abs(crashAt - lastAt) <= 2000, `${T.at(-1)} vs crash DATE ${date[0]}`);
    assert.match(T[0], /^\[\w+ \w+ +\d+ [\d:]+ \d+\] Linux version/);
  }
  const P = kdx(["log", "-P", d.path]).stdout.split("\n");
  // pid_max is 32768 here: crash pads callers to 6 columns.
  assert.match(P[0], /^\[ +0\.000000\] \[ {4}T0\] Linux version/);
});

test("garbage, text and missing files get one clear line each", () => {
  const text = kdx(["info", dumps[0].dir + "/console.log"]);
  assert.equal(text.status, 2);
  assert.match(text.stderr, /^kdx: .*console\.log.*not a dump this tool knows: it looks like text/);
  const none = kdx(["log", "/nonexistent/vmcore"]);
  assert.equal(none.status, 2);
  assert.equal(none.stderr, "kdx: /nonexistent/vmcore: no such file\n");
  const usage = kdx(["dmesg"]);
  assert.equal(usage.status, 2);
});
