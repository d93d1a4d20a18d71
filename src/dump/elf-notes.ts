/**
 * ELF notes as kdump and QEMU write them: per-CPU NT_PRSTATUS (registers at crash time), QEMU's CPU state,
 * and VMCOREINFO. kdump-compressed files carry the same note blob in their sub-header.
 */
import { cstring, latin1, u32 } from "../util/bytes.ts";

export interface ElfNote {
  name: string;
  type: number;
  desc: Uint8Array;
}

export const NT_PRSTATUS = 1;
export const NT_PRPSINFO = 3;
export const NT_TASKSTRUCT = 4;

const align4 = (n: number) => (n + 3) & ~3;

/** Every note in a PT_NOTE blob; stops (and reports how far it got) at the first malformed header. */
export function parseNotes(blob: Uint8Array): { notes: ElfNote[]; error?: string } {
  const notes: ElfNote[] = [];
  let off = 0;
  while (off + 12 <= blob.length) {
    const namesz = u32(blob, off);
    const descsz = u32(blob, off + 4);
    const type = u32(blob, off + 8);
    if (namesz === 0 && descsz === 0 && type === 0) break; // zero padding after the last note
    const nameAt = off + 12;
    const descAt = nameAt + align4(namesz);
    const end = descAt + align4(descsz);
    if (namesz > 4096 || descAt + descsz > blob.length)
      return {
        notes,
        error: `malformed note at offset ${off} of the note data (name ${namesz}, desc ${descsz} bytes)`,
      };
    notes.push({ name: cstring(blob, nameAt, namesz), type, desc: blob.subarray(descAt, descAt + descsz) });
    off = end;
  }
  return { notes };
}

export function vmcoreinfoNote(notes: ElfNote[]): string | undefined {
  const n = notes.find((x) => x.name === "VMCOREINFO");
  return n ? latin1(n.desc).replace(/\0+$/, "") : undefined;
}

/** A PT_NOTE blob of `notes`, laid out as the kernel writes them (name with its NUL, 4-byte aligned). */
export function serializeNotes(notes: ElfNote[]): Uint8Array {
  const enc = new TextEncoder();
  const parts = notes.map((n) => ({ n, name: enc.encode(`${n.name}\0`) }));
  const size = parts.reduce((s, p) => s + 12 + align4(p.name.length) + align4(p.n.desc.length), 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let off = 0;
  for (const { n, name } of parts) {
    dv.setUint32(off, name.length, true);
    dv.setUint32(off + 4, n.desc.length, true);
    dv.setUint32(off + 8, n.type, true);
    out.set(name, off + 12);
    off += 12 + align4(name.length);
    out.set(n.desc, off);
    off += align4(n.desc.length);
  }
  return out;
}

/** Where the VMCOREINFO note's text sits in a blob serializeNotes() made of the same notes. */
export function vmcoreinfoExtent(notes: ElfNote[]): { offset: number; size: number } | undefined {
  let off = 0;
  for (const n of notes) {
    const desc = off + 12 + align4(n.name.length + 1);
    if (n.name === "VMCOREINFO") return { offset: desc, size: n.desc.length };
    off = desc + align4(n.desc.length);
  }
  return undefined;
}
