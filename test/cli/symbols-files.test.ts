/**
 * Symbols and types given as files, for dumps that lack them: a raw BTF (as /sys/kernel/btf/vmlinux), an ELF
 * with a .BTF section (as a vmlinux), an ELF's .symtab. The files are made here from the fixture's own BTF.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { openDump } from "../../src/dump/open-dump.ts";
import { Kernel } from "../../src/kernel/kernel.ts";
import { nodeCodecs } from "../../src/platform/node/codecs.ts";
import { FileSource } from "../../src/platform/node/file-source.ts";
import { fixtureDumps } from "../dump-fixtures.ts";
import { fixture, kdx, tempDir } from "../helpers.ts";

const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;
const dir = tempDir();
const MAP = readFileSync(
  fixture("vmcore/kernel-6.1.0-56-cloud-amd64/System.map-6.1.0-56-cloud-amd64"),
  "utf8",
);
const PS = readFileSync(join(d.oracles, "crash-ps.txt"), "utf8");

// A System.map without __start_BTF/__stop_BTF: the dump's own BTF can no longer be found.
const noBtfMap = join(dir, "System.map-no-btf");
writeFileSync(noBtfMap, MAP.replace(/^.* [RD] __(start|stop)_BTF\n/gm, ""));

// The kernel's BTF as a raw file, cut from the dump (what /sys/kernel/btf/vmlinux holds on the live system).
const rawBtf = join(dir, "vmlinux.btf");
{
  const dump = openDump(new FileSource(d.path), nodeCodecs);
  const k = new Kernel(dump);
  const start = k.symbol("__start_BTF");
  writeFileSync(rawBtf, k.read(start, Number(k.symbol("__stop_BTF") - start)));
  dump.close();
}

test("no BTF found: ps names what is missing and --btf; log still works", () => {
  const r = kdx(["ps", "--system-map", noBtfMap, d.path]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /no __start_BTF\/__stop_BTF.*--btf FILE/);
  assert.equal(kdx(["log", "--system-map", noBtfMap, d.path]).status, 0);
});

test("--btf with a raw BTF file, and with an ELF carrying it in .BTF: ps equals crash's", () => {
  const raw = kdx(["ps", "--system-map", noBtfMap, "--btf", rawBtf, d.path]);
  assert.equal(raw.status, 0, raw.stderr);
  assert.equal(raw.stdout, PS);

  // An ELF object with the BTF in a .BTF section, as a vmlinux carries it.
  const c = join(dir, "v.c");
  writeFileSync(c, "int init_uts_ns = 1;\nint main(void) { return init_uts_ns; }\n");
  const obj = join(dir, "vmlinux.o");
  const elf = join(dir, "vmlinux-with-btf.o");
  assert.equal(spawnSync("gcc", ["-c", "-o", obj, c]).status, 0);
  assert.equal(spawnSync("objcopy", ["--add-section", `.BTF=${rawBtf}`, obj, elf]).status, 0);
  const viaElf = kdx(["ps", "--system-map", noBtfMap, "--btf", elf, d.path]);
  assert.equal(viaElf.status, 0, viaElf.stderr);
  assert.equal(viaElf.stdout, PS);

  // Its .symtab is read too, and refused: this init_uts_ns is not the dump's.
  const sym = kdx(["ps", "--system-map", elf, d.path]);
  assert.equal(sym.status, 2);
  assert.match(sym.stderr, /does not match the kernel in the dump: init_uts_ns/);
  const none = kdx(["ps", "--btf", c, d.path]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /neither raw BTF/);
});
