/**
 * Walking a kernel stack with ORC, as the kernel's own unwinder does (unwind_next_frame): for each return
 * address, its ORC entry says where the caller's stack pointer (the CFA) is, whether a pt_regs frame sits
 * there (an interrupt, exception or system-call entry), and how to recover the frame pointer. The walk stops
 * at user mode, at ORC's end-of-stack mark, or — with a marker saying why — at anything that does not hold.
 */
import { KdxError } from "../../../util/errors.ts";
import type { Kernel } from "../../kernel.ts";
import type { StackItem } from "../architecture.ts";
import { KERNEL_SPACE } from "./address-space.ts";
import { disassemble } from "./disasm.ts";
import { ORC_REG, type OrcTables } from "./orc.ts";
import { PT_REGS, PT_REGS_SIZE, type PtRegs, readPtRegs } from "./registers.ts";

const IP_OFFSET = PT_REGS.indexOf("ip") * 8;

/** A stack that is not the task's own (IRQ, NMI, exception stacks), for crash's transition markers. */
export interface StackRegion {
  start: bigint;
  end: bigint;
  name: string;
}

export interface UnwindStart {
  ip: bigint;
  sp: bigint;
  bp: bigint;
  /** Where the first frame's return address was read from, when it was (a sleeping task's switch frame). */
  frameAddress?: bigint;
  /** The first ip is where execution stopped (registers), not a return address. */
  exact?: boolean;
  /** The task's own stack, for the last-resort scan when the unwind data gives out. */
  stack?: { start: bigint; end: bigint };
  /**
   * `bp` is not the frame pointer of the first frame (the walk starts at a return address found on the
   * stack, with the CPU's registers from later): a first frame whose ORC rule counts from %rbp (a
   * frame-pointer function such as 7.x's panic(), which calls vpanic()) has it measured from its prologue.
   */
  bpUnknown?: boolean;
}

const MAX_FRAMES = 256;

function lastFrameName(kernel: Kernel, items: StackItem[]): string | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const it = items[i];
    if (it.kind === "frame") return kernel.symbols.resolve(it.ip)?.name;
  }
  return undefined;
}

/** Bytes a function has pushed or reserved on the stack by `ip`, from its prologue; undefined if unclear. */
export function prologueFrameSize(kernel: Kernel, ip: bigint): number | undefined {
  const fn = kernel.symbols.resolve(ip);
  if (!fn) return undefined;
  const span = Math.min(fn.offset, 64);
  if (span === 0) return 0;
  let size = 0;
  for (const ins of disassemble(kernel.read(fn.address, span), fn.address)) {
    if (ins.ip >= ip) break;
    const t = ins.text;
    const sub = /^sub\s+\$0x([0-9a-f]+),%rsp$/.exec(t);
    const add = /^add\s+\$0x([0-9a-f]+),%rsp$/.exec(t);
    if (/^push\s+%r\w+$/.test(t)) size += 8;
    else if (/^pop\s+%r\w+$/.test(t)) size -= 8;
    else if (sub) size += Number.parseInt(sub[1], 16);
    else if (add) size -= Number.parseInt(add[1], 16);
    else if (/%rsp$/.test(t) && !/^mov\s+%rsp,/.test(t)) return undefined; // another change of rsp: give up
  }
  return size >= 0 ? size : undefined;
}

function readRegs(kernel: Kernel, at: bigint): PtRegs {
  return readPtRegs(kernel.read(at, PT_REGS_SIZE));
}

/**
 * The task's stack from `start`: ORC (where ORC has no rule, a prologue measure, then the frame pointer).
 * Where that gives out on a stack whose bounds are known, the rest of the stack is scanned as crash does as a
 * last resort: words that are return addresses into kernel text (just after a call), listed as guesses after
 * the stop marker.
 */
export function unwind(
  kernel: Kernel,
  orc: OrcTables,
  start: UnwindStart,
  regions: StackRegion[] = [],
): StackItem[] {
  const walk = { sp: start.sp };
  const items = walkOrc(kernel, orc, start, regions, walk);
  const last = items[items.length - 1];
  if (last?.kind !== "stop") return items;
  const region = regions.find((r) => walk.sp >= r.start && walk.sp < r.end) ?? start.stack;
  if (!region || walk.sp < region.start || walk.sp >= region.end) return items;
  const guesses = scanStack(kernel, walk.sp, region.end);
  if (!guesses.length) return items;
  return [...items, { kind: "scan" }, ...guesses];
}

const MAX_GUESSES = 48;

/** Words between `from` and `end` that point just after a call instruction in kernel text. */
export function scanStack(kernel: Kernel, from: bigint, end: bigint): StackItem[] {
  const out: StackItem[] = [];
  for (let at = (from + 7n) & ~7n; at + 8n <= end && out.length < MAX_GUESSES; at += 8n) {
    let v: bigint;
    try {
      v = kernel.readU64(at);
    } catch (e) {
      if (e instanceof KdxError) break;
      throw e;
    }
    if (!isReturnAddress(kernel, v)) continue;
    out.push({ kind: "frame", frameAddress: at, ip: v, guess: true });
  }
  return out;
}

/** A word that can be a return address: in kernel text, just after a call. */
function isReturnAddress(kernel: Kernel, v: bigint): boolean {
  return v >= KERNEL_SPACE && kernel.symbols.resolve(v) !== undefined && followsCall(kernel, v);
}

/** Whether the bytes before `ip` end with a call: e8 rel32, or ff /2 in its register and memory forms. */
export function followsCall(kernel: Kernel, ip: bigint): boolean {
  let b: Uint8Array;
  try {
    b = kernel.read(ip - 7n, 7);
  } catch (e) {
    if (e instanceof KdxError) return false;
    throw e;
  }
  const callModrm = (m: number, mod: number) => (m & 0x38) === 0x10 && m >> 6 === mod;
  return (
    b[2] === 0xe8 || // call rel32
    (b[5] === 0xff && callModrm(b[6], 3)) || // call *%reg
    (b[4] === 0xff && callModrm(b[5], 1) && (b[5] & 7) !== 4) || // call *disp8(%reg)
    (b[3] === 0xff && callModrm(b[4], 1) && (b[4] & 7) === 4) || // call *disp8(%reg,sib)
    (b[1] === 0xff && (b[2] === 0x15 || (callModrm(b[2], 2) && (b[2] & 7) !== 4))) || // *disp32(%rip|%reg)
    (b[0] === 0xff && callModrm(b[1], 2) && (b[1] & 7) === 4) // call *disp32(%reg,sib)
  );
}

function walkOrc(
  kernel: Kernel,
  orc: OrcTables,
  start: UnwindStart,
  regions: StackRegion[],
  walk: { sp: bigint },
): StackItem[] {
  const out: StackItem[] = [];
  const regionOf = (a: bigint) => regions.find((r) => a >= r.start && a < r.end);
  let region = regionOf(start.frameAddress ?? start.sp);
  let { ip, sp, bp } = start;
  let frameAddress = start.frameAddress ?? sp;
  let exact = start.exact ?? false;
  // Whether `bp` is this frame's %rbp: not while it is still the registers' value from a later point.
  let bpKnown = !start.bpUnknown;
  let regs: PtRegs | undefined;
  let silent = false;
  try {
    for (let n = 0; n < MAX_FRAMES; n++) {
      walk.sp = sp;
      const here = regionOf(frameAddress);
      if (region && here !== region) out.push({ kind: "left-stack", stack: region.name });
      region = here;
      if (!silent) out.push({ kind: "frame", frameAddress, ip });
      silent = false;
      const entry = orc.find(exact ? ip : ip - 1n);
      if (entry?.end) return out;
      if (!entry || entry.type === "undefined" || entry.spReg === ORC_REG.UNDEFINED) {
        // No ORC rule here (objtool could not follow inline assembly, say): as crash does, measure the
        // frame from the function's prologue — its pushes and stack adjustment before this point.
        // The measure holds only if it lands on a return address (a `.cold` part, say, has no prologue of
        // its own: it runs in its parent's frame).
        const size = prologueFrameSize(kernel, exact ? ip : ip - 1n);
        const slot = size === undefined ? undefined : sp + BigInt(size);
        const measured = slot === undefined ? 0n : kernel.readU64(slot);
        if (slot !== undefined && isReturnAddress(kernel, measured)) {
          frameAddress = slot;
          ip = measured;
          sp = slot + 8n;
          // The function may have pushed %rbp and used it: the caller's is not known any more.
          bpKnown = false;
        } else {
          // A prologue that realigns or sizes the stack at run time keeps a frame pointer: follow %rbp when
          // it points into this stack above the stack pointer at a saved %rbp and a return address.
          const stack = here ?? start.stack;
          const ret = stack && bp >= sp && bp + 16n <= stack.end ? kernel.readU64(bp + 8n) : 0n;
          if (!isReturnAddress(kernel, ret))
            return [...out, { kind: "stop", reason: `no unwind data for 0x${ip.toString(16)}` }];
          frameAddress = bp + 8n;
          ip = ret;
          sp = bp + 16n;
          bp = kernel.readU64(bp);
        }
        // Either way `ip` is a return address after a call: no zero or garbage to check for here.
        regs = undefined;
        exact = false;
        continue;
      }

      let cfa: bigint;
      switch (entry.spReg) {
        case ORC_REG.SP:
          cfa = sp + BigInt(entry.spOffset);
          break;
        case ORC_REG.BP: {
          if (!bpKnown) {
            // push %rbp; mov %rsp,%rbp; the rest of the prologue: %rbp is 8 below the return address.
            const size = prologueFrameSize(kernel, exact ? ip : ip - 1n);
            if (size === undefined)
              return [...out, { kind: "stop", reason: "ORC counts from %rbp, which is not known here" }];
            bp = sp + BigInt(size) - 8n;
          }
          cfa = bp + BigInt(entry.spOffset);
          break;
        }
        case ORC_REG.SP_INDIRECT:
          cfa = kernel.readU64(sp) + BigInt(entry.spOffset);
          break;
        case ORC_REG.BP_INDIRECT:
          cfa = kernel.readU64(bp + BigInt(entry.spOffset));
          break;
        case ORC_REG.R10:
        case ORC_REG.R13:
        case ORC_REG.DI:
        case ORC_REG.DX: {
          if (!regs) return [...out, { kind: "stop", reason: "ORC needs a register that was not saved" }];
          const name = { [ORC_REG.R10]: "r10", [ORC_REG.R13]: "r13", [ORC_REG.DI]: "di", [ORC_REG.DX]: "dx" }[
            entry.spReg
          ] as keyof PtRegs;
          cfa = regs[name];
          break;
        }
        default:
          return [...out, { kind: "stop", reason: `ORC: unknown stack-pointer base ${entry.spReg}` }];
      }

      const oldBp = bp;
      const oldSp = sp;
      if (entry.type === "call") {
        ip = kernel.readU64(cfa - 8n);
        // Back from another stack (the IRQ stack's saved pointer): crash shows the saved stack pointer.
        frameAddress = entry.spReg === ORC_REG.SP_INDIRECT ? cfa : cfa - 8n;
        sp = cfa;
        regs = undefined;
        exact = false;
      } else {
        const at = entry.type === "regs" ? cfa : cfa - BigInt(IP_OFFSET);
        const r = readRegs(kernel, at);
        const user = (r.cs & 3n) === 3n;
        out.push({ kind: "regs", at, user, regs: r });
        if (user) return out;
        regs = entry.type === "regs" ? r : undefined;
        ip = r.ip;
        sp = r.sp;
        frameAddress = r.sp;
        exact = true;
        // The exception block names the interrupted function; crash gives it no frame line of its own. After
        // an exception (not an interrupt), crash also shows a return address the function left just below
        // its stack pointer (a call it had made before faulting).
        // But when the registers were saved on another stack (an NMI's), crash starts the interrupted
        // stack with a frame for the interrupted function itself.
        silent = regionOf(at) === regionOf(r.sp);
        const entryFn = lastFrameName(kernel, out);
        if (entryFn?.startsWith("asm_exc_")) {
          const below = kernel.readU64(r.sp - 8n);
          const fn = kernel.symbols.resolve(r.ip);
          if (below !== r.ip && fn && below > fn.address && below < fn.address + BigInt(fn.size))
            out.push({ kind: "frame", frameAddress: r.sp - 8n, ip: below });
        }
      }
      switch (entry.bpReg) {
        case ORC_REG.UNDEFINED:
          if (regs) {
            bp = regs.bp;
            bpKnown = true;
          }
          break;
        case ORC_REG.PREV_SP:
          bp = kernel.readU64(cfa + BigInt(entry.bpOffset));
          bpKnown = true;
          break;
        case ORC_REG.BP:
          bp = kernel.readU64(oldBp + BigInt(entry.bpOffset));
          bpKnown = true;
          break;
        default:
          return [...out, { kind: "stop", reason: `ORC: unknown frame-pointer rule ${entry.bpReg}` }];
      }
      // On one stack, the stack pointer only grows: anything else is a corrupted stack, not a loop to follow.
      const switched = entry.spReg === ORC_REG.SP_INDIRECT || regionOf(sp) !== regionOf(oldSp);
      if (entry.type === "call" && !switched && sp <= oldSp)
        return [...out, { kind: "stop", reason: "stack pointer did not advance: corrupted stack" }];
      if (ip === 0n)
        return [
          ...out,
          { kind: "stop", reason: "return address 0 before the end of the stack: corrupted stack" },
        ];
    }
    return [...out, { kind: "stop", reason: `more than ${MAX_FRAMES} frames` }];
  } catch (e) {
    if (e instanceof KdxError) return [...out, { kind: "stop", reason: `stack unreadable: ${e.message}` }];
    throw e;
  }
}
