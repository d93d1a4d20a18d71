/** Shared test helpers: where the fixtures are, and how to run the real CLI. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const FIXTURES = resolve(ROOT, "../shared/fixtures");
export const KDX = join(ROOT, "bin/kdx");

if (!existsSync(FIXTURES))
  throw new Error(`fixtures not found at ${FIXTURES} (shared/ must sit beside the repository)`);

export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

/** Every fixture vmcore's console log (a boot, then a crash). */
export function fixtureConsoleLogs(encoding: BufferEncoding = "utf8"): string[] {
  return readdirSync(fixture("vmcore"))
    .map((d) => fixture("vmcore", d, "console.log"))
    .filter(existsSync)
    .map((f) => readFileSync(f, encoding));
}

/** The reports of syzkaller's corpus, each without the header lines (TITLE:, CORRUPTED:) before its text. */
export function syzkallerReports(encoding: BufferEncoding = "utf8"): string[] {
  const dir = fixture("oops/syzkaller-report");
  return readdirSync(dir).map((f) => {
    const data = readFileSync(join(dir, f), encoding);
    return data.slice(data.indexOf("\n\n") + 2);
  });
}

const madeDirs: string[] = [];
// Every test file is a process of its own: what it made goes when it ends (a served data directory holds
// hundreds of MB of uploads; left behind, a few hundred runs fill the disk). KDX_KEEP_TEMP=1 keeps them.
process.on("exit", () => {
  if (process.env.KDX_KEEP_TEMP) return;
  for (const d of madeDirs) rmSync(d, { recursive: true, force: true });
});

/** A new directory under the system's temporary one, removed when the test process ends. */
export function tempDir(prefix = "kdx-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run bin/kdx for real, with an optional standard input. */
export function kdx(args: string[], input?: string | Buffer, timeoutMs = 120_000): Run {
  const r = spawnSync(KDX, args, {
    input,
    encoding: "utf8",
    timeout: timeoutMs,
    maxBuffer: 1 << 28,
    env: { ...process.env, NO_COLOR: "" },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
