/**
 * The interactive session through a real pseudo-terminal (python's pty): the sys banner, the prompt,
 * tab completion, kmem -i, a command piped to grep, an unknown command, and leaving with q. Also -c and stdin scripts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fixtureDumps } from "../dump-fixtures.ts";
import { KDX, kdx, ROOT, tempDir } from "../helpers.ts";

const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;
// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are what the screen holds
const plain = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r/g, "");

test("interactive: banner, tab completion, | grep, errors, q — on a real terminal", () => {
  const steps = [
    { until: "kdx> " },
    { send: "km\t" },
    { until: "kmem" },
    { send: " -i\r" },
    { until: "kdx> " },
    { send: "ps | grep -w sh\r" },
    { until: "kdx> " },
    { send: "frob\r" },
    { until: "kdx> " },
    { send: "q\r" },
  ];
  const r = spawnSync("python3", [join(ROOT, "test/tools/pty-drive.py"), KDX, d.path], {
    input: JSON.stringify(steps),
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const { screens, status } = JSON.parse(r.stdout);
  assert.equal(status, 0);
  for (const s of screens) assert.ok(!s.timeout, `timed out waiting; screen so far:\n${s.text}`);
  const [banner, completed, kmem, grep, frob] = screens.map((s: { text: string }) => plain(s.text));
  assert.match(banner, /PANIC: "Kernel panic - not syncing: sysrq triggered crash"/);
  assert.match(banner, /TASKS: 59/);
  // The banner ends with the context crash starts in: the panic task, as crash's bt header names it.
  const [, pid, task, cpu, comm] = /^PID: (\d+)\s+TASK: ([0-9a-f]+)\s+CPU: (\d+)\s+COMMAND: "(.*)"/.exec(
    readFileSync(join(d.oracles, "crash-bt.txt"), "utf8"),
  )!;
  assert.ok(
    banner.includes(
      `         PID: ${pid}\n     COMMAND: "${comm}"\n        TASK: ${task}  [THREAD_INFO: ${task}]\n         CPU: ${cpu}\n       STATE: TASK_RUNNING (PANIC)\n`,
    ),
    banner,
  );
  assert.match(completed, /kmem$/, "tab completed km to kmem");
  assert.match(kmem, /TOTAL MEM\s+79300\s+309\.8 MB/);
  assert.match(grep, />\s+105\s+1\s+0\s+ffff8eb6026f8000\s+RU\s+0\.3\s+2260\s+1576\s+sh/);
  assert.doesNotMatch(grep, /kworker/);
  assert.match(frob, /frob: no such command/);
});

test("-c runs commands separated by ;, > writes a file; stdin scripts run without a banner under -s", () => {
  const r = kdx(["-c", "ps; mod", d.path]);
  assert.equal(r.status, 0, r.stderr);
  const ps = readFileSync(join(d.oracles, "crash-ps.txt"), "utf8");
  assert.equal(r.stdout, ps + readFileSync(join(d.oracles, "crash-mod.txt"), "utf8"));
  const file = join(tempDir(), "mod.txt");
  assert.equal(kdx(["-c", `mod > ${file}`, d.path]).stdout, "");
  assert.equal(readFileSync(file, "utf8"), readFileSync(join(d.oracles, "crash-mod.txt"), "utf8"));
  const s = kdx(["-s", d.path], "kmem -i\nq\n");
  assert.equal(s.stdout, readFileSync(join(d.oracles, "crash-kmem-i.txt"), "utf8"));
});

test("kdx System.map DUMP in either order, as crash takes vmlinux and vmcore; a stripped ELF is refused", () => {
  const map = join(
    ROOT,
    "../shared/fixtures/vmcore/kernel-6.1.0-56-cloud-amd64/System.map-6.1.0-56-cloud-amd64",
  );
  const a = kdx(["-c", "ps", map, d.path]);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(a.stdout, readFileSync(join(d.oracles, "crash-ps.txt"), "utf8"));
  const b = kdx(["-c", "ps", d.path, map]);
  assert.equal(b.stdout, a.stdout);
  const elf = kdx(["-c", "ps", d.path, "/bin/sh"]);
  assert.equal(elf.status, 2);
  assert.match(elf.stderr, /\/bin\/sh: no \.symtab section \(a stripped vmlinux\?\)/);
});

test("set: the current context, which bt follows; set -p goes back to the panic task", () => {
  const foreach = readFileSync(join(d.oracles, "crash-foreach-bt.txt"), "utf8").split(/\n(?=PID: )/);
  const panicBt = readFileSync(join(d.oracles, "crash-bt.txt"), "utf8");
  const header = (bt: string) => /^PID: (\d+)\s+TASK: ([0-9a-f]+)\s+CPU: (\d+)\s+COMMAND: "(.*)"/.exec(bt)!;
  const context = (bt: string, state: string) => {
    const [, pid, task, cpu, comm] = header(bt);
    return `    PID: ${pid}\nCOMMAND: "${comm}"\n   TASK: ${task}  [THREAD_INFO: ${task}]\n    CPU: ${cpu}\n  STATE: ${state}\n`;
  };
  const init = `${foreach.find((b) => b.startsWith("PID: 1 "))!.trimEnd()}\n`;
  const r = kdx(["-c", "set 1; bt; set -p; bt", d.path]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    context(init, "TASK_INTERRUPTIBLE") + init + context(panicBt, "TASK_RUNNING (PANIC)") + panicBt,
  );
});
