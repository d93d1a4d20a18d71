/**
 * crash's number tools: eval's expressions ("(x operator y)", values hex or decimal with k/m/g suffixes,
 * symbols, ~), ptob/btop (page frames and bytes), ptov (physical → the direct map), ascii (a word's bytes).
 */
import type { Kernel } from "../kernel/kernel.ts";
import { UsageError } from "../util/errors.ts";

const MASK = (1n << 64n) - 1n;
const OPERATORS = ["<<", ">>", "+", "-", "&", "|", "^", "*", "%", "/"] as const;

/**
 * A value as crash's eval reads one: 0x… hex; digits alone decimal; hex digits without 0x hex ("when
 * obvious"); a k/m/g suffix multiplies; ~ complements; anything else a kernel symbol's address.
 */
export function evalValue(kernel: Kernel | undefined, word: string): bigint {
  let w = word.trim();
  let not = false;
  if (w.startsWith("~")) {
    not = true;
    w = w.slice(1);
  }
  let v: bigint;
  const m = /^(0x[0-9a-f]+|[0-9]+|[0-9a-f]+)([kmg]?)$/i.exec(w);
  if (m) {
    const digits = m[1];
    v = BigInt(/^0x/i.test(digits) || /[a-f]/i.test(digits) ? `0x${digits.replace(/^0x/i, "")}` : digits);
    v *= { "": 1n, k: 1n << 10n, m: 1n << 20n, g: 1n << 30n }[m[2].toLowerCase() as "" | "k" | "m" | "g"];
  } else {
    const s = kernel?.symbols.lookup(w);
    if (!s) throw new UsageError(`eval: ${word}: neither a number nor a symbol`);
    v = s.address;
  }
  return (not ? ~v : v) & MASK;
}

/** eval's expression: one value, or "x operator y", parentheses optional. */
export function evaluate(kernel: Kernel | undefined, expression: string): bigint {
  const e = expression
    .trim()
    .replace(/^\((.*)\)$/s, "$1")
    .trim();
  for (const op of OPERATORS) {
    // The operator between two operands (a leading ~ belongs to the value).
    const at = e.indexOf(op, 1);
    if (at <= 0) continue;
    const x = evalValue(kernel, e.slice(0, at));
    const y = evalValue(kernel, e.slice(at + op.length));
    switch (op) {
      case "<<":
        return (x << y) & MASK;
      case ">>":
        return x >> y;
      case "+":
        return (x + y) & MASK;
      case "-":
        return (x - y) & MASK;
      case "&":
        return x & y;
      case "|":
        return x | y;
      case "^":
        return x ^ y;
      case "*":
        return (x * y) & MASK;
      case "%":
      case "/":
        if (y === 0n) throw new UsageError("eval: division by zero");
        return op === "%" ? x % y : x / y;
    }
  }
  return evalValue(kernel, e);
}

/** crash's ptob argument: decimal, or hex with 0x. */
export function parseCount(word: string): bigint {
  if (/^0x[0-9a-f]+$/i.test(word)) return BigInt(word);
  if (/^[0-9]+$/.test(word)) return BigInt(word);
  throw new UsageError(`${word}: not a number`);
}

/** crash's btop/ptov/ascii argument: hex, with or without 0x. */
export function parseHex(word: string): bigint {
  const w = word.replace(/^0x/i, "");
  if (!/^[0-9a-f]{1,16}$/i.test(w)) throw new UsageError(`${word}: not a hexadecimal number`);
  return BigInt(`0x${w}`);
}

/** Where physical address `pa` is in the kernel's direct map (PTOV). */
export function physToVirt(kernel: Kernel, pa: bigint): bigint {
  return (kernel.arch.directMapBase(kernel) + pa) & MASK;
}
