/**
 * Symbolizers for `--system-map`, `--kallsyms` and `--vmlinux`. A vmlinux's
 * symbols come from `nm`, its line tables through `addr2line`, the pair the
 * kernel's scripts/decode_stacktrace.sh uses.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseNmText, type SymbolTable } from "../../kernel/symbols/symbol-table.ts";
import type { SourceLine, Symbolizer } from "../../report/symbolize.ts";
import type { SymbolRef } from "../../report/types.ts";
import { KdxError } from "../../util/errors.ts";

function tableSymbolizer(table: SymbolTable): Symbolizer {
  return {
    resolve(address: bigint): SymbolRef | undefined {
      const r = table.resolve(address);
      if (!r) return undefined;
      const ref: SymbolRef = { name: r.name, offset: r.offset, size: r.size };
      if (r.module) ref.module = r.module;
      return ref;
    },
  };
}

function readSymbolText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new KdxError(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

function loadTable(path: string): SymbolTable {
  try {
    return parseNmText(readSymbolText(path), path);
  } catch (e) {
    throw new KdxError((e as Error).message);
  }
}

/** System.map holds link-time addresses: shift them by the report's KASLR offset. */
export function systemMapSymbolizer(path: string, kaslrOffset: bigint): Symbolizer {
  return tableSymbolizer(loadTable(path).relocated(kaslrOffset));
}

/** A copy of /proc/kallsyms holds runtime addresses already (read it as root, or they are zero). */
export function kallsymsSymbolizer(path: string): Symbolizer {
  const t = loadTable(path);
  if (t.lookup("_text")?.address === 0n)
    throw new KdxError(`${path}: all addresses are zero (copy /proc/kallsyms as root)`);
  return tableSymbolizer(t);
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, {
      encoding: "utf8",
      maxBuffer: 1 << 30,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === "ENOENT") throw new KdxError(`--vmlinux needs ${cmd} (Debian package binutils)`);
    throw new KdxError(`${cmd} ${args.join(" ")}: ${(err.stderr ?? err.message).trim().split("\n")[0]}`);
  }
}

/** Symbols and file:line from a vmlinux (or a module .ko) with debug info. */
export function vmlinuxSymbolizer(path: string, kaslrOffset: bigint): Symbolizer {
  const table = parseNmText(run("nm", ["-n", path]), path);
  const relocated = table.relocated(kaslrOffset);
  const cache = new Map<string, SourceLine | undefined>();
  const base = tableSymbolizer(relocated);
  return {
    resolve: base.resolve,
    sourceOf(sym: SymbolRef, isReturn: boolean): SourceLine | undefined {
      if (sym.module) return undefined;
      const s = table.lookup(sym.name);
      if (!s) return undefined;
      // A return address follows its call: look up the call instruction itself.
      const addr = s.address + BigInt(sym.offset) - (isReturn && sym.offset > 0 ? 1n : 0n);
      const key = addr.toString(16);
      if (cache.has(key)) return cache.get(key);
      const out = run("addr2line", ["-e", path, "-f", "-i", `0x${key}`])
        .trim()
        .split("\n");
      const frames: { name: string; file: string; line: number }[] = [];
      for (let i = 0; i + 1 < out.length; i += 2) {
        const m = /^(.*):(\d+)(?: \(discriminator \d+\))?$/.exec(out[i + 1]);
        if (m && m[1] !== "??") frames.push({ name: out[i], file: m[1], line: Number(m[2]) });
      }
      // addr2line -i lists the innermost inlined function first (the line really executing), callers after.
      const inner = frames[0];
      const result = inner
        ? { file: inner.file, line: inner.line, inlined: frames.length > 1 ? frames : undefined }
        : undefined;
      cache.set(key, result);
      return result;
    },
  };
}
