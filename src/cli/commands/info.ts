/** `kdx info DUMP`: what a dump file is and holds, before any analysis. */
import { parseArgs } from "node:util";
import type { Dump } from "../../dump/physical-memory.ts";
import { VmcoreInfo } from "../../kernel/vmcoreinfo.ts";
import { openDumpFile } from "../../platform/node/open-kernel.ts";
import { UsageError } from "../../util/errors.ts";

export const INFO_SCHEMA = "kdx.info/1";

export const HELP = `usage: kdx info [options] DUMP

What a dump is: format, compression, dump level, page size, memory ranges,
CPUs, kernel release, crash time, and its VMCOREINFO.

options:
  --vmcoreinfo   print every VMCOREINFO entry
  --json         {"schema": "${INFO_SCHEMA}", ...}
`;

const LEVEL_BITS: [number, string][] = [
  [1, "zero pages"],
  [2, "page cache"],
  [4, "private page cache"],
  [8, "user data"],
  [16, "free pages"],
];

export function describeDumpLevel(level: number): string {
  const excluded = LEVEL_BITS.filter(([bit]) => level & bit).map(([, name]) => name);
  return excluded.length ? `${excluded.join(", ")} excluded` : "nothing excluded";
}

const hex16 = (n: bigint) => `0x${n.toString(16).padStart(16, "0")}`;

function mib(bytes: bigint): string {
  return `${(Number(bytes) / 2 ** 20).toFixed(1)} MiB`;
}

export function infoObject(dump: Dump): Record<string, unknown> {
  const i = dump.info;
  const vi = dump.vmcoreinfo ? new VmcoreInfo(dump.vmcoreinfo) : undefined;
  const ranges = dump.memory.ranges();
  const total = ranges.reduce((s, r) => s + (r.end - r.start), 0n);
  const crashTime = vi?.crashTime;
  return {
    schema: INFO_SCHEMA,
    file: i.file,
    format: i.format,
    description: i.description,
    flattened: i.flattened,
    compression: i.compression,
    dumpLevel: i.dumpLevel,
    pageSize: i.pageSize,
    fileSize: i.fileSize,
    memory: {
      bytes: Number(total),
      ranges: ranges.map((r) => ({ start: hex16(r.start), end: hex16(r.end) })),
    },
    cpus: i.cpus,
    release: vi?.osrelease ?? (i.utsname?.release || undefined),
    buildId: vi?.get("BUILD-ID"),
    kernelOffset: vi?.has("KERNELOFFSET") ? `0x${vi.kernelOffset.toString(16)}` : undefined,
    crashTime: crashTime !== undefined ? new Date(crashTime * 1000).toISOString() : undefined,
    dumpTime: i.timestamp?.toISOString(),
    utsname: i.utsname,
    incomplete: i.incomplete,
    warnings: i.warnings,
    vmcoreinfo: vi ? Object.fromEntries(vi.entries) : undefined,
  };
}

export function renderInfo(o: ReturnType<typeof infoObject>, withVmcoreinfo: boolean): string {
  const lines: string[] = [];
  const row = (k: string, v: unknown) => {
    if (v !== undefined && v !== "") lines.push(`${k.padStart(12)}: ${v}`);
  };
  const mem = o.memory as { bytes: number; ranges: { start: string; end: string }[] };
  row("DUMPFILE", o.file);
  row("FORMAT", o.description);
  row("COMPRESSION", (o.compression as string[]).join(", ") || "none");
  if (o.dumpLevel !== undefined)
    row("DUMP LEVEL", `${o.dumpLevel} (${describeDumpLevel(o.dumpLevel as number)})`);
  row("PAGE SIZE", o.pageSize);
  row(
    "MEMORY",
    `${mib(BigInt(mem.bytes))} in ${mem.ranges.length} range${mem.ranges.length === 1 ? "" : "s"}`,
  );
  for (const r of mem.ranges) lines.push(`${"".padStart(14)}${r.start} - ${r.end}`);
  row("CPUS", o.cpus);
  row("RELEASE", o.release);
  row("BUILD-ID", o.buildId);
  row("KASLR", o.kernelOffset);
  row("CRASH TIME", o.crashTime);
  row("DUMP TIME", o.dumpTime);
  const vi = o.vmcoreinfo as Record<string, string> | undefined;
  row(
    "VMCOREINFO",
    vi ? `${Object.keys(vi).length} entries${withVmcoreinfo ? "" : " (--vmcoreinfo lists them)"}` : "none",
  );
  if (vi && withVmcoreinfo)
    for (const [k, v] of Object.entries(vi)) lines.push(`${"".padStart(14)}${k}=${v}`);
  if (o.incomplete) row("STATE", "INCOMPLETE");
  for (const w of o.warnings as string[]) row("WARNING", w);
  return `${lines.join("\n")}\n`;
}

export async function infoCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: "boolean" }, vmcoreinfo: { type: "boolean" } },
  });
  if (positionals.length !== 1) throw new UsageError("kdx info takes one DUMP");
  const dump = openDumpFile(positionals[0]);
  try {
    const o = infoObject(dump);
    out.write(values.json ? `${JSON.stringify(o)}\n` : renderInfo(o, values.vmcoreinfo === true));
    return 0;
  } finally {
    dump.close();
  }
}
