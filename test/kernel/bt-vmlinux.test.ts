/**
 * With the kernel's own debug vmlinux (Debian's linux-image-6.1.0-56-cloud-amd64-dbg, as crash was run for
 * the oracles): its .symtab names the frames as crash does, and `bt -l` adds each frame's source line
 * from its DWARF line tables.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fixtureDumps } from "../dump-fixtures.ts";
import { kdx } from "../helpers.ts";

const VMLINUX = "/usr/lib/debug/boot/vmlinux-6.1.0-56-cloud-amd64";
const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;

function needVmlinux(): void {
  assert.ok(
    existsSync(VMLINUX),
    `${VMLINUX} is missing: apt-get install linux-image-6.1.0-56-cloud-amd64-dbg (.ci/run does)`,
  );
}

test("with the debug vmlinux: bt and foreach bt are crash's, frame for frame", () => {
  needVmlinux();
  const r = kdx(["-c", "bt; foreach bt", d.path, VMLINUX]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    readFileSync(join(d.oracles, "crash-bt.txt"), "utf8") +
      readFileSync(join(d.oracles, "crash-foreach-bt.txt"), "utf8"),
  );
});

test("bt -l: each kernel frame's source file and line, from the vmlinux's line tables", () => {
  needVmlinux();
  const r = kdx(["bt", "-l", "--system-map", VMLINUX, d.path]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  const frames: { fn: string; ip: bigint; file: string; line: number }[] = [];
  lines.forEach((l, i) => {
    const f = /^ *#\d+ \[[0-9a-f]+\] (\S+) at ([0-9a-f]+)$/.exec(l);
    if (!f) return;
    const src = /^ {4}(\S+): (\d+)$/.exec(lines[i + 1] ?? "");
    assert.ok(src, `frame ${f[1]} has its source line:\n${r.stdout}`);
    frames.push({ fn: f[1], ip: BigInt(`0x${f[2]}`), file: src[1], line: Number(src[2]) });
  });
  // The frames crash shows, each in the file the kernel's source has it in.
  const where: Record<string, string> = {
    machine_kexec: "arch/x86/kernel/machine_kexec_64.c",
    __crash_kexec: "kernel/kexec_core.c",
    panic: "kernel/panic.c",
    sysrq_handle_crash: "drivers/tty/sysrq.c",
    write_sysrq_trigger: "drivers/tty/sysrq.c",
    vfs_write: "fs/read_write.c",
    ksys_write: "fs/read_write.c",
    do_syscall_64: "arch/x86/entry/common.c",
    entry_SYSCALL_64_after_hwframe: "arch/x86/entry/entry_64.S",
  };
  for (const [fn, file] of Object.entries(where)) {
    const f = frames.find((x) => x.fn === fn);
    assert.ok(f, `${fn} in the trace`);
    assert.ok(f.file.endsWith(`/${file}`), `${fn}: ${f.file}`);
    assert.ok(f.line > 0);
  }
  // A return address is looked up at its call: the line addr2line gives for the byte before it, at the
  // function's link-time address (nm) plus its offset in the dump (kdx sym).
  const top = frames[0];
  const sym = /^[0-9a-f]+ \(T\) machine_kexec\+(\d+)$/m.exec(
    kdx(["sym", `0x${top.ip.toString(16)}`, d.path]).stdout,
  );
  assert.ok(sym);
  const link = BigInt(
    `0x${/^([0-9a-f]+) T machine_kexec$/m.exec(execFileSync("nm", [VMLINUX], { encoding: "utf8", maxBuffer: 1 << 28 }))![1]}`,
  );
  const want = execFileSync("addr2line", ["-e", VMLINUX, `0x${(link + BigInt(sym[1]) - 1n).toString(16)}`], {
    encoding: "utf8",
  }).trim();
  assert.equal(`${top.file}:${top.line}`, want.replace(/ \(discriminator \d+\)$/, ""));
});

test("bt -l without a vmlinux says what it needs", () => {
  const r = kdx(["bt", "-l", d.path]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /bt -l needs the kernel's vmlinux with debug info/);
});
