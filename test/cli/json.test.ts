/** Every crash-compatible command speaks JSON with --json: one object, its schema named, values that agree with the text. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { fixtureDumps } from "../dump-fixtures.ts";
import { kdx } from "../helpers.ts";

const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;
const task = `ffff8eb6026f8000`; // the panic task of the capture, as crash's ps lists it

// biome-ignore lint/suspicious/noExplicitAny: each check reads its own command's JSON shape
const COMMANDS: [string, string[], (o: Record<string, any>) => void][] = [
  ["sys", [], (o) => assert.equal(o.tasks, 59)],
  ["ps", [], (o) => assert.equal(o.tasks.length, 59)],
  ["log", [], (o) => assert.ok(o.records.length > 300)],
  [
    "mod",
    [],
    (o) =>
      assert.deepEqual(o.modules.map((m: { name: string }) => m.name).sort(), ["crashmod", "qemu_fw_cfg"]),
  ],
  ["kmem", ["-i"], (o) => assert.equal(o.totalPages, 79300)],
  [
    "task",
    ["-R", "pid,comm", "105"],
    (o) => assert.deepEqual(o.tasks[0].task_struct, { pid: 105, comm: "sh" }),
  ],
  ["sym", ["panic"], (o) => assert.equal(o.symbols[0].type, "T")],
  [
    "rd",
    ["-8", "linux_banner", "5"],
    (o) => assert.deepEqual(o.values, ["0x4c", "0x69", "0x6e", "0x75", "0x78"]),
  ],
  ["dis", ["panic", "2"], (o) => assert.equal(o.instructions[1].text, "push   %rbp")],
  ["p", ["runqueues"], (o) => assert.equal(o.type, "struct rq runqueues")],
  [
    "px",
    ["jiffies"],
    (o) => assert.deepEqual([o.typeFrom, o.type, o.history], ["table", "long unsigned int", 1]),
  ],
  ["struct", ["task_struct.pid,comm", task], (o) => assert.deepEqual(o.value, { pid: 105, comm: "sh" })],
  ["union", ["bpf_attr"], (o) => assert.ok(o.size >= 100)],
  ["whatis", ["pid_type"], (o) => assert.match(o.definition, /PIDTYPE_PID = 0/)],
];

test("--json on every session command, in one shell run", () => {
  const script = COMMANDS.map(([name, args]) => [name, "--json", ...args].join(" ")).join("; ");
  const r = kdx(["-c", script, d.path]);
  assert.equal(r.stderr, "");
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, COMMANDS.length);
  COMMANDS.forEach(([name, , check], i) => {
    const o = JSON.parse(lines[i]);
    assert.match(
      o.schema,
      new RegExp(
        `^kdx\\.${name === "kmem" ? "kmem-i" : name === "px" ? "p" : name === "union" ? "struct" : name}/1$`,
      ),
    );
    check(o);
  });
});
