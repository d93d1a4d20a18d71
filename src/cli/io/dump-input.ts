/** Opening dump files for the commands: magic sniffing, the Node byte source and codecs, warnings. */
import { closeSync, openSync, readSync } from "node:fs";
import { isElf } from "../../dump/elf-core.ts";
import { isFlattened } from "../../dump/flattened.ts";
import { isKdumpCompressed } from "../../dump/kdump-compressed.ts";
import { openDump } from "../../dump/open-dump.ts";
import type { Dump } from "../../dump/physical-memory.ts";
import { Kernel } from "../../kernel/kernel.ts";
import { nodeCodecs } from "../../platform/node/codecs.ts";
import { FileSource } from "../../platform/node/file-source.ts";

/** True when the file starts like a dump (ELF core, kdump-compressed, flattened). Never throws. */
export function looksLikeDump(path: string): boolean {
  if (path === "-") return false;
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const head = Buffer.alloc(64);
    const n = readSync(fd, head, 0, 64, 0);
    const h = head.subarray(0, n);
    return (isElf(h) && h[16] === 4) || isKdumpCompressed(h) || isFlattened(h);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function openDumpFile(path: string): Dump {
  const src = new FileSource(path);
  try {
    return openDump(src, nodeCodecs);
  } catch (e) {
    src.close();
    throw e;
  }
}

/** Warnings about the dump itself (truncation, damage) go to stderr, once, prefixed by the command. */
export function reportWarnings(
  cmd: string,
  warnings: string[],
  err: NodeJS.WritableStream = process.stderr,
): void {
  for (const w of warnings) err.write(`kdx ${cmd}: warning: ${w}\n`);
}

export function openKernel(path: string, cmd: string): { dump: Dump; kernel: Kernel } {
  const dump = openDumpFile(path);
  reportWarnings(cmd, dump.info.warnings);
  try {
    return { dump, kernel: new Kernel(dump) };
  } catch (e) {
    dump.close();
    throw e;
  }
}
