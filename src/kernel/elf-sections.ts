/**
 * Sections of an ELF64 file (a vmlinux): where the kernel's .BTF and .symtab come from when they are given
 * as files rather than found in the dump.
 */
import type { ByteSource } from "../dump/byte-source.ts";
import { cstring, u16, u32, u64n } from "../util/bytes.ts";
import { FormatError } from "../util/errors.ts";
import type { Symbol as KernelSymbol } from "./symbols/symbol-table.ts";

export interface ElfSection {
  name: string;
  type: number;
  /** sh_flags: SHF_ALLOC 0x2, SHF_EXECINSTR 0x4. */
  flags: number;
  offset: number;
  size: number;
  link: number;
  entsize: number;
}

const SHT_SYMTAB = 2;
const MAX_SECTION = 1 << 30;

export function elfSections(src: ByteSource): ElfSection[] {
  const eh = src.read(0, 64);
  if (eh.length < 64 || eh[0] !== 0x7f || eh[1] !== 0x45 || eh[2] !== 0x4c || eh[3] !== 0x46 || eh[4] !== 2)
    throw new FormatError(src.name, "not an ELF64 file", 0);
  const shoff = u64n(eh, 40);
  const shentsize = u16(eh, 58);
  const shnum = u16(eh, 60);
  const shstrndx = u16(eh, 62);
  if (shentsize !== 64 || shnum === 0 || shnum > 65535)
    throw new FormatError(src.name, `implausible section headers (${shnum} of ${shentsize} bytes)`, 58);
  const sh = src.read(shoff, shnum * 64);
  if (sh.length < shnum * 64)
    throw new FormatError(src.name, "section headers run past the end of the file", shoff);
  const raw = Array.from({ length: shnum }, (_, i) => ({
    nameOff: u32(sh, i * 64),
    type: u32(sh, i * 64 + 4),
    flags: Number(new DataView(sh.buffer, sh.byteOffset + i * 64 + 8, 8).getBigUint64(0, true) & 0xffffn),
    offset: u64n(sh, i * 64 + 24),
    size: u64n(sh, i * 64 + 32),
    link: u32(sh, i * 64 + 40),
    entsize: u64n(sh, i * 64 + 56),
  }));
  const names = raw[shstrndx]
    ? src.read(raw[shstrndx].offset, Math.min(raw[shstrndx].size, 1 << 20))
    : new Uint8Array(0);
  return raw.map((r) => ({ ...r, name: cstring(names, r.nameOff, 256) }));
}

export function readSection(src: ByteSource, s: ElfSection): Uint8Array {
  if (s.size > MAX_SECTION)
    throw new FormatError(src.name, `section ${s.name} of ${s.size} bytes is implausible`, s.offset);
  const b = src.read(s.offset, s.size);
  if (b.length < s.size)
    throw new FormatError(src.name, `section ${s.name} runs past the end of the file`, s.offset);
  return b;
}

const TYPE_LETTER: Record<number, string> = { 0: "n", 1: "d", 2: "t", 3: "s", 4: "f", 5: "d", 6: "d" };

/** The .symtab of an ELF file as nm-style symbols (type letters approximate nm's: T/t text, D/d data). */
export function elfSymbols(src: ByteSource): KernelSymbol[] {
  const sections = elfSections(src);
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  if (!symtab) throw new FormatError(src.name, "no .symtab section (a stripped vmlinux?)");
  const strtab = sections[symtab.link];
  const syms = readSection(src, symtab);
  const strs = readSection(src, strtab);
  const out: KernelSymbol[] = [];
  for (let i = 24; i + 24 <= syms.length; i += 24) {
    const name = cstring(strs, u32(syms, i), 512);
    const info = syms[i + 4];
    const shndx = u16(syms, i + 6);
    const value = new DataView(syms.buffer, syms.byteOffset + i + 8, 8).getBigUint64(0, true);
    if (!name || (info & 0xf) === 4 || (info & 0xf) === 3) continue; // file and section symbols
    const global = info >> 4 !== 0;
    let letter = shndx === 0xfff1 ? "a" : (TYPE_LETTER[info & 0xf] ?? "d");
    // As nm: what is in executable code is text, whatever its symbol type (assembly labels such as
    // entry_SYSCALL_64_after_hwframe have none).
    const sec = shndx < sections.length ? sections[shndx] : undefined;
    if ((letter === "d" || letter === "n") && sec && (sec.flags & 0x4) !== 0) letter = "t";
    if (letter === "d" && shndx < sections.length && sections[shndx]?.name.startsWith(".rodata"))
      letter = "r";
    out.push({ name, address: value, type: global ? letter.toUpperCase() : letter });
  }
  return out;
}
