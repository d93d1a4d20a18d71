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
