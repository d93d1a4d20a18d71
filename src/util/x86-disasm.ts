/** x86-64 decoding with iced-x86 in AT&T syntax, formatted as objdump and gdb show it. */
import { Decoder, DecoderOptions, Formatter, FormatterSyntax } from "iced-x86";

let formatter: Formatter | undefined;
let gdbFormatter: Formatter | undefined;

/** Compact AT&T ("mov %rsp,%rbp"): the report reader's Code: listings. */
export function gasFormatter(): Formatter {
  if (!formatter) {
    formatter = new Formatter(FormatterSyntax.Gas);
    formatter.hexPrefix = "0x";
    formatter.hexSuffix = "";
    formatter.uppercaseHex = false;
    formatter.smallHexNumbersInDecimal = false;
    formatter.addLeadingZeroToHexNumbers = false;
    formatter.branchLeadingZeros = false;
    formatter.ripRelativeAddresses = true;
    formatter.showZeroDisplacements = true;
  }
  return formatter;
}

/** gdb's layout, as crash's dis prints it: mnemonic in a 7-column field, scale always shown. */
function gdbStyle(): Formatter {
  if (!gdbFormatter) {
    gdbFormatter = new Formatter(FormatterSyntax.Gas);
    gdbFormatter.hexPrefix = "0x";
    gdbFormatter.hexSuffix = "";
    gdbFormatter.uppercaseHex = false;
    gdbFormatter.smallHexNumbersInDecimal = false;
    gdbFormatter.addLeadingZeroToHexNumbers = false;
    gdbFormatter.branchLeadingZeros = false;
    gdbFormatter.showZeroDisplacements = true;
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
    const d: Decoded = { ip: i.ip, length: i.length, text: f.format(i), invalid: i.isInvalid };
    if (i.isCallNear || i.isJmpNear || i.isJccShortOrNear || i.isJmpShort)
      d.branchTarget = i.nearBranchTarget;
    out.push(d);
    i.free();
  }
  decoder.free();
  return out;
}
