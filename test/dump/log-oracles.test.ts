/**
 * Every fixture dump, in every format present: the log kdx extracts is byte-identical to what
 * makedumpfile --dump-dmesg, crash's `log` and (where it ran) kexec-tools' vmcore-dmesg produced.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { formatCrashLog, formatMakedumpfile, formatVmcoreDmesg } from "../../src/analysis/printk/format.ts";
import { readKernelLog } from "../../src/analysis/printk/index.ts";
import { openDump } from "../../src/dump/open-dump.ts";
import { Kernel } from "../../src/kernel/kernel.ts";
import { nodeCodecs } from "../../src/platform/node/codecs.ts";
import { FileSource } from "../../src/platform/node/file-source.ts";
import { fixtureDumps, makedumpfileDmesgOracle } from "../dump-fixtures.ts";

const dumps = fixtureDumps();

test("the fixtures hold ELF, kdump-compressed (lzo, zstd) and flattened (zlib) dumps", () => {
  assert.ok(dumps.length >= 7, `found ${dumps.length} dumps`);
});

for (const d of dumps) {
  test(`${d.id}: log matches makedumpfile, crash and vmcore-dmesg byte for byte`, () => {
    const dump = openDump(new FileSource(d.path), nodeCodecs);
    try {
      assert.deepEqual(dump.info.warnings, []);
      const kernel = new Kernel(dump);
      assert.equal(kernel.release, d.manifest.vmcoreinfo.OSRELEASE);
      assert.equal(kernel.vmcoreinfo.get("BUILD-ID"), d.manifest.vmcoreinfo["BUILD-ID"]);
      const log = readKernelLog(kernel);
      assert.equal(log.format, "printk_ringbuffer");
      assert.deepEqual(log.warnings, []);

      const mdf = makedumpfileDmesgOracle(d);
      if (d.dir.endsWith("6.1-sysrq")) assert.equal(mdf, undefined);
      else assert.ok(mdf, "every capture but the QEMU kdump-zlib one has a makedumpfile oracle");
      if (mdf)
        assert.ok(
          Buffer.from(formatMakedumpfile(log.records)).equals(readFileSync(mdf)),
          "makedumpfile-dmesg",
        );

      const crashLog = readFileSync(join(d.oracles, "crash-log.txt"));
      assert.ok(Buffer.from(formatCrashLog(log.records)).equals(crashLog), "crash log");

      const vd = join(d.oracles, "vmcore-dmesg.txt");
      if (existsSync(vd))
        assert.ok(Buffer.from(formatVmcoreDmesg(log.records)).equals(readFileSync(vd)), "vmcore-dmesg");
    } finally {
      dump.close();
    }
  });
}
