/** `file: line` for kernel addresses from a vmlinux's DWARF line tables, through binutils' addr2line. */
import { execFileSync } from "node:child_process";
import type { VmlinuxFile } from "../../platform/node/open-kernel.ts";
import { KdxError } from "../../util/errors.ts";
import type { SourceLine } from "../../views/bt.ts";

/**
 * The source lines of runtime addresses (as the dump's kernel ran them), in one addr2line run. Addresses
 * with no line (module code, assembly without line info) are left out.
 */
export function sourceLines(vmlinux: VmlinuxFile, addresses: bigint[]): Map<bigint, SourceLine> {
  const out = new Map<bigint, SourceLine>();
  const unique = [...new Set(addresses)];
  if (!unique.length) return out;
  let text: string;
  try {
    text = execFileSync(
      "addr2line",
      ["-e", vmlinux.path, ...unique.map((a) => `0x${(a - vmlinux.delta).toString(16)}`)],
      { encoding: "utf8", maxBuffer: 1 << 26, stdio: ["ignore", "pipe", "pipe"] },
    );
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === "ENOENT") throw new KdxError("bt -l needs addr2line (Debian package binutils)");
    throw new KdxError(`addr2line on ${vmlinux.path}: ${(err.stderr ?? err.message).trim().split("\n")[0]}`);
  }
  text
    .split("\n")
    .slice(0, unique.length)
    .forEach((l, i) => {
      const m = /^(.*):(\d+)(?: \(discriminator \d+\))?$/.exec(l);
      if (m && m[1] !== "??" && m[2] !== "0") out.set(unique[i], { file: m[1], line: Number(m[2]) });
    });
  return out;
}
