/**
 * A call-trace line, read by hand. Two in five report lines are frames; the regex that reads them
 * (FRAME_LINE, kept as the definition and checked against this in the tests) makes a match array and a string
 * for every group, numbers included, only for most of them to be thrown away.
 */
import type { Frame } from "./types.ts";

/**
 * The definition: `[<addr>]` columns, `? ` when unreliable, then `name+0xoff/0xsize [module]` or a bare
 * address, and nothing else on the line.
 */
export const FRAME_LINE =
  /^\s*(?:\[<([0-9a-f]+)>\]\s*)?(\? )?(?:\[<([0-9a-f]+)>\]\s*)?(?:([A-Za-z_.$][\w.$]*)\+0x([0-9a-f]+)\/0x([0-9a-f]+)(?: \[([\w-]+)(?: [0-9a-f]+)?\])?|(0x[0-9a-f]{6,16}))\s*$/;

/** White space as a regex's `\s` sees it. */
function isSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d) || (c >= 0x80 && /\s/.test(String.fromCharCode(c)));
}
const isHex = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);
const isWord = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
const isNameStart = (c: number): boolean =>
  (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2e || c === 0x24;

/** The character code at i, or -1 past the end (NaN would deoptimise the callers). */
const at = (t: string, i: number): number => (i < t.length ? t.charCodeAt(i) : -1);

function skipSpaces(t: string, i: number): number {
  while (i < t.length && isSpace(t.charCodeAt(i))) i++;
  return i;
}

function hexEnd(t: string, i: number): number {
  while (i < t.length && isHex(t.charCodeAt(i))) i++;
  return i;
}

/** The end of a `[<hex>]` at i, or -1. */
function bracketEnd(t: string, i: number): number {
  if (at(t, i) !== 0x5b /* [ */ || at(t, i + 1) !== 0x3c /* < */) return -1;
  const e = hexEnd(t, i + 2);
  return e > i + 2 && at(t, e) === 0x3e /* > */ && at(t, e + 1) === 0x5d /* ] */ ? e + 2 : -1;
}

/** The value of the hex digits t[from, to) (parseInt's, for runs too long to add up exactly). */
function hexValue(t: string, from: number, to: number): number {
  if (to - from > 13) return Number.parseInt(t.slice(from, to), 16);
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = t.charCodeAt(i);
    n = n * 16 + (c <= 0x39 ? c - 0x30 : c - 0x61 + 10);
  }
  return n;
}

/** The frame a trace line holds (see FRAME_LINE), on the stack `context`; undefined when it holds none. */
export function parseFrameLine(t: string, context: string): Frame | undefined {
  let i = skipSpaces(t, 0);
  let addrFrom = -1;
  let addrTo = -1;
  let e = bracketEnd(t, i);
  if (e > 0) {
    addrFrom = i + 2;
    addrTo = e - 2;
    i = skipSpaces(t, e);
  }
  let reliable = true;
  if (at(t, i) === 0x3f /* ? */ && at(t, i + 1) === 0x20) {
    reliable = false;
    i += 2;
  }
  e = bracketEnd(t, i);
  if (e > 0) {
    if (addrFrom < 0) {
      addrFrom = i + 2;
      addrTo = e - 2;
    }
    i = skipSpaces(t, e);
  }
  let symbol: Frame["symbol"];
  let bare = "";
  if (isNameStart(at(t, i))) {
    const nameFrom = i;
    i++;
    for (let c = at(t, i); isWord(c) || c === 0x2e || c === 0x24; c = at(t, ++i));
    const nameTo = i;
    if (at(t, i) !== 0x2b /* + */ || at(t, i + 1) !== 0x30 || at(t, i + 2) !== 0x78 /* 0x */)
      return undefined;
    const offFrom = i + 3;
    const offTo = hexEnd(t, offFrom);
    if (
      offTo === offFrom ||
      at(t, offTo) !== 0x2f /* / */ ||
      at(t, offTo + 1) !== 0x30 ||
      at(t, offTo + 2) !== 0x78
    )
      return undefined;
    const sizeFrom = offTo + 3;
    const sizeTo = hexEnd(t, sizeFrom);
    if (sizeTo === sizeFrom) return undefined;
    i = sizeTo;
    let module: string | undefined;
    if (at(t, i) === 0x20 && at(t, i + 1) === 0x5b /* [ */) {
      // ` [module]` or ` [module hex]`; anything else there is no frame (the line must end after it).
      let j = i + 2;
      for (let c = at(t, j); isWord(c) || c === 0x2d /* - */; c = at(t, ++j));
      const modTo = j;
      if (modTo > i + 2) {
        if (at(t, j) === 0x20 && isHex(at(t, j + 1))) {
          const k = hexEnd(t, j + 1);
          if (at(t, k) === 0x5d) j = k;
        }
        if (at(t, j) === 0x5d /* ] */) {
          module = t.slice(i + 2, modTo);
          i = j + 1;
        }
      }
    }
    symbol = {
      name: t.slice(nameFrom, nameTo),
      offset: hexValue(t, offFrom, offTo),
      size: hexValue(t, sizeFrom, sizeTo),
      module,
    };
  } else if (at(t, i) === 0x30 && at(t, i + 1) === 0x78) {
    const to = hexEnd(t, i + 2);
    if (to - (i + 2) < 6 || to - (i + 2) > 16) return undefined;
    bare = t.slice(i, to);
    i = to;
  } else return undefined;
  if (skipSpaces(t, i) !== t.length) return undefined;
  // Every frame of one shape, its absent fields undefined (JSON leaves them out).
  return {
    kind: "frame",
    context,
    address: addrFrom >= 0 ? `0x${t.slice(addrFrom, addrTo)}` : bare || undefined,
    symbol,
    reliable,
    text: t.trim(),
  };
}
