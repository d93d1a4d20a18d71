/** BTF read from a dump's own memory: the kernel's types, members by path, bitfields, enums, errors. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { openDump } from "../../src/dump/open-dump.ts";
import { Kernel } from "../../src/kernel/kernel.ts";
import { BtfError } from "../../src/kernel/types/btf.ts";
import { nodeCodecs } from "../../src/platform/node/codecs.ts";
import { FileSource } from "../../src/platform/node/file-source.ts";
import { fixtureDumps } from "../dump-fixtures.ts";

test("BTF from the dump: task_struct, members by path, bitfields, enums, init_task read through it", () => {
  const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;
  const dump = openDump(new FileSource(d.path), nodeCodecs);
  try {
    const kernel = new Kernel(dump);
    const btf = kernel.btf;
    assert.ok(btf.count > 50000, `${btf.count} types`);
    const ts = btf.find("task_struct", "struct")!;
    assert.ok(ts.size! > 4000);
    assert.equal(btf.typeName(btf.member(ts.id, "comm").type), "char [16]");
    assert.equal(btf.typeName(btf.member(ts.id, "real_parent").type), "struct task_struct *");
    // A member inside a nested struct, and one inside an anonymous union/struct.
    assert.equal(
      btf.offsetof("task_struct", "se.exec_start"),
      btf.offsetof("task_struct", "se") + btf.offsetof("sched_entity", "exec_start"),
    );
    const bit = btf.find("task_struct", "struct")!.members!.find((m) => m.bitSize > 0);
    assert.ok(bit, "task_struct has bitfields (sched_reset_on_fork:1, …)");
    const pidType = btf.find("pid_type", "enum")!;
    assert.deepEqual(pidType.enumerators![0], { name: "PIDTYPE_PID", value: 0n });
    assert.throws(() => btf.offsetof("task_struct", "no_such_member"), BtfError);
    assert.equal(btf.sizeof(btf.find("list_head", "struct")!.id), 16);

    const init = kernel.symbol("init_task");
    assert.equal(kernel.readCString(init + BigInt(btf.offsetof("task_struct", "comm")), 16), "swapper/0");
  } finally {
    dump.close();
  }
});
