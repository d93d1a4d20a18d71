/**
 * Backtraces as records: each task's kernel stack walked by its architecture's unwinder, every frame named
 * by the kernel's symbols. Views print them as crash does (views/bt.ts) or as JSON.
 */
import type { Registers, StackWalk } from "../kernel/arch/architecture.ts";
import type { Kernel } from "../kernel/kernel.ts";
import type { Resolved } from "../kernel/symbols/symbol-table.ts";
import { KdxError } from "../util/errors.ts";
import type { PsRow } from "./tasks.ts";

export type BacktraceItem =
  | {
      kind: "frame";
      frameAddress: bigint;
      ip: bigint;
      /** Found by the last-resort scan, not proven by unwind data. */
      guess: boolean;
      symbol: Resolved | undefined;
      /**
       * The function the frame belongs to, as the kernel's %pB names it: a return address at the very start
       * of a function follows a call that never returns (to panic, say) at the end of the one before.
       */
      caller: Resolved | undefined;
    }
  | { kind: "regs"; at: bigint; user: boolean; regs: Registers; symbol: Resolved | undefined }
  | { kind: "left-stack"; stack: string }
  | { kind: "scan" }
  | { kind: "stop"; reason: string };

export interface Backtrace extends Omit<StackWalk, "items"> {
  task: PsRow;
  items: BacktraceItem[];
}

/** One task's backtrace. */
export function backtrace(kernel: Kernel, task: PsRow): Backtrace {
  const walk = kernel.arch.walkStack(kernel, task);
  const resolve = (a: bigint) => kernel.symbols.resolve(a);
  const ipName = kernel.arch.registers.ip;
  const items = walk.items.map((it): BacktraceItem => {
    if (it.kind === "frame") {
      const symbol = resolve(it.ip);
      const caller = symbol?.offset === 0 ? (resolve(it.ip - 1n) ?? symbol) : symbol;
      return { ...it, guess: it.guess === true, symbol, caller };
    }
    if (it.kind === "regs") return { ...it, symbol: resolve(it.regs[ipName]) };
    return it;
  });
  return { ...walk, task, items };
}

/** The CPU that panicked (panic_cpu), when the kernel recorded one. */
export function panicCpu(kernel: Kernel): number | undefined {
  const sym = kernel.symbols.lookup("panic_cpu");
  if (!sym) return undefined;
  const v = kernel.readU32(sym.address) | 0;
  return v >= 0 ? v : undefined;
}

/** The task crash starts in: the one running on the CPU that panicked. */
export function panicTask(kernel: Kernel, rows: PsRow[]): PsRow | undefined {
  const cpu = panicCpu(kernel);
  return rows.find((r) => r.active && r.cpu === cpu);
}

/** Stack words a frame of bt -f holds (8192 bytes at most), or undefined where they cannot be read. */
export type FrameWords = { at: bigint; words: bigint[] } | undefined;

/**
 * bt -f: for each frame (by its index among `items`), the words above its return address up to the next
 * frame or register block.
 */
export function frameContents(kernel: Kernel, items: BacktraceItem[]): Map<number, FrameWords> {
  const out = new Map<number, FrameWords>();
  items.forEach((it, k) => {
    if (it.kind !== "frame") return;
    const next = items.slice(k + 1).find((x) => x.kind === "frame" || x.kind === "regs");
    const end = next?.kind === "frame" ? next.frameAddress : next?.kind === "regs" ? next.at : undefined;
    const from = it.frameAddress + 8n;
    if (end === undefined || end <= from || end - from > 8192n) return;
    try {
      const b = kernel.read(from, Number(end - from));
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const words: bigint[] = [];
      for (let i = 0; i + 8 <= b.length; i += 8) words.push(dv.getBigUint64(i, true));
      out.set(k, { at: from, words });
    } catch (e) {
      if (!(e instanceof KdxError)) throw e;
      out.set(k, undefined);
    }
  });
  return out;
}
