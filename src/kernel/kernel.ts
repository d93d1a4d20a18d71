/**
 * The dead kernel as the analyses see it: VMCOREINFO, and its virtual memory read through its own page
 * tables. Symbols and types join here as they arrive.
 */
import type { Dump } from "../dump/physical-memory.ts";
import { cstring, latin1 } from "../util/bytes.ts";
import { KdxError } from "../util/errors.ts";
import { VmcoreInfo } from "./vmcoreinfo.ts";
import { X86_64AddressSpace } from "./x86_64/address-space.ts";

export class Kernel {
  readonly vmcoreinfo: VmcoreInfo;
  readonly mm: X86_64AddressSpace;

  constructor(readonly dump: Dump) {
    if (!dump.vmcoreinfo)
      throw new KdxError(
        `${dump.info.file}: the dump has no VMCOREINFO (no note, no kdump header copy): the kernel in it cannot be located${
          dump.info.incomplete ? " (the dump is truncated: its notes may be what was lost)" : ""
        }`,
      );
    this.vmcoreinfo = new VmcoreInfo(dump.vmcoreinfo);
    this.mm = new X86_64AddressSpace(dump.memory, this.vmcoreinfo, { physBase: dump.physBase });
  }

  get release(): string | undefined {
    return this.vmcoreinfo.osrelease;
  }

  read(va: bigint, length: number): Uint8Array {
    return this.mm.read(va, length);
  }

  readU64(va: bigint): bigint {
    const b = this.mm.read(va, 8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }

  readU32(va: bigint): number {
    const b = this.mm.read(va, 4);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
  }

  readCString(va: bigint, max = 4096): string {
    return cstring(this.mm.read(va, max));
  }

  readString(va: bigint, length: number): string {
    return latin1(this.mm.read(va, length));
  }
}
