/**
 * Finding kallsyms when VMCOREINFO does not name it (kernels before 6.0 without the backport), by the shapes
 * of its tables in the kernel image, laid out by scripts/kallsyms in this order:
 *   kallsyms_offsets (s32[n]) · kallsyms_relative_base (u64 = _text) · kallsyms_num_syms (n) ·
 *   kallsyms_names · kallsyms_markers · … · kallsyms_token_table (256 NUL-terminated strings) ·
 *   kallsyms_token_index (u16[256], their offsets).
 * A candidate is accepted only when its names decode and "_stext" decodes at VMCOREINFO's _stext address.
 */
import { KdxError } from "../../util/errors.ts";
import type { Kernel } from "../kernel.ts";
import { readPartial } from "../partial-read.ts";
import { type KallsymsLocation, readKallsyms } from "./kallsyms.ts";

const CHUNK = 2 << 20;
const IMAGE_LIMIT = 128 << 20;
/** The names and markers lie within this distance of num_syms; the token tables follow them. */
const TOKENS_WITHIN = 16 << 20;

/**
 * The kernel image from _stext, in chunks; pages that cannot be read (freed init memory filtered out by the
 * dump level) read as zeros. Stops after the image: a whole chunk unreadable.
 */
function* imageChunks(kernel: Kernel, start: bigint): Generator<{ va: bigint; bytes: Uint8Array }> {
  for (let off = 0; off < IMAGE_LIMIT; off += CHUNK) {
    const va = start + BigInt(off);
    const part = readPartial(kernel, va, CHUNK);
    if (part.missing.length === 1 && part.missing[0][0] === 0 && part.missing[0][1] === CHUNK) return;
    yield { va, bytes: part.bytes };
  }
}

/** kallsyms_token_index: u16[256] from 0, strictly increasing by a token's length + 1. */
function isTokenIndex(b: Uint8Array, at: number): boolean {
  if (b[at] !== 0 || b[at + 1] !== 0) return false;
  let prev = 0;
  for (let i = 1; i < 256; i++) {
    const v = b[at + 2 * i] | (b[at + 2 * i + 1] << 8);
    const d = v - prev;
    if (d < 2 || d > 64) return false;
    prev = v;
  }
  return true;
}

function findTokens(kernel: Kernel, from: bigint): { table: bigint; index: bigint } | undefined {
  for (let off = 0; off < TOKENS_WITHIN; off += CHUNK) {
    const part = readPartial(kernel, from + BigInt(off), CHUNK + 512);
    if (part.missing.length === 1 && part.missing[0][1] - part.missing[0][0] === CHUNK + 512)
      return undefined;
    const b = part.bytes;
    for (let at = 0; at + 512 <= b.length; at += 2) {
      if (!isTokenIndex(b, at)) continue;
      const last = b[at + 510] | (b[at + 511] << 8);
      // The table ends (NUL-terminated, then padding) just before the index: try where it could start.
      for (let pad = 2; pad <= 64; pad++) {
        const table = at - pad - last;
        if (table < 0) break;
        let ok = true;
        for (let i = 1; i < 256 && ok; i++)
          ok = b[table + (b[at + 2 * i] | (b[at + 2 * i + 1] << 8)) - 1] === 0;
        if (ok && b[table + last] > 0x20) {
          const va = from + BigInt(off);
          return { table: va + BigInt(table), index: va + BigInt(at) };
        }
      }
    }
  }
  return undefined;
}

export function searchKallsyms(kernel: Kernel): KallsymsLocation {
  const stext = kernel.vmcoreinfo.symbol("_stext");
  if (stext === undefined)
    throw new KdxError("VMCOREINFO names neither kallsyms nor _stext: kallsyms cannot be searched for");
  const lo = stext - 0x200000n;
  for (const { va, bytes } of imageChunks(kernel, stext)) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let at = 0; at + 16 <= bytes.length; at += 8) {
      // kallsyms_relative_base: the lowest kernel address, _text, at or a little below _stext.
      if (dv.getUint32(at + 4, true) !== 0xffffffff) continue;
      const v = dv.getBigUint64(at, true);
      if (v > stext || v < lo) continue;
      const num = dv.getUint32(at + 8, true);
      if (num < 1000 || num > 4_000_000) continue;
      const relativeBase = va + BigInt(at);
      const numSyms = relativeBase + 8n;
      const names = relativeBase + 16n;
      const offsets = relativeBase - BigInt((num * 4 + 7) & ~7);
      const tokens = findTokens(kernel, names);
      if (!tokens) continue;
      const loc: KallsymsLocation = {
        numSyms,
        names,
        tokenTable: tokens.table,
        tokenIndex: tokens.index,
        offsets,
        relativeBase,
        how: "searched",
      };
      try {
        if (readKallsyms(kernel, loc).lookup("_stext")?.address === stext) return loc;
      } catch (e) {
        if (!(e instanceof KdxError)) throw e;
      }
    }
  }
  throw new KdxError(
    "kallsyms was not found in the kernel image (VMCOREINFO does not name it, and no table of its shape decodes to _stext)",
  );
}
