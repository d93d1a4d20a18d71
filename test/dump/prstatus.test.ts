/**
 * Per-CPU registers from NT_PRSTATUS: on the kdump capture, CPU 0 ran the panicking sh (pid 105) inside
 * __crash_kexec, and CPU 1, stopped by the crash NMI, holds exactly the RIP and RSP crash's `bt -a` shows
 * in its exception frame for that CPU.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { openDump } from "../../src/dump/open-dump.ts";
import { prstatus } from "../../src/kernel/arch/x86_64/registers.ts";
import { Kernel } from "../../src/kernel/kernel.ts";
import { nodeCodecs } from "../../src/platform/node/codecs.ts";
import { FileSource } from "../../src/platform/node/file-source.ts";
import { fixtureDumps } from "../dump-fixtures.ts";

for (const d of fixtureDumps().filter((x) => x.dir.endsWith("6.1-kdump"))) {
  test(`${d.id}: NT_PRSTATUS registers agree with crash's bt -a`, () => {
    const dump = openDump(new FileSource(d.path), nodeCodecs);
    try {
      const cpus = prstatus(dump.notes);
      assert.equal(cpus.length, 2);
      assert.equal(cpus[0].pid, d.manifest.crash.bt_pid);
      const kernel = new Kernel(dump);
      assert.equal(kernel.symbols.resolve(cpus[0].regs.ip)?.name, "__crash_kexec");
      const btA = readFileSync(join(d.oracles, "crash-bt-a.txt"), "utf8");
      const cpu1 = btA.slice(btA.indexOf("CPU: 1"));
      const m = /RIP: ([0-9a-f]{16}) {2}RSP: ([0-9a-f]{16})/.exec(cpu1)!;
      assert.equal(cpus[1].regs.ip.toString(16).padStart(16, "0"), m[1]);
      assert.equal(cpus[1].regs.sp.toString(16).padStart(16, "0"), m[2]);
      assert.equal(cpus[1].regs.cs, 0x10n);
    } finally {
      dump.close();
    }
  });
}
