/**
 * Reading a kernel buffer that may be partly missing (a truncated dump, excluded pages): page by page,
 * keeping what is there and a map of what is not, so the log survives the loss of some of its pages.
 */

import { KdxError } from "../util/errors.ts";
import type { Kernel } from "./kernel.ts";

export interface PartialBuffer {
  bytes: Uint8Array;
  /** Byte ranges [start, end) that could not be read. */
  missing: [number, number][];
  /** The first reason a page could not be read. */
  firstError?: string;
}

export function readPartial(kernel: Kernel, va: bigint, length: number): PartialBuffer {
  const bytes = new Uint8Array(length);
  const missing: [number, number][] = [];
  let firstError: string | undefined;
  let done = 0;
  while (done < length) {
    const at = va + BigInt(done);
    const n = Math.min(length - done, 4096 - Number(at & 0xfffn));
    try {
      bytes.set(kernel.read(at, n), done);
    } catch (e) {
      if (!(e instanceof KdxError)) throw e;
      firstError ??= e.message;
      const last = missing[missing.length - 1];
      if (last && last[1] === done) last[1] = done + n;
      else missing.push([done, done + n]);
    }
    done += n;
  }
  return { bytes, missing, firstError };
}

export function overlapsMissing(buf: PartialBuffer, start: number, end: number): boolean {
  for (const [s, e] of buf.missing) if (s < end && start < e) return true;
  return false;
}
