/**
 * crash's commands run against an open dump: the same code serves `kdx ps DUMP` (open, run, close) and the
 * interactive shell (open once, run many). A command parses its own options and writes its text.
 */
import type { Dump } from "../dump/physical-memory.ts";
import type { Kernel } from "../kernel/kernel.ts";
import { openKernel, type VmlinuxFile } from "../platform/node/open-kernel.ts";
import { UsageError } from "../util/errors.ts";

export interface Session {
  dump: Dump;
  kernel: Kernel;
  path: string;
  /** The current task (crash's context), when `set` chose one; else the panic task. */
  context?: bigint;
  /** A vmlinux given for symbols: its DWARF line tables serve `bt -l`. */
  vmlinux?: VmlinuxFile;
  /** How many values p, px and pd have printed: crash's (gdb's) value history, $1, $2, … */
  values?: number;
  /** The crash commands this session runs, by name (the shell's; `kdx CMD DUMP` runs one). */
  commands: ReadonlyMap<string, SessionCommand>;
}

export interface SessionCommand {
  name: string;
  help: string;
  run(session: Session, argv: string[], out: NodeJS.WritableStream): void;
}

/** `kdx CMD [options] [--system-map FILE] DUMP`: the dump is the last argument. */
export async function runOnDump(
  cmd: SessionCommand,
  argv: string[],
  out: NodeJS.WritableStream,
): Promise<number> {
  const args = [...argv];
  const take = (flag: string): string | undefined => {
    const at = args.indexOf(flag);
    if (at < 0) return undefined;
    const value = args[at + 1];
    if (!value) throw new UsageError(`${flag} takes a FILE`);
    args.splice(at, 2);
    return value;
  };
  const systemMap = take("--system-map");
  const btf = take("--btf");
  const path = args.pop();
  if (!path || path.startsWith("-"))
    throw new UsageError(`kdx ${cmd.name} takes a DUMP as its last argument`);
  const { dump, kernel, vmlinux } = openKernel(path, cmd.name, { systemMap, btf });
  try {
    cmd.run({ dump, kernel, path, vmlinux, commands: new Map([[cmd.name, cmd]]) }, args, out);
    return 0;
  } finally {
    dump.close();
  }
}

export const SYSTEM_MAP_HELP = `  --system-map FILE  the kernel's System.map, a copy of /proc/kallsyms, or a vmlinux (its .symtab),
                     instead of the kallsyms in the dump (for kernels whose VMCOREINFO does not locate it)
  --btf FILE         the kernel's BTF: a vmlinux with a .BTF section or a copy of /sys/kernel/btf/vmlinux,
                     instead of the .BTF in the dump
`;

/** A string sink: a command's output captured (for a pipe, a file, or a JSON wrapper). */
export class TextSink {
  text = "";
  write(s: string | Uint8Array): boolean {
    this.text += typeof s === "string" ? s : new TextDecoder().decode(s);
    return true;
  }
  get stream(): NodeJS.WritableStream {
    return this as unknown as NodeJS.WritableStream;
  }
}
