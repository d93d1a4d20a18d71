/**
 * Issue 4's figure: open a dump and answer `sys` and `ps`, against crash doing the same. crash needs the
 * matching debug vmlinux (linux-image-6.1.0-56-cloud-amd64-dbg), which the package archive reachable here no
 * longer carries, so crash's side is the fixture's own recorded measurement (crash-open-time.txt, crash
 * 8.0.6 opening the same dump) — labelled as such — while kdx is measured now.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fixtureDumps } from "../test/dump-fixtures.ts";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const KDX = join(ROOT, "bin/kdx");

function timeV(cmd: string[]): { seconds: number; maxRssKb: number } {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M", ...cmd], {
    encoding: "utf8",
    stdio: ["ignore", "ignore", "pipe"],
  });
  const [sec, rss] = r.stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
  return { seconds: sec, maxRssKb: rss };
}

function recordedCrash(oracles: string): { seconds: number; maxRssKb: number } | undefined {
  const f = join(oracles, "crash-open-time.txt");
  if (!existsSync(f)) return undefined;
  const t = readFileSync(f, "utf8");
  const wall = /Elapsed \(wall clock\) time .*: (?:(\d+):)?(\d+):([\d.]+)/.exec(t);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(t);
  if (!wall || !rss) return undefined;
  return {
    seconds: Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]),
    maxRssKb: Number(rss[1]),
  };
}

export function sessionBench(): void {
  console.log(
    "\nopen + sys + ps (and open + bt -a): kdx -c CMDS DUMP (best of 3, now) vs crash -s vmlinux DUMP opening (recorded)",
  );
  if (!existsSync("/usr/bin/time")) {
    console.log("  /usr/bin/time is missing (apt-get install time)");
    return;
  }
  for (const d of fixtureDumps()) {
    const bta = [0, 1, 2]
      .map(() => timeV([KDX, "-c", "bt -a", d.path]))
      .sort((a, b) => a.seconds - b.seconds)[0];
    const runs = [0, 1, 2].map(() => timeV([KDX, "-c", "sys; ps", d.path]));
    const best = runs.sort((a, b) => a.seconds - b.seconds)[0];
    const crash = recordedCrash(d.oracles);
    let row = `  ${d.id.padEnd(34)} kdx ${best.seconds.toFixed(2)} s, ${(best.maxRssKb / 1024).toFixed(0)} MB (bt -a: ${bta.seconds.toFixed(2)} s)`;
    if (crash) {
      const ratio = best.seconds / crash.seconds;
      row += `   crash (recorded) ${crash.seconds.toFixed(2)} s, ${(crash.maxRssKb / 1024).toFixed(0)} MB   ratio ${ratio.toFixed(3)} (goal < 0.1: ${ratio < 0.1 ? "met" : "NOT met"})`;
    }
    console.log(row);
  }
}
