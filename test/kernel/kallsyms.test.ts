/**
 * kallsyms decoded from each dump's own memory agrees with the real System.map of that kernel, relocated by
 * the dump's KASLR offset: the dump alone names every symbol.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { openDump } from "../../src/dump/open-dump.ts";
import { Kernel } from "../../src/kernel/kernel.ts";
import { hasKallsyms, readKallsyms } from "../../src/kernel/symbols/kallsyms.ts";
import { parseNmText } from "../../src/kernel/symbols/symbol-table.ts";
import { nodeCodecs } from "../../src/platform/node/codecs.ts";
import { FileSource } from "../../src/platform/node/file-source.ts";
import { fixtureDumps } from "../dump-fixtures.ts";
import { fixture } from "../helpers.ts";

const MAP = readFileSync(
  fixture("vmcore/kernel-6.1.0-56-cloud-amd64/System.map-6.1.0-56-cloud-amd64"),
  "utf8",
);

for (const d of fixtureDumps().filter((x) =>
  ["6.1-null/vmcore.elf", "6.1-kdump/vmcore", "6.1-sysrq/vmcore.kdump-zlib"].includes(x.id),
)) {
  test(`${d.id}: kallsyms from memory = System.map + KASLR offset`, () => {
    const dump = openDump(new FileSource(d.path), nodeCodecs);
    try {
      const kernel = new Kernel(dump);
      assert.ok(hasKallsyms(kernel));
      const ks = readKallsyms(kernel);
      const map = parseNmText(MAP, "System.map").relocated(kernel.vmcoreinfo.kernelOffset);
      let same = 0;
      let total = 0;
      for (const line of MAP.split("\n")) {
        const name = line.split(" ")[2];
        if (!name) continue;
        const want = map.lookup(name)!;
        total++;
        const got = ks.lookup(name);
        // kallsyms calls per-CPU symbols absolute ("A"); System.map, data ("D").
        const typeOk = got?.type === "A" || got?.type.toLowerCase() === want.type.toLowerCase();
        if (got && got.address === want.address && typeOk) same++;
      }
      // System.map also lists a few linker symbols kallsyms leaves out.
      assert.ok(same / total > 0.999, `${same} of ${total} symbols agree`);
      assert.ok(ks.size > 80000);
      const panic = ks.lookup("panic")!;
      assert.equal(ks.resolve(panic.address + 5n)?.name, "panic");
      assert.equal(ks.lookup("fixed_percpu_data")?.address, 0n, "per-CPU symbols stay absolute");
    } finally {
      dump.close();
    }
  });
}
