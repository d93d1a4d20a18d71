/**
 * The `Code:` line: instruction bytes around the faulting RIP, the first byte
 * of the faulting instruction in `<..>` (or `(..)`). Decoded with iced-x86 in
 * AT&T syntax, as the kernel's scripts/decodecode shows it with objdump.
 */
import { Decoder, DecoderOptions, Instruction as IcedInstruction } from "iced-x86";
import { gasFormatter as gas } from "../kernel/arch/x86_64/disasm.ts";
import { hexBytes } from "../util/bytes.ts";

export interface Instruction {
  /** Offset from the first decoded byte. */
  offset: number;
  bytes: string;
  text: string;
  /** The instruction RIP pointed at. */
  faulting: boolean;
}

export interface DecodedCode {
  /** The bytes as printed, space separated, the marker kept. */
  raw: string;
  /** Offset of the marked byte in the printed bytes. */
  trapOffset: number;
  /** Bytes dropped at the start to reach an instruction boundary. */
  skipped: number;
  instructions: Instruction[];
  faulting?: Instruction;
  /** ud2 / int3 trap on purpose (BUG(), WARN()), not a bad instruction. */
  deliberateTrap: boolean;
}

export interface CodeBytes {
  bytes: Uint8Array;
  trapOffset: number;
}

/** Parse the hex after `Code:`; undefined when it is not a byte listing (e.g. "Bad RIP value."). */
export function parseCodeBytes(listing: string): CodeBytes | undefined {
  const parts = listing.trim().split(/\s+/);
  const bytes: number[] = [];
  let trapOffset = -1;
  for (let part of parts) {
    if (part.startsWith("<") || part.startsWith("(")) {
      if (trapOffset >= 0 || part.length < 4) return undefined;
      trapOffset = bytes.length;
      part = part.slice(1, -1);
    }
    if (!/^[0-9a-fA-F]{2}$/.test(part)) return undefined;
    bytes.push(Number.parseInt(part, 16));
  }
  if (trapOffset < 0 || bytes.length === 0) return undefined;
  return { bytes: Uint8Array.from(bytes), trapOffset };
}

/** Where byte 0 is placed for decoding: far from 0 so that backward branch targets stay positive. */
const BASE = 0x10000000n;

/** Decode and format every instruction from `start` to the end, with `decoder` over all of `bytes`. */
function decodeFrom(decoder: Decoder, i: IcedInstruction, bytes: Uint8Array, start: number): Instruction[] {
  decoder.position = start;
  decoder.ip = BASE + BigInt(start);
  const ins: Instruction[] = [];
  const f = gas();
  let offset = start;
  while (decoder.canDecode) {
    decoder.decodeOut(i);
    const len = i.length;
    const truncated = i.isInvalid && offset + 15 > bytes.length;
    const text = i.isInvalid ? (truncated ? "(truncated)" : "(bad)") : f.format(i);
    ins.push({ offset, bytes: hexBytes(bytes, offset, offset + len), text, faulting: false });
    offset += len;
  }
  return ins;
}

/** Does decoding from `start` land on the marked byte, and cleanly? `decoder` holds the bytes up to it. */
function alignment(
  decoder: Decoder,
  i: IcedInstruction,
  start: number,
  trap: number,
): "aligned" | "bad-before" | "misses" {
  decoder.position = start;
  let pos = start;
  let bad = false;
  while (pos < trap && decoder.canDecode) {
    decoder.decodeOut(i);
    if (i.isInvalid) bad = true;
    pos += i.length;
  }
  if (pos !== trap) return "misses";
  return bad ? "bad-before" : "aligned";
}

/**
 * Decode, choosing the start so that an instruction begins exactly at the
 * marked byte and nothing before it is undecodable: the dump often starts in
 * the middle of an instruction.
 */
export function decodeCode(listing: string, label?: (delta: number) => string): DecodedCode | undefined {
  const parsed = parseCodeBytes(listing);
  if (!parsed) return undefined;
  const { bytes, trapOffset } = parsed;
  // One decoder for the bytes up to the marked one, one for them all, and one instruction, each reused: every
  // one made is a copy into iced's WebAssembly memory.
  const upToTrap = new Decoder(64, bytes.subarray(0, trapOffset + 1), DecoderOptions.None);
  const all = new Decoder(64, bytes, DecoderOptions.None);
  const instruction = new IcedInstruction();
  let skipped = -1;
  let ins: Instruction[];
  try {
    // Find the start first with a bare decode (no formatting: that is the costly part), then format once.
    let fallback = -1;
    for (let skip = 0; skip <= trapOffset && skip < 16; skip++) {
      const fit = alignment(upToTrap, instruction, skip, trapOffset);
      if (fit === "bad-before") {
        if (fallback < 0) fallback = skip;
      } else if (fit === "aligned") {
        skipped = skip;
        break;
      }
    }
    if (skipped < 0) skipped = fallback >= 0 ? fallback : trapOffset;
    ins = decodeFrom(all, instruction, bytes, skipped);
  } finally {
    instruction.free();
    all.free();
    upToTrap.free();
  }
  // Branch targets as offsets from RIP (or from the RIP's function), not from an arbitrary base.
  const name = label ?? ((d: number) => (d < 0 ? `RIP-0x${(-d).toString(16)}` : `RIP+0x${d.toString(16)}`));
  for (const i of ins) {
    i.text = i.text.replace(
      /^((?:call|jmp|j[a-z]+|loop[a-z]*|jrcxz)\s+)0x([0-9a-f]+)$/,
      (_, op: string, t: string) => {
        const delta = Number(BigInt.asIntN(64, BigInt(`0x${t}`) - BASE)) - trapOffset;
        return `${op}${name(delta)}`;
      },
    );
  }
  const faulting = ins.find((i) => i.offset === trapOffset);
  if (faulting) faulting.faulting = true;
  return {
    raw: listing.trim(),
    trapOffset,
    skipped,
    instructions: ins,
    faulting,
    deliberateTrap: faulting !== undefined && /^(ud2|int3|ud1)/.test(faulting.text),
  };
}
