/** crash's eval, ascii, ptob, btop and ptov, as it prints them. */

const KB = 1n << 10n;
const MB = 1n << 20n;
const GB = 1n << 30n;

/** eval: hexadecimal (with the size it makes, when whole), decimal (and signed), octal, binary; -b: bits set. */
export function renderEval(v: bigint, bits: boolean): string {
  let size = "";
  if (v >= KB) {
    if (v % GB === 0n) size = `(${v / GB}GB)`;
    else if (v % MB === 0n) size = `(${v / MB}MB)`;
    else if (v % KB === 0n) size = `(${v / KB}KB)`;
  }
  const signed = BigInt.asIntN(64, v);
  const lines = [
    `hexadecimal: ${v.toString(16)}  ${size}`,
    `    decimal: ${v}  ${signed < 0n ? `(${signed})` : ""}`,
    `      octal: ${v.toString(8)}`,
    `     binary: ${v.toString(2).padStart(64, "0")}`,
  ];
  if (bits) {
    const hdr = "   bits set: ";
    let line = hdr;
    const out: string[] = [];
    for (let i = 63; i >= 0; i--)
      if ((v >> BigInt(i)) & 1n) {
        line += `${i} `;
        if (line.length >= 77) {
          out.push(line);
          line = " ".repeat(hdr.length);
        }
      }
    out.push(line);
    lines.push(...out);
  }
  return `${lines.join("\n")}\n`;
}

const CONTROL = [
  "NUL",
  "SOH",
  "STX",
  "ETX",
  "EOT",
  "ENQ",
  "ACK",
  "BEL",
  "BS",
  "HT",
  "LF",
  "VT",
  "FF",
  "CR",
  "SO",
  "SI",
  "DLE",
  "DC1",
  "DC2",
  "DC3",
  "DC4",
  "NAK",
  "SYN",
  "ETB",
  "CAN",
  "EM",
  "SUB",
  "ESC",
  "FS",
  "GS",
  "RS",
  "US",
];

/** ascii: the value, then its eight bytes from the lowest as characters (<NUL>, <LF>, <ff> for the rest). */
export function renderAscii(v: bigint): string {
  let s = `${v.toString(16).padStart(16, "0")}: `;
  for (let i = 0; i < 8; i++) {
    const c = Number((v >> BigInt(8 * i)) & 0xffn);
    if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else if (c > 0x7f) s += `<${c.toString(16).padStart(2, "0")}>`;
    else s += `<${c === 0x7f ? "DEL" : CONTROL[c]}>`;
  }
  return `${s}\n`;
}

/** ptob and btop: "ARG: RESULT" in hex. */
export const renderConversion = (from: bigint, to: bigint) => `${from.toString(16)}: ${to.toString(16)}\n`;

/** ptov: crash's VIRTUAL/PHYSICAL table, one per address (an empty line between). */
export function renderPtov(pairs: [virt: bigint, phys: bigint][]): string {
  return pairs
    .map(
      ([v, p]) =>
        `${"VIRTUAL".padEnd(16)}  ${"PHYSICAL".padEnd(16)}\n${v.toString(16).padEnd(16)}  ${p.toString(16).padEnd(16)}\n`,
    )
    .join("\n");
}
