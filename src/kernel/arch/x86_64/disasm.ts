/** x86-64 decoding with iced-x86 in AT&T syntax, formatted as objdump and gdb show it. */
import { Decoder, DecoderOptions, Formatter, FormatterSyntax } from "iced-x86";

let formatter: Formatter | undefined;
let gdbFormatter: Formatter | undefined;

/** AT&T with the conventions both layouts share: 0x-prefixed lower-case hex, zero displacements shown. */
function att(): Formatter {
  const f = new Formatter(FormatterSyntax.Gas);
  f.hexPrefix = "0x";
  f.hexSuffix = "";
  f.uppercaseHex = false;
  f.smallHexNumbersInDecimal = false;
  f.addLeadingZeroToHexNumbers = false;
  f.branchLeadingZeros = false;
  f.showZeroDisplacements = true;
  return f;
}

/** Compact AT&T ("mov %rsp,%rbp"), RIP-relative operands kept: the report reader's Code: listings. */
export function gasFormatter(): Formatter {
  if (!formatter) {
    formatter = att();
    formatter.ripRelativeAddresses = true;
  }
  return formatter;
}

/** gdb's layout, as crash's dis prints it: mnemonic in a 7-column field, scale always shown. */
function gdbStyle(): Formatter {
  if (!gdbFormatter) {
    gdbFormatter = att();
    gdbFormatter.firstOperandCharIndex = 7;
    gdbFormatter.alwaysShowScale = true;
  }
  return gdbFormatter;
}

export interface Decoded {
  ip: bigint;
  length: number;
  text: string;
  /** Target of a direct call or jump. */
  branchTarget?: bigint;
  invalid: boolean;
}

/** Decode `bytes` as if loaded at `ip`, up to `max` instructions. */
export function disassemble(bytes: Uint8Array, ip: bigint, max = Number.POSITIVE_INFINITY): Decoded[] {
  const decoder = new Decoder(64, bytes, DecoderOptions.None);
  decoder.ip = ip;
  const f = gdbStyle();
  const out: Decoded[] = [];
  while (decoder.canDecode && out.length < max) {
    const i = decoder.decode();
    // iced spells a base with no index "(%rsp,)" once the scale is forced on; gdb writes "(%rsp)".
    const d: Decoded = {
      ip: i.ip,
      length: i.length,
      text: f.format(i).replace(/,\)/g, ")"),
      invalid: i.isInvalid,
    };
    if (i.isCallNear || i.isJmpNear || i.isJccShortOrNear || i.isJmpShort)
      d.branchTarget = i.nearBranchTarget;
    out.push(d);
    i.free();
  }
  decoder.free();
  return out;
}
