/**
 * x86 page-fault error codes (arch/x86/include/asm/trap_pf.h), as printed in
 * `Oops: 0002 [#1]` and `#PF: error_code(0x0002) - not-present page`.
 */
export interface PageFaultCode {
  code: number;
  /** What the access was. */
  access: "read" | "write" | "instruction fetch";
  mode: "kernel" | "user";
  /** Why it faulted: the page was absent, or present but the access was not allowed. */
  cause: "not-present page" | "protection violation";
  bits: { bit: number; name: string; set: boolean; meaning: string }[];
}

const BITS: [number, string, string, string][] = [
  [0, "P", "the page was present (the fault is a protection violation)", "the page was not present"],
  [1, "W/R", "the access was a write", "the access was a read"],
  [2, "U/S", "the access came from user mode", "the access came from kernel (supervisor) mode"],
  [3, "RSVD", "a reserved bit was set in a page-table entry", ""],
  [4, "I/D", "the access was an instruction fetch", ""],
  [5, "PK", "a protection-key violation", ""],
  [6, "SS", "a shadow-stack access", ""],
  [15, "SGX", "an SGX-specific violation", ""],
];

export function decodePageFault(code: number): PageFaultCode {
  const bits = BITS.map(([bit, name, on, off]) => {
    const set = (code & (1 << bit)) !== 0;
    return { bit, name, set, meaning: set ? on : off };
  }).filter((b) => b.set || b.meaning !== "");
  return {
    code,
    access: code & 0x10 ? "instruction fetch" : code & 2 ? "write" : "read",
    mode: code & 4 ? "user" : "kernel",
    cause: code & 1 ? "protection violation" : "not-present page",
    bits,
  };
}
