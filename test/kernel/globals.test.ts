/**
 * kdx's table of the globals crash users print (analysis/globals.ts), held to every kernel: each entry the
 * kernel has is a type its BTF knows, no larger than the symbol's extent (the bytes before the next
 * symbol), so p never reads past its variable; and a global neither BTF nor the table types is read at
 * the width its extent allows (nr_cpu_ids: 4 bytes, not 8).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { globalType, KNOWN_GLOBALS, typeNamed } from "../../src/analysis/globals.ts";
import { openDump } from "../../src/dump/open-dump.ts";
import { Kernel } from "../../src/kernel/kernel.ts";
import { nodeCodecs } from "../../src/platform/node/codecs.ts";
import { FileSource } from "../../src/platform/node/file-source.ts";
import { fixtureDumps } from "../dump-fixtures.ts";

for (const d of fixtureDumps().filter((x) =>
  ["5.10-null/vmcore.elf", "6.1-null/vmcore.elf", "7.2-null/vmcore.elf"].includes(x.id),
)) {
  test(`${d.id}: every global of kdx's table is a BTF type that fits its symbol`, () => {
    const dump = openDump(new FileSource(d.path), nodeCodecs);
    try {
      const k = new Kernel(dump);
      let checked = 0;
      for (const [name, type] of Object.entries(KNOWN_GLOBALS)) {
        if (!k.symbols.lookup(name)) continue;
        const t = typeNamed(k, type);
        assert.ok(t, `${name}: ${type} is in the kernel's BTF`);
        const extent = k.symbols.extent(name);
        if (extent !== undefined)
          assert.ok(t.btf.sizeof(t.id) <= extent, `${name}: ${type} fits in ${extent} bytes`);
        assert.equal(globalType(k, name)?.from, k.btf.find(name, "var") ? "btf" : "table");
        checked++;
      }
      assert.ok(checked >= 20, `${checked} globals checked`);
      // Off the table, the symbol's extent gives the width: never more bytes than the variable has.
      const saved = KNOWN_GLOBALS.nr_cpu_ids;
      delete KNOWN_GLOBALS.nr_cpu_ids;
      try {
        const g = globalType(k, "nr_cpu_ids")!;
        assert.equal(g.from, "symbol size");
        assert.ok(g.btf.sizeof(g.typeId) <= (k.symbols.extent("nr_cpu_ids") ?? 8));
      } finally {
        KNOWN_GLOBALS.nr_cpu_ids = saved;
      }
    } finally {
      dump.close();
    }
  });
}
