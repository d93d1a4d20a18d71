/**
 * A dump whose VMCOREINFO does not locate kallsyms (older kernels): kdx finds the tables by their shape in
 * the kernel image; where even that fails, the commands that need symbols say what is missing and what to
 * pass, the log and info still work; --system-map fills the gap, and a System.map of another build is refused.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ElfCore } from "../../src/dump/elf-core.ts";
import { Kernel } from "../../src/kernel/kernel.ts";
import { FileSource } from "../../src/platform/node/file-source.ts";
import { fixtureDumps } from "../dump-fixtures.ts";
import { fixture, kdx, tempDir } from "../helpers.ts";

const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;
const dir = tempDir();
const MAP = fixture("vmcore/kernel-6.1.0-56-cloud-amd64/System.map-6.1.0-56-cloud-amd64");

/** A copy of a dump with every VMCOREINFO "SYMBOL(kallsyms_" renamed, as an old kernel would lack them. */
function withoutKallsyms(path: string, name: string, patch?: (b: Buffer) => void): string {
  const b = readFileSync(path);
  const needle = Buffer.from("SYMBOL(kallsyms_");
  let n = 0;
  for (let at = b.indexOf(needle); at >= 0 && at < 1 << 20; at = b.indexOf(needle, at + 1)) {
    b.write("SYMBOL(xallsyms_", at, "latin1");
    n++;
  }
  assert.ok(n >= 6, `renamed ${n} entries`);
  patch?.(b);
  const out = join(dir, name);
  writeFileSync(out, b);
  return out;
}

const dump = withoutKallsyms(d.path, "vmcore-no-kallsyms");

test("without kallsyms in VMCOREINFO: found by its shape in the image; ps equals crash's", () => {
  const ps = kdx(["ps", dump]);
  assert.equal(ps.status, 0, ps.stderr);
  assert.equal(ps.stdout, readFileSync(join(d.oracles, "crash-ps.txt"), "utf8"));
  const j = JSON.parse(kdx(["sys", "--json", dump]).stdout);
  assert.match(j.symbols, /found by searching the kernel image/);
});

test("kallsyms neither named nor findable: a clear message naming --system-map; log and info still work", () => {
  // The QEMU ELF dump, with its kallsyms_token_index wiped in the file as well.
  const elf = fixtureDumps().find((x) => x.id === "6.1-null/vmcore.elf")!;
  const core = new ElfCore(new FileSource(elf.path));
  const kernel = new Kernel(core);
  const pa = Number(kernel.mm.translate(kernel.vmcoreinfo.needSymbol("kallsyms_token_index")));
  const seg = core.loads.find((l) => pa >= l.paddr && pa < l.paddr + l.filesz)!;
  const fileOffset = seg.offset + (pa - seg.paddr);
  core.close();
  const broken = withoutKallsyms(elf.path, "vmcore-no-kallsyms-at-all", (b) =>
    b.fill(0xff, fileOffset, fileOffset + 512),
  );
  const ps = kdx(["ps", broken]);
  assert.equal(ps.status, 2);
  assert.match(
    ps.stderr,
    /^kdx: .*does not locate the kernel's kallsyms tables, and they were not found in the kernel image.*--system-map FILE\n$/,
  );
  const log = kdx(["log", broken]);
  assert.equal(log.status, 0, log.stderr);
  assert.equal(log.stdout, readFileSync(join(elf.oracles, "crash-log.txt"), "utf8"));
  assert.equal(kdx(["info", broken]).status, 0);
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
