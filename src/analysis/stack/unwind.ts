/**
 * Walking a kernel stack with ORC, as the kernel's own unwinder does (unwind_next_frame): for each return
 * address, its ORC entry says where the caller's stack pointer (the CFA) is, whether a pt_regs frame sits
 * there (an interrupt, exception or system-call entry), and how to recover the frame pointer. The walk stops
 * at user mode, at ORC's end-of-stack mark, or — with a marker saying why — at anything that does not hold.
 */
import type { Kernel } from "../../kernel/kernel.ts";
import { KdxError } from "../../util/errors.ts";
import { ORC_REG, type OrcTables } from "./orc.ts";

/** struct pt_regs on x86-64, in order. */
export const PT_REGS = [
  "r15",
  "r14",
  "r13",
  "r12",
  "bp",
  "bx",
  "r11",
  "r10",
  "r9",
  "r8",
  "ax",
  "cx",
  "dx",
  "si",
  "di",
  "orig_ax",
  "ip",
  "cs",
  "flags",
  "sp",
  "ss",
] as const;
export type PtRegs = Record<(typeof PT_REGS)[number], bigint>;
const PT_REGS_SIZE = PT_REGS.length * 8;
const IP_OFFSET = PT_REGS.indexOf("ip") * 8;

export type BtItem =
  | { kind: "frame"; frameAddress: bigint; ip: bigint }
  | { kind: "regs"; at: bigint; user: boolean; regs: PtRegs }
  | { kind: "stop"; reason: string };

export interface UnwindStart {
  ip: bigint;
  sp: bigint;
  bp: bigint;
  /** Where the first frame's return address was read from, when it was (a sleeping task's switch frame). */
  frameAddress?: bigint;
  /** The first ip is where execution stopped (registers), not a return address. */
  exact?: boolean;
}

const MAX_FRAMES = 256;

function readRegs(kernel: Kernel, at: bigint): PtRegs {
  const b = kernel.read(at, PT_REGS_SIZE);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const r = {} as PtRegs;
  PT_REGS.forEach((name, i) => {
    r[name] = dv.getBigUint64(i * 8, true);
  });
  return r;
}

export function unwind(kernel: Kernel, orc: OrcTables, start: UnwindStart): BtItem[] {
  const out: BtItem[] = [];
  let { ip, sp, bp } = start;
  let frameAddress = start.frameAddress ?? sp;
  let exact = start.exact ?? false;
  let regs: PtRegs | undefined;
  try {
    for (let n = 0; n < MAX_FRAMES; n++) {
      out.push({ kind: "frame", frameAddress, ip });
      const entry = orc.find(exact ? ip : ip - 1n);
      if (!entry) return [...out, { kind: "stop", reason: `no ORC data for 0x${ip.toString(16)}` }];
      if (entry.end) return out;
      if (entry.type === "undefined") return [...out, { kind: "stop", reason: "ORC: undefined frame" }];

      let cfa: bigint;
      switch (entry.spReg) {
        case ORC_REG.SP:
          cfa = sp + BigInt(entry.spOffset);
          break;
        case ORC_REG.BP:
          cfa = bp + BigInt(entry.spOffset);
          break;
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
        frameAddress = cfa - 8n;
        ip = kernel.readU64(frameAddress);
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
      }
      switch (entry.bpReg) {
        case ORC_REG.UNDEFINED:
          if (regs) bp = regs.bp;
          break;
        case ORC_REG.PREV_SP:
          bp = kernel.readU64(cfa + BigInt(entry.bpOffset));
          break;
        case ORC_REG.BP:
          bp = kernel.readU64(oldBp + BigInt(entry.bpOffset));
          break;
        default:
          return [...out, { kind: "stop", reason: `ORC: unknown frame-pointer rule ${entry.bpReg}` }];
      }
      // On one stack, the stack pointer only grows: anything else is a corrupted stack, not a loop to follow.
      if (entry.type === "call" && sp <= oldSp)
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
