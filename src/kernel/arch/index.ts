/** The architectures kdx reads, and which one a dump holds. Adding one: its folder, and a line here. */
import type { Dump } from "../../dump/physical-memory.ts";
import { KdxError } from "../../util/errors.ts";
import type { VmcoreInfo } from "../vmcoreinfo.ts";
import type { Architecture } from "./architecture.ts";
import { x86_64 } from "./x86_64/index.ts";

export const ARCHITECTURES: readonly Architecture[] = [x86_64];

/** The dump's architecture: by its ELF machine, else by its uname or VMCOREINFO. */
export function architectureOf(dump: Dump, info: VmcoreInfo): Architecture {
  const machine = dump.info.elfMachine;
  const uts = dump.info.utsname?.machine || undefined;
  const arch =
    machine !== undefined
      ? ARCHITECTURES.find((a) => a.elfMachine === machine)
      : ARCHITECTURES.find((a) => a.recognises(uts, info));
  if (!arch)
    throw new KdxError(
      `${dump.info.file}: ${machine !== undefined ? `ELF machine ${machine}` : `machine ${uts ?? "(not recorded)"}`} is not one kdx reads (${ARCHITECTURES.map((a) => a.name).join(", ")}): its memory can be read (kdx info, kdx collect), its kernel cannot be analysed`,
    );
  return arch;
}
