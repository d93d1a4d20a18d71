/**
 * Backtraces with the kernel's own ORC tables from the dump: every task that was asleep, on every fixture
 * dump, walks exactly as crash's `foreach bt` printed it — frames, frame addresses, return addresses, and the
 * user-mode registers where the stack began. A stack overwritten in a copy stops with a marker, never loops.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type TestContext, test } from "node:test";
import { type BacktraceItem, backtrace } from "../../src/analysis/backtrace.ts";
import { psRows } from "../../src/analysis/tasks.ts";
import { ElfCore } from "../../src/dump/elf-core.ts";
import { openDump } from "../../src/dump/open-dump.ts";
import { ORC_REG } from "../../src/kernel/arch/x86_64/orc.ts";
import { orcOf } from "../../src/kernel/arch/x86_64/stacks.ts";
import { prologueFrameSize } from "../../src/kernel/arch/x86_64/unwind.ts";
import { Kernel } from "../../src/kernel/kernel.ts";
import { nodeCodecs } from "../../src/platform/node/codecs.ts";
import { FileSource } from "../../src/platform/node/file-source.ts";
import { renderBacktraces, renderBt } from "../../src/views/bt.ts";
import { consoleCallTrace } from "../console-truth.ts";
import { crashErratum, noteErratum } from "../crash-errata.ts";
import { fixtureDumps } from "../dump-fixtures.ts";
import { kdx } from "../helpers.ts";
import { fixtureCheck } from "../known-gaps.ts";
import { PatchedSource, wordPatch } from "../patched-source.ts";

for (const d of fixtureDumps()) {
  fixtureCheck(d.id, "bt of every sleeping task = crash's foreach bt", () => {
    const dump = openDump(new FileSource(d.path), nodeCodecs);
    try {
      const k = new Kernel(dump);
      const crash = new Map<string, string>();
      for (const block of readFileSync(join(d.oracles, "crash-foreach-bt.txt"), "utf8").split(
        /\n(?=PID: )/,
      )) {
        const m = /TASK: ([0-9a-f]+)/.exec(block);
        if (m) crash.set(m[1], block.trimEnd());
      }
      const sleeping = psRows(k).filter((r) => !r.active);
      for (const r of sleeping) {
        const got = renderBacktraces([backtrace(k, r)], k.arch.registers).trimEnd();
        assert.equal(got, crash.get(r.task.toString(16)), `PID ${r.pid}`);
      }
      // Every task crash walked that was not running was compared.
      assert.equal(sleeping.length, crash.size - psRows(k).filter((r) => r.active).length);
    } finally {
      dump.close();
    }
  });
}

test("kdx bt PID through the CLI", () => {
  const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;
  const r = kdx(["bt", "94", d.path]);
  assert.equal(r.status, 0, r.stderr);
  const block = readFileSync(join(d.oracles, "crash-foreach-bt.txt"), "utf8")
    .split(/\n(?=PID: )/)
    .find((b) => b.startsWith("PID: 94 "))!;
  assert.equal(r.stdout.trimEnd(), block.trimEnd());
});

/** Where a kernel virtual address lies in an ELF dump's file: how the tests damage a copy of it. */
function offsetInFile(core: ElfCore, kernel: Kernel, va: bigint): number {
  const pa = Number(kernel.mm.translate(va));
  const seg = core.loads.find((l) => pa >= l.paddr && pa < l.paddr + l.filesz)!;
  return seg.offset + (pa - seg.paddr);
}

test("a corrupted stack stops with a marker, then the last-resort scan lists the frames beyond it as guesses", () => {
  const d = fixtureDumps().find((x) => x.id === "6.1-null/vmcore.elf")!;
  const file = new FileSource(d.path);
  const clean = new ElfCore(file);
  const k0 = new Kernel(clean);
  const init = psRows(k0).find((r) => r.pid === 1)!;
  const frames = backtrace(k0, init).items.filter((x) => x.kind === "frame");
  const slot = frames[2].frameAddress; // where do_wait's return address sits
  const fileOffset = (va: bigint) => offsetInFile(clean, k0, va);
  for (const [what, value] of [
    ["the return address of an earlier frame (a loop)", (frames[0] as { ip: bigint }).ip],
    ["garbage", 0xdeadbeefdeadbeefn],
    ["zero", 0n],
  ] as const) {
    const k = new Kernel(new ElfCore(new PatchedSource(file, wordPatch(fileOffset(slot), value))));
    const bt = backtrace(k, init);
    const items = bt.items;
    const text = renderBt(bt, k.arch.registers).join("\n");
    assert.ok(items.length < 80, `${what}: ${items.length} items`);
    // The walk stops with a marker saying why; then, as crash's last resort, the rest of the stack is
    // scanned for return addresses, each marked "?" as a guess.
    const stop = items.findIndex((x) => x.kind === "stop");
    assert.ok(stop > 0, `${what}: the walk stops with a marker:\n${text}`);
    assert.ok(items.slice(0, stop).every((x) => x.kind !== "frame" || !x.guess));
    assert.match(text, /^ {4}bt: .+\n {4}bt: last resort, a scan of the rest of the stack/m, what);
    const guesses = items.slice(stop).filter((x) => x.kind === "frame");
    assert.ok(guesses.length > 0 && guesses.every((x) => x.kind === "frame" && x.guess), what);
    // Every real frame beyond the damage is among the guesses, at its own stack slot.
    for (const f of frames.slice(3) as { frameAddress: bigint; ip: bigint }[])
      assert.ok(
        guesses.some((g) => g.kind === "frame" && g.frameAddress === f.frameAddress && g.ip === f.ip),
        `${what}: frame at ${f.frameAddress.toString(16)} found by the scan:\n${text}`,
      );
    assert.match(text, /^ *#\d+ \[[0-9a-f]+\] \? entry_SYSCALL_64_after_hwframe at /m, what);
  }
  file.close();
});

test("where ORC and the prologue both give out, the frame pointer carries the walk", () => {
  // Functions that realign or size their stack at run time keep %rbp as a frame pointer, and ORC describes
  // them from it. With such a function's ORC entry wiped in a copy of the dump, and its prologue no help,
  // the walk must follow %rbp and come out exactly as before.
  const d = fixtureDumps().find((x) => x.id === "6.1-null/vmcore.elf")!;
  const file = new FileSource(d.path);
  const clean = new ElfCore(file);
  const k0 = new Kernel(clean);
  const orc0 = orcOf(k0);
  const init = psRows(k0).find((r) => r.pid === 1)!;
  const bt0 = backtrace(k0, init);
  const items0 = bt0.items;
  const fp = items0.find(
    (x): x is Extract<BacktraceItem, { kind: "frame" }> =>
      x.kind === "frame" &&
      orc0.find(x.ip - 1n)?.spReg === ORC_REG.BP &&
      prologueFrameSize(k0, x.ip - 1n) === undefined,
  );
  assert.ok(fp, "a frame-pointer function on init's stack");
  const at = offsetInFile(clean, k0, orc0.entryAddress(fp.ip - 1n)!);
  const k = new Kernel(
    new ElfCore(new PatchedSource(file, new Map([0, 1, 2, 3, 4, 5].map((i) => [at + i, 0])))),
  );
  const orc = orcOf(k);
  assert.equal(orc.find(fp.ip - 1n)?.spReg, ORC_REG.UNDEFINED, "the entry is wiped");
  const bt = backtrace(k, init);
  const items = bt.items;
  assert.deepEqual(renderBt(bt, k.arch.registers), renderBt(bt0, k0.arch.registers));
  assert.ok(
    items.some((x) => x.kind === "regs" && x.user),
    "down to the user-mode registers",
  );
  file.close();
});

test("a kernel without ORC tables: bt says so and walks by prologues and frame pointers", () => {
  // A copy of a dump whose BTF no longer names struct orc_entry looks like a kernel built without ORC.
  const d = fixtureDumps().find((x) => x.id === "6.1-null/vmcore.elf")!;
  const file = new FileSource(d.path);
  const clean = new ElfCore(file);
  const k0 = new Kernel(clean);
  const start = k0.symbol("__start_BTF");
  const btf = Buffer.from(k0.read(start, Number(k0.symbol("__stop_BTF") - start)));
  const name = btf.indexOf("\0orc_entry\0");
  assert.ok(name > 0);
  const at = offsetInFile(clean, k0, start + BigInt(name + 9));
  const dump = new ElfCore(new PatchedSource(file, new Map([[at, "x".charCodeAt(0)]])));
  const k = new Kernel(dump);
  assert.equal(orcOf(k).available, false);
  const rows = psRows(k);
  for (const r of [rows.find((x) => x.pid === 1)!, rows.find((x) => x.active && x.comm === "sh")!]) {
    const bt = backtrace(k, r);
    const items = bt.items;
    const text = renderBt(bt, k.arch.registers).join("\n");
    assert.match(text, /^ {4}\(no ORC tables in this kernel: frames from prologues and frame pointers\)\n/);
    // Every frame found is one the ORC walk finds too, at the same stack slot.
    const withOrc = backtrace(k0, r).items.filter((x) => x.kind === "frame");
    const frames = items.filter((x) => x.kind === "frame" && !x.guess) as {
      frameAddress: bigint;
      ip: bigint;
    }[];
    assert.ok(frames.length >= 2, text);
    for (const f of frames)
      assert.ok(
        withOrc.some((g) => g.kind === "frame" && g.frameAddress === f.frameAddress && g.ip === f.ip),
        `PID ${r.pid}: ${f.frameAddress.toString(16)} ${f.ip.toString(16)}\n${text}`,
      );
  }
  file.close();
});

/** crash's bt of the panic task, and kdx's, as lines. */
function panicBt(d: ReturnType<typeof fixtureDumps>[number]): { crash: string[]; kdx: string[] } {
  const crash = readFileSync(join(d.oracles, "crash-bt.txt"), "utf8").trimEnd().split("\n");
  const pid = /^PID: (\d+)/.exec(crash[0])![1];
  const r = kdx(["bt", pid, d.path]);
  assert.equal(r.status, 0, r.stderr);
  return { crash, kdx: r.stdout.trimEnd().split("\n") };
}

/**
 * The panic task's bt against crash's: the same lines, but for one frame crash ignores. panic() is
 * noreturn, so oops_end.cold ends with its call: the return address is the first byte of the next function
 * (show_opcodes.cold). crash ignores any stack word at a symbol's offset 0 ("ignoring text symbol with no
 * offset"); ORC, like the kernel's own unwinder, names the caller from the address before it.
 */
function assertPanicBt(d: ReturnType<typeof fixtureDumps>[number], t: TestContext): void {
  const { crash, kdx: got } = panicBt(d);
  const e = crashErratum(d.id, "bt", "the panic task's frames");
  if (e) {
    noteErratum(t, e);
    // The reliable frames of the kernel's own Call Trace (not "?"), in order, are kdx's frames.
    const trace = consoleCallTrace(d);
    assert.ok(trace.length >= 3, "the console has a Call Trace");
    const frames = got.flatMap((l) => / \[[0-9a-f]+\] (\S+) at /.exec(l)?.[1] ?? []);
    let at = 0;
    for (const fn of trace) {
      at = frames.indexOf(fn, at);
      assert.ok(at >= 0, `${fn} of the console's Call Trace, in order, in:\n${got.join("\n")}`);
    }
    assert.ok(!got.some((l) => /^ {4}bt: /.test(l)), got.join("\n"));
    return;
  }
  const at = got.findIndex((l) => / oops_end\.cold at /.test(l));
  if (at >= 0 && !crash.some((l) => / oops_end\.cold at /.test(l))) {
    const ret = / at ([0-9a-f]+)$/.exec(got[at])![1];
    assert.match(kdx(["sym", ret, d.path]).stdout, new RegExp(`^${ret} \\(t\\) show_opcodes\\.cold\\s*$`));
    const renumber = (l: string) => l.replace(/^ ?#\d+ /, "#N ");
    assert.deepEqual(got.filter((_, i) => i !== at).map(renumber), crash.map(renumber));
  } else assert.deepEqual(got, crash);
}

for (const d of fixtureDumps()) {
  fixtureCheck(
    d.id,
    "bt of the panic task = crash's bt (kdump's machine_kexec start, IRQ stack, exception frames)",
    (t) => assertPanicBt(d, t),
  );
}

/** A bt -a / foreach bt text, as blocks keyed by task address. */
function blocks(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const b of text.trimEnd().split(/\n\n(?=PID: )/))
    m.set(/TASK: ([0-9a-f]+)/.exec(b)![1] + /CPU: (\d+)/.exec(b)![1], b.trimEnd());
  return m;
}

for (const d of fixtureDumps()) {
  fixtureCheck(
    d.id,
    "bt -a — crash's blocks where crash could walk; a walk from the recorded registers where it could not",
    () => {
      const crash = blocks(readFileSync(join(d.oracles, "crash-bt-a.txt"), "utf8"));
      const r = kdx(["bt", "-a", d.path]);
      assert.equal(r.status, 0, r.stderr);
      const ours = blocks(r.stdout);
      assert.deepEqual([...ours.keys()].sort(), [...crash.keys()].sort());
      for (const [key, want] of crash) {
        const got = ours.get(key)!;
        if (/read of stack at .* failed/.test(want)) {
          // QEMU stopped this CPU after panic; crash cannot read its NMI stack. kdx walks from the vCPU state.
          assert.match(got, /\(from the CPU's registers as the dump recorded them\)/);
          assert.match(got, / (start_kernel|secondary_startup_64_no_verify) at /);
        } else if (/^WARNING: possibly bogus exception frame$/m.test(want)) {
          // crash says so itself: it took a stack slot for an exception frame (5.10's QEMU dumps: an RIP in
          // init_thread_union). kdx walks from the vCPU state, with no warning, and ends in the frames crash
          // found again after its bogus one, at the same stack slots and return addresses.
          assert.match(got, /\(from the CPU's registers as the dump recorded them\)/);
          assert.doesNotMatch(got, /WARNING|bt: /);
          const frame = (l: string) => / \[([0-9a-f]+)\] (\S+) at ([0-9a-f]+)/.exec(l)?.slice(1).join(" ");
          const lines = want.split("\n");
          const after = lines
            .slice(lines.findLastIndex((l) => l.startsWith("WARNING:")) + 1)
            .flatMap((l) => frame(l) ?? []);
          assert.ok(after.length >= 2, want);
          const ours = got.split("\n").flatMap((l) => frame(l) ?? []);
          assert.deepEqual(ours.slice(-after.length), after);
        } else if (/ oops_end\.cold at /.test(got)) {
          const renumber = (l: string) => l.replace(/^ ?#\d+ /, "#N ");
          assert.deepEqual(
            got
              .split("\n")
              .filter((l) => !/ oops_end\.cold at /.test(l))
              .map(renumber),
            want.split("\n").map(renumber),
          );
        } else assert.equal(got, want);
      }
    },
  );
}

test("foreach bt walks every task of a dump; each block as bt gives it", () => {
  const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;
  const r = kdx(["foreach", "bt", d.path]);
  assert.equal(r.status, 0, r.stderr);
  const crash = readFileSync(join(d.oracles, "crash-foreach-bt.txt"), "utf8");
  assert.equal(r.stdout.trimEnd(), crash.trimEnd());
});

test("bt -f shows each frame's stack words, the same memory rd reads", () => {
  const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;
  const r = kdx(["-c", "bt -f 94; rd ffffd2c3003cb9e8 4", d.path]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split("\n");
  const words = lines.filter(
    (l) => l.startsWith("    ffffd2c3003cb9e8: ") || l.startsWith("    ffffd2c3003cb9f8: "),
  );
  const rd = lines.filter((l) => /^ffffd2c3003cb9(e8|f8):/.test(l));
  assert.equal(words.length, 2);
  for (const [i, w] of words.entries())
    assert.equal(w.trim().split(/\s+/).slice(0, 3).join(" "), rd[i].split(/\s+/).slice(0, 3).join(" "));
  // The frame lines themselves are unchanged by -f.
  assert.ok(lines.includes(" #1 [ffffd2c3003cba38] schedule at ffffffff94e1154a"));
});

test("a dump whose notes lack NT_PRSTATUS: registers from the kernel's crash_notes, same bt -a", async () => {
  const { writeFileSync } = await import("node:fs");
  const { tempDir } = await import("../helpers.ts");
  const d = fixtureDumps().find((x) => x.id === "6.1-kdump/vmcore")!;
  const b = readFileSync(d.path);
  // Every "CORE" NT_PRSTATUS note header (namesz 5, descsz 0x150, type 1) gets another type.
  const header = Buffer.from("05000000500100000100000043" + "4f5245", "hex");
  let n = 0;
  for (let at = b.indexOf(header); at >= 0 && at < 1 << 20; at = b.indexOf(header, at + 1)) {
    b.writeUInt32LE(0x7f, at + 8);
    n++;
  }
  assert.equal(n, 2);
  const copy = join(tempDir(), "vmcore-no-prstatus");
  writeFileSync(copy, b);
  const dump = openDump(new FileSource(copy), nodeCodecs);
  const k = new Kernel(dump);
  const { cpuRegisters } = await import("../../src/kernel/arch/x86_64/stacks.ts");
  assert.deepEqual(k.arch.prstatus(dump.notes), []);
  const regs = cpuRegisters(k, []);
  assert.equal(regs.source, "the kernel's crash_notes");
  assert.equal(regs.cpus[0].pid, 105);
  assert.equal(regs.cpus[1].regs.ip.toString(16), "ffffffff94e17a0b"); // native_safe_halt+11, as crash's bt -a
  dump.close();
  const r = kdx(["bt", "-a", copy]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, readFileSync(join(d.oracles, "crash-bt-a.txt"), "utf8"));
});
