/**
 * The interactive session through a real pseudo-terminal (python's pty): the sys banner, the prompt,
 * tab completion, kmem -i, a command piped to grep, an unknown command, and leaving with q. Also -c and stdin scripts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fixtureDumps, kmemIArgs } from "../dump-fixtures.ts";
import { KDX, kdx, ROOT, tempDir } from "../helpers.ts";

const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;
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
  // From CPUS on, the banner is crash's own, down to the context it starts in (the panic task); KERNEL and
  // DUMPFILE name what each was given.
  const crashBanner = readFileSync(
    join(ROOT, "test/oracles/crash-8.0.6/6.1-kdump-vmcore.banner.txt"),
    "utf8",
  );
  const fromCpus = (t: string) =>
    t.slice(t.indexOf("        CPUS:"), t.indexOf("\n\n", t.indexOf("STATE:")) + 1);
  assert.match(fromCpus(crashBanner), /^ {8}CPUS: 2\n[\s\S]*PANIC: [\s\S]*STATE: TASK_RUNNING \(PANIC\)\n$/);
  assert.equal(fromCpus(banner), fromCpus(crashBanner));
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
  // As the oracle's crash was asked (crash 8 counted SHARED always, crash 9 only for -i=shared).
  const s = kdx(["-s", d.path], `kmem ${kmemIArgs(d)}\nq\n`);
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

test("set: the current context, which bt follows; set -p goes back to the panic task (crash 8.0.6's output)", () => {
  const r = kdx(["-c", "set; set 1; bt; set -p", d.path]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    readFileSync(join(ROOT, "test/oracles/crash-8.0.6/6.1-kdump-vmcore.set.txt"), "utf8"),
  );
});

test("-c and scripts: a command that fails or does not exist is one line on stderr, the rest still run, and the exit status is 1", () => {
  const mod = readFileSync(join(d.oracles, "crash-mod.txt"), "utf8");
  for (const r of [
    kdx(["-c", "frob; mod; bt 99999; mod", d.path]),
    kdx(["-s", d.path], "frob\nmod\nbt 99999\nmod\n"),
  ]) {
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, mod + mod);
    assert.deepEqual(r.stderr.trimEnd().split("\n"), [
      "frob: no such command (help lists them)",
      "bt: 99999: no such task",
    ]);
  }
  assert.equal(kdx(["-c", "mod; mod", d.path]).status, 0);
});

test("a task list damaged so that it loops (in a copy of a fixture): ps says so in one line and the prompt returns", async () => {
  const { copyFileSync, openSync, writeSync, closeSync } = await import("node:fs");
  const { openDump } = await import("../../src/dump/open-dump.ts");
  const { ElfCore } = await import("../../src/dump/elf-core.ts");
  const { Kernel } = await import("../../src/kernel/kernel.ts");
  const { listForEach } = await import("../../src/kernel/helpers/list.ts");
  const { nodeCodecs } = await import("../../src/platform/node/codecs.ts");
  const { FileSource } = await import("../../src/platform/node/file-source.ts");
  const src = fixtureDumps().find((x) => x.id === "6.1-null/vmcore.elf")!;
  const dump = openDump(new FileSource(src.path), nodeCodecs) as InstanceType<typeof ElfCore>;
  const k = new Kernel(dump);
  const head = k.symbol("init_task") + BigInt(k.btf.offsetof("task_struct", "tasks"));
  const nodes = [...listForEach(k, head)];
  // The fifth task's next pointer sent back to the third: 3 → 4 → 5 → 3 …, never home to init_task.
  const pa = k.mm.translate(nodes[4]);
  const at = dump.rawPages.offset(Number(pa / 4096n)) + Number(pa % 4096n);
  dump.close();
  const copy = join(tempDir(), "vmcore-looping-tasks");
  copyFileSync(src.path, copy);
  const fd = openSync(copy, "r+");
  const word = Buffer.alloc(8);
  word.writeBigUInt64LE(nodes[2]);
  writeSync(fd, word, 0, 8, at);
  closeSync(fd);

  const steps = [
    { until: "kdx> " },
    { send: "ps\r" },
    { until: "kdx> " },
    { send: "mod\r" },
    { until: "kdx> " },
    { send: "q\r" },
  ];
  const r = spawnSync("python3", [join(ROOT, "test/tools/pty-drive.py"), KDX, "-s", copy], {
    input: JSON.stringify(steps),
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const { screens, status } = JSON.parse(r.stdout);
  assert.equal(status, 0);
  for (const s of screens) assert.ok(!s.timeout, `timed out waiting; screen so far:\n${s.text}`);
  const ps = plain(screens[1].text)
    .split("\n")
    .filter((l: string) => l.trim() && l !== "kdx> " && !l.endsWith("ps"));
  // One line, naming the list and an entry of the loop (where the cycle check closes on it).
  assert.equal(ps.length, 1, ps.join("\n"));
  const m = new RegExp(
    `^ps: list at 0x${head.toString(16)}: loops: entry 0x([0-9a-f]+) comes again after \\d+ entries$`,
  ).exec(ps[0]);
  assert.ok(m, ps[0]);
  assert.ok(nodes.slice(2, 5).includes(BigInt(`0x${m[1]}`)), `${m[1]} is one of the looping entries`);
  assert.match(plain(screens[2].text), /NAME\s+BASE\s+SIZE\s+OBJECT FILE/, "the session goes on");
});
