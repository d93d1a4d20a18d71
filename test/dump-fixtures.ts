/**
 * The fixture dumps, as the tests need them: every dump each MANIFEST.json lists whose file is present,
 * xz-compressed ones decompressed once into a cache shared by the test processes (written to a temporary
 * name and renamed, so parallel test files never read a half-written copy).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { FIXTURES, fixture } from "./helpers.ts";

export interface FixtureDump {
  /** e.g. "6.1-kdump/vmcore-d31.kdump-zstd" */
  id: string;
  dir: string;
  key: string;
  /** A readable, uncompressed path. */
  path: string;
  manifest: {
    format: string;
    vmcoreinfo: Record<string, string>;
    crash: { panic: string; cpus: string; release: string; bt_pid: number; bt_command: string };
  };
  oracles: string;
  /** The crash that made the oracles, from the MANIFEST's tools (6.1: 8.0.6; 5.10 and 7.2: 9.0.2). */
  crashVersion: number[];
}

/**
 * The kmem -i invocation whose output the dump's crash oracle is: crash 9.0.0 counts SHARED (a walk of
 * every struct page) only when asked with -i=shared (crash commit b39f8b5); crash 8 always counted it.
 */
export function kmemIArgs(d: FixtureDump): string {
  return d.crashVersion[0] >= 9 ? "-i" : "-i=shared";
}

const CACHE = join(tmpdir(), "kdx-fixture-cache");

/**
 * The uncompressed copy of an .xz fixture, made on first use. Named by the fixture's place among the
 * fixtures, size and time, not by its absolute path: every checkout of the project shares one copy.
 */
export function unxz(xzPath: string): string {
  mkdirSync(CACHE, { recursive: true });
  const st = statSync(xzPath);
  const name = relative(FIXTURES, xzPath).replace(/[^A-Za-z0-9.-]+/g, "_");
  const out = join(CACHE, `${name}-${st.size}-${Math.trunc(st.mtimeMs)}`);
  if (existsSync(out)) return out;
  const tmp = `${out}.${process.pid}.tmp`;
  const r = spawnSync("sh", ["-c", 'xz -dc "$1" > "$2"', "sh", xzPath, tmp], { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`xz -dc ${xzPath} failed (is xz-utils installed?)`);
  renameSync(tmp, out);
  return out;
}

function crashVersion(tool: string | undefined, manifest: string): number[] {
  const m = /^crash (\d+)\.(\d+)\.(\d+)/.exec(tool ?? "");
  if (!m) throw new Error(`${manifest}: tools.crash does not say which crash made the oracles`);
  return m.slice(1).map(Number);
}

export function fixtureDumps(): FixtureDump[] {
  const root = fixture("vmcore");
  const out: FixtureDump[] = [];
  for (const dir of readdirSync(root).sort()) {
    const mf = join(root, dir, "MANIFEST.json");
    if (!existsSync(mf)) continue;
    const m = JSON.parse(readFileSync(mf, "utf8"));
    for (const [key, d] of Object.entries<{ file: string }>(m.dumps ?? {})) {
      const file = join(root, dir, d.file);
      if (!existsSync(file)) continue;
      out.push({
        id: `${dir}/${key}`,
        dir: join(root, dir),
        key,
        path: file.endsWith(".xz") ? unxz(file) : file,
        manifest: d as unknown as FixtureDump["manifest"],
        oracles: join(root, dir, "oracles", key),
        crashVersion: crashVersion(m.tools?.crash, mf),
      });
    }
  }
  return out;
}

/**
 * makedumpfile --dump-dmesg's output for this dump's memory: its own oracle, or one made from another
 * file of the same capture (the kdump directory's conversions all hold the same memory).
 */
export function makedumpfileDmesgOracle(d: FixtureDump): string | undefined {
  const own = join(d.oracles, "makedumpfile-dmesg.txt");
  if (existsSync(own)) return own;
  const all = join(d.dir, "oracles");
  for (const k of readdirSync(all).sort()) {
    const f = join(all, k, "makedumpfile-dmesg.txt");
    if (existsSync(f)) return f;
  }
  return undefined;
}
