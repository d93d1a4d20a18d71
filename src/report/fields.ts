/**
 * The structured fields of one report: who crashed, where, with which
 * registers and stack. Works line by line on the report's own lines.
 */
import { type DecodedCode, decodeCode } from "./code.ts";
import type { LogLine } from "./lines.ts";
import { decodePageFault } from "./pagefault.ts";
import { decodeTaint } from "./taint.ts";
import type { Fault, Frame, RegsFrame, Report, Rip, SymbolRef } from "./types.ts";

const HEADER_CPU =
  /CPU: (\d+) (?:UID: \d+ )?PID: (\d+) Comm: (.{1,16}?) (Kdump: loaded )?(?:Not tainted|Tainted: ([A-Z ]*?))\s+(?:-+\s+-\s+-\s+)?(\S+)(?: (#.*))?$/;
const WARN_CPU = /WARNING: CPU: (\d+) PID: (\d+) at (\S+?):(\d+) /;
const HUNG_TASK = /INFO: task (.{1,16}):(\d+) blocked/;
const OOPS = /(?:^|: )([0-9a-f]{4}) \[#(\d+)\](.*)$/;
const PF_ACCESS = /^#PF: (.+)$/;
const PF_CODE = /^#PF: error_code\(0x([0-9a-f]+)\) - (.+)$/;
const FAULT_ADDR =
  /(?:address: |\bat |for address: |paging request at |virtual address )(?:0x)?([0-9a-f]{8,16})\b|non-canonical address (0x[0-9a-f]+)/;
const BUG_AT = /kernel BUG at ([^:\s]+):(\d+)!/;
const SYM = /([A-Za-z_.$][\w.$]*)\+0x([0-9a-f]+)\/0x([0-9a-f]+)(?: \[([\w-]+)(?: [0-9a-f]+)?\])?/;
const RIP_LINE = /^(?:RIP|IP|EIP): (?:([0-9a-f]{4}):)?(.*)$/;
/**
 * A whole trace line: `[<addr>]` columns, `? ` when unreliable, then `name+0xoff/0xsize [module]` or a bare
 * address. A regex, not a hand-written reader: V8 reads a string a character at a time several times slower than
 * its regex engine does (a reader by hand took 6% more instructions per pass, measured).
 */
const FRAME =
  /^\s*(?:\[<([0-9a-f]+)>\]\s*)?(\? )?(?:\[<([0-9a-f]+)>\]\s*)?(?:([A-Za-z_.$][\w.$]*)\+0x([0-9a-f]+)\/0x([0-9a-f]+)(?: \[([\w-]+)(?: [0-9a-f]+)?\])?|(0x[0-9a-f]{6,16}))\s*$/;
const SYSRQ_CRASH = /sysrq: .*Trigger a crash|SysRq : Trigger a crash/;
const CALL_TRACE = /^\s*Call [Tt]race:/;
const MARKER = /^\s*<\/?(TASK|IRQ|NMI|SOFTIRQ|EOI|#[A-Z]{2})>\s*$/;
const REGISTER_LINE =
  /^(?:RSP|RAX|RBX|RCX|RDX|RSI|RDI|RBP|R08|R10|R11|R13|R14|R15|FS|CS|CR2|DR0|DR3|DR6|PKRU|EAX|ESI|ESP|DS|ES|CR0|R12|R09|GS):/;
/** Name a branch target by its distance from the RIP's own function+offset. */
function labelFrom(sym: SymbolRef): (delta: number) => string {
  return (delta) => {
    const off = sym.offset + delta;
    return off >= 0 && off < sym.size
      ? `${sym.name}+0x${off.toString(16)}`
      : `RIP${delta < 0 ? "-" : "+"}0x${Math.abs(delta).toString(16)}`;
  };
}

/** What a report's or register frame's `code` is decoded from, on first access (see CODE_PROPERTY). */
interface CodeSource {
  listing: string | undefined;
  sym: SymbolRef | undefined;
  decoded: DecodedCode | undefined;
  done: boolean;
}

const CODE_SOURCES = new WeakMap<object, CodeSource>();

/**
 * `code`, disassembled on first access: most reports streamed through the reader are never displayed. The
 * property is enumerable, so JSON output (and a structured clone) still has it. One getter and setter for every
 * object: V8 keeps objects that share an accessor pair on one fast shape, where an accessor of its own (a
 * closure per report) turned each report into a slow dictionary, and every function that met one polymorphic.
 */
const CODE_PROPERTY: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: object): DecodedCode | undefined {
    const s = CODE_SOURCES.get(this);
    if (!s) return undefined;
    if (!s.done) {
      s.decoded =
        s.listing === undefined ? undefined : decodeCode(s.listing, s.sym ? labelFrom(s.sym) : undefined);
      s.done = true;
    }
    return s.decoded;
  },
  set(this: object, value: DecodedCode | undefined) {
    CODE_SOURCES.set(this, { listing: undefined, sym: undefined, decoded: value, done: true });
  },
};

/** Give `target` its `code` property (undefined until a listing is set): next in its key order. */
export function defineCode<T extends object>(target: T): T & { code?: DecodedCode } {
  return Object.defineProperty(target, "code", CODE_PROPERTY);
}

/** The `Code:` listing that `target.code` is decoded from, with the symbol that names branch targets. */
function setCodeListing(target: { code?: DecodedCode }, listing: string, sym: SymbolRef | undefined): void {
  CODE_SOURCES.set(target, { listing, sym, decoded: undefined, done: false });
}

/** A symbol reference, of one shape whether or not a module is named (JSON leaves out an undefined one). */
function symbolRef(name: string, offset: string, size: string, module: string | undefined): SymbolRef {
  return {
    name,
    offset: Number.parseInt(offset, 16),
    size: Number.parseInt(size, 16),
    module: module || undefined,
  };
}

export function parseSymbol(text: string): SymbolRef | undefined {
  const m = SYM.exec(text);
  if (!m) return undefined;
  return symbolRef(m[1], m[2], m[3], m[4]);
}

function parseRip(cs: string | undefined, rest: string): Rip {
  const bracketed = /\[<([0-9a-f]+)>\]/.exec(rest);
  const bare = bracketed ? null : /^(0x[0-9a-f]+)\s*$/.exec(rest.trim());
  // Every RIP of one shape, its absent fields undefined (JSON leaves them out), as reports are (buildReport).
  return {
    text: rest.trim(),
    cs: cs || undefined,
    // The low two bits of a selector are the privilege level: 0 kernel, 3 user.
    mode: cs ? ((Number.parseInt(cs, 16) & 3) === 3 ? "user" : "kernel") : undefined,
    address: bracketed ? `0x${bracketed[1]}` : bare ? bare[1] : undefined,
    symbol: parseSymbol(rest),
  };
}

/**
 * The character code at `i`, or -1 past the end. charCodeAt past the end gives NaN, which optimised code has
 * not seen: it deoptimises, and recompiling a function as large as parseFields costs ~100 ms of a CPU.
 */
const codeAt = (t: string, i: number): number => (i < t.length ? t.charCodeAt(i) : -1);

/**
 * A register set: a dictionary without a prototype. Names vary from line to line and report to report; an
 * ordinary object would see every `in` test as a new shape (slow), and would answer true for `toString`.
 */
function registerSet(): Record<string, string> {
  return Object.create(null);
}

/** Register names met so far, one string each (a bounded few: RAX, CR2, EFLAGS, knlGS…). */
const REGISTER_NAMES = new Map<string, string>();

/**
 * The one string kept for a register name. Used as a key once, a string is internalised; the fresh string a
 * match makes would be looked up in V8's string table again on every test and store.
 */
function registerName(name: string): string {
  const known = REGISTER_NAMES.get(name);
  if (known !== undefined) return known;
  if (REGISTER_NAMES.size < 512) REGISTER_NAMES.set(name, name);
  return name;
}

/**
 * One `NAME: [seg:]value[(xxxx)]` pair of a register line (`RSP: 0018:ffffc900…`, `FS:  00007f…(0000)`,
 * `CR2: 0000…`): NAME a whole word of 2–8 word characters starting with a letter, value 4–16 hex digits.
 */
const REGISTER_PAIR =
  /(?<![A-Za-z0-9_])([A-Za-z][A-Za-z0-9_]{1,7}):[\t-\r ]*(?:([0-9a-f]{4}):(?=[0-9a-f]{4}))?([0-9a-f]{4,16})(?:\([0-9a-f]{4}\))?/g;

/**
 * Every register pair of a register line, the first of each name kept. By regex: V8's regex engine reads a
 * line several times faster than a loop over its characters does.
 */
function addRegisters(into: Record<string, string>, t: string): void {
  REGISTER_PAIR.lastIndex = 0;
  for (let m = REGISTER_PAIR.exec(t); m !== null; m = REGISTER_PAIR.exec(t)) {
    const name = registerName(m[1]!);
    if (name in into) continue;
    into[name] = m[3]!;
    const seg = m[2];
    if (seg !== undefined) into[name === "RSP" || name === "ESP" ? "SS" : `${name}_SEG`] = seg;
  }
}

/**
 * A report's fault, every field present from the start (those it lacks stay undefined, and JSON leaves them
 * out), filled in place: one shape for every fault, as for reports and frames (see buildReport). A copy spread
 * for each line that added a field gave faults a shape for each order their lines came in.
 */
export function emptyFault(): Fault {
  return { address: undefined, pageFault: undefined, description: undefined, note: undefined };
}

/** How many of a trace's first reliable frames name a report's signature (with its kind and title). */
const SIGNATURE_FRAMES = 3;

/**
 * Fill the structured fields of a report from its lines (prefix first, then body). Returns the names of the
 * trace's first SIGNATURE_FRAMES reliable frames, picked as the frames are read: walking the trace afterwards
 * met its two kinds of entry (frames, exception frames) and was recompiled when the first exception frame came.
 */
export function parseFields(prefix: LogLine[], body: LogLine[], into: Report): string[] {
  // The report's fields are written once each; what the loop tests lives in locals. A report's shape differs
  // from one report to the next, so reading its properties back on every line is a slow, megamorphic lookup.
  const registers = registerSet();
  const trace: Report["trace"] = [];
  const signatureFrames: string[] = [];
  into.registers = registers;
  into.trace = trace;
  let cpuSeen = false;
  let releaseSeen = false;
  let blockedTaskSeen = false;
  let bugAtSeen = false;
  let oopsSeen = false;
  let hardwareSeen = false;
  let kernelOffsetSeen = false;
  let panicSeen = false;
  let modulesSeen = false;
  let fault: Report["fault"];
  let mainRip: Rip | undefined;
  // The symbols of the RIPs seen, kept here rather than read back through the frame or RIP they belong to.
  let mainSymbol: SymbolRef | undefined;
  let regsSymbol: SymbolRef | undefined;
  for (let i = 0; i < prefix.length; i++) {
    if (SYSRQ_CRASH.test(prefix[i].text)) into.trigger = "sysrq";
  }
  let inTrace = false;
  let traceDone = false;
  let context = "";
  let regsFrame: RegsFrame | undefined;
  let mainRegsDone = false;
  let mainCodeSeen = false;
  let pfAccess: string | undefined;

  // Indexed, not for-of: for-of wraps the body in an iterator-closing try/finally, and this is the reader's
  // largest function, whose optimised compile (100-200 ms, in the background) it made ~20% longer.
  for (let i = 0; i < body.length; i++) {
    const t = body[i].text;
    // Inside a trace most lines are frames, and a whole-line frame fits none of the tests below.
    if (inTrace) {
      const f = FRAME.exec(t);
      if (f) {
        regsFrame = undefined;
        const addr = f[1] ?? f[3] ?? (f[8] ? f[8].slice(2) : undefined);
        // Every frame of one shape, its absent fields undefined (JSON leaves them out).
        const frame: Frame = {
          kind: "frame",
          context,
          address: addr ? `0x${addr}` : undefined,
          symbol: f[4] ? symbolRef(f[4], f[5], f[6], f[7]) : undefined,
          reliable: !f[2],
          text: t.trim(),
        };
        trace.push(frame);
        if (frame.symbol !== undefined && frame.reliable && signatureFrames.length < SIGNATURE_FRAMES)
          signatureFrames.push(frame.symbol.name);
        continue;
      }
    }
    // A quarter of a report's lines are register lines, which fit none of the tests below: them first.
    if (REGISTER_LINE.test(t)) {
      if (regsFrame) addRegisters(regsFrame.registers, t);
      else if (!mainRegsDone) addRegisters(registers, t);
      continue;
    }
    // Cheap guards first: each pattern below only fits lines that contain its keyword.
    if (!releaseSeen && t.includes("CPU: ")) {
      const m = HEADER_CPU.exec(t);
      if (m) {
        into.cpu = Number(m[1]);
        into.pid = Number(m[2]);
        cpuSeen = true;
        into.comm = m[3];
        if (m[4]) into.kdumpLoaded = true;
        into.taint = { text: (m[5] ?? "").trimEnd(), flags: decodeTaint(m[5] ?? "") };
        into.release = m[6];
        releaseSeen = true;
        if (m[7]) into.build = m[7].trim();
        continue;
      }
    }
    if (!cpuSeen && (t.startsWith("WARNING:") || t.startsWith("INFO: task"))) {
      const w = WARN_CPU.exec(t);
      if (w) {
        into.cpu = Number(w[1]);
        into.pid = Number(w[2]);
        cpuSeen = true;
      }
      const h = HUNG_TASK.exec(t);
      if (h && !blockedTaskSeen) {
        into.blockedTask = { comm: h[1], pid: Number(h[2]) };
        blockedTaskSeen = true;
      }
    }
    if (!bugAtSeen && t.includes(" at ") && (t.includes("kernel BUG") || t.startsWith("WARNING:"))) {
      const b = BUG_AT.exec(t) ?? /WARNING: .* at (\S+?):(\d+) /.exec(t);
      if (b) {
        into.bugAt = { file: b[1], line: Number(b[2]) };
        bugAtSeen = true;
      }
    }
    if (!oopsSeen && t.includes("[#")) {
      const o = OOPS.exec(t);
      if (o) {
        into.oops = { code: o[1], count: Number(o[2]), config: o[3].trim().split(/\s+/).filter(Boolean) };
        oopsSeen = true;
      }
    }
    if (!hardwareSeen && t.startsWith("Hardware name: ")) {
      into.hardware = t.slice(15).trim();
      hardwareSeen = into.hardware !== "";
    }
    if (!kernelOffsetSeen && t.startsWith("Kernel Offset: ")) {
      into.kernelOffset = /0x[0-9a-f]+/.exec(t)?.[0];
      kernelOffsetSeen = into.kernelOffset !== undefined;
    }
    if (!panicSeen && t.includes("Kernel panic - not syncing: ")) {
      into.panic = t.slice(t.indexOf("Kernel panic - not syncing: ") + 28).trim();
      panicSeen = true;
    }
    if (!modulesSeen && t.startsWith("Modules linked in:")) {
      modulesSeen = true;
      const list = t.slice(18).replace(/\[last unloaded: ([^\]]+)\]/, (_, m: string) => {
        into.unloadedModules = m.trim().split(/\s+/);
        return "";
      });
      into.modules = list
        .trim()
        .split(/\s+/)
        .filter(Boolean)
        .map((s) => {
          const mm = /^([\w-]+)(?:\(([A-Z+-]+)\))?$/.exec(s);
          return mm ? (mm[2] ? { name: mm[1], flags: mm[2] } : { name: mm[1] }) : { name: s };
        });
      if (inTrace) traceDone = true;
      inTrace = false;
      continue;
    }
    const pfCode = t.startsWith("#PF:") ? PF_CODE.exec(t) : null;
    if (pfCode) {
      const code = Number.parseInt(pfCode[1], 16);
      fault ??= into.fault = emptyFault();
      fault.pageFault = decodePageFault(code);
      fault.description = pfAccess;
      continue;
    }
    const pf = t.startsWith("#PF:") ? PF_ACCESS.exec(t) : null;
    if (pf) {
      pfAccess = pf[1];
      continue;
    }
    if (!fault?.address && /BUG:|Unable to handle|general protection|stack segment/.test(t)) {
      const fa = FAULT_ADDR.exec(t);
      if (fa) {
        const addr = fa[1] ? `0x${fa[1]}` : fa[2];
        fault ??= into.fault = emptyFault();
        fault.address = addr;
        if (fa[2]) fault.note = "probably for a non-canonical address: not a valid pointer on x86-64";
      }
    }
    if (CALL_TRACE.test(t)) {
      if (!traceDone && trace.length === 0) inTrace = true;
      regsFrame = undefined;
      continue;
    }
    if (t.includes("---[ end trace") && t.trimStart().startsWith("---[ end trace")) {
      if (inTrace) traceDone = true;
      inTrace = false;
      mainRegsDone = true;
      continue;
    }

    const rip = codeAt(t, 1) === 0x50 || codeAt(t, 2) === 0x50 ? RIP_LINE.exec(t) : null;
    if (rip) {
      const r = parseRip(rip[1], rip[2]);
      if (inTrace) {
        regsFrame = defineCode({ kind: "regs", context, rip: r, registers: registerSet() } as RegsFrame);
        regsSymbol = r.symbol;
        trace.push(regsFrame);
      } else if (!mainRip && !mainRegsDone) {
        mainRip = r;
        mainSymbol = r.symbol;
        into.rip = r;
      }
      continue;
    }
    if (t.startsWith("Code: ")) {
      const sym = regsFrame ? regsSymbol : mainSymbol;
      const listing = t.slice(6);
      if (regsFrame) setCodeListing(regsFrame, listing, sym);
      else if (!mainCodeSeen && !mainRegsDone) {
        mainCodeSeen = true;
        setCodeListing(into, listing, sym);
      }
      continue;
    }
    if (!inTrace) continue;
    const mk = MARKER.exec(t);
    if (mk) {
      const closing = t.trimStart().startsWith("</");
      const name = mk[1];
      if (name === "EOI") context = "";
      else context = closing ? "" : name;
      if (closing && name === "TASK") {
        inTrace = false;
        traceDone = true;
      }
      regsFrame = undefined;
    }
  }
  if (fault && !fault.address && registers.CR2 && fault.pageFault) {
    fault.address = `0x${registers.CR2}`;
  }
  return signatureFrames;
}
