/** Shared test helpers: where the fixtures are, and how to run the real CLI. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
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

export function tempDir(prefix = "kdx-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
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
