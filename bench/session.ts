/**
 * Open a dump and answer `sys; ps`, and `bt -a`, against crash doing the same in this run: crash >= 8.0.4
 * (bookworm's 8.0.2 cannot walk these kernels' task table; set CRASH=/path/to/crash, e.g. one built from
 * trixie's source package) with the matching debug vmlinux (linux-image-6.1.0-56-cloud-amd64-dbg). Without
 * them, crash's side is the fixture's recorded measurement (crash-open-time.txt), labelled as such.
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

const VMLINUX = "/usr/lib/debug/boot/vmlinux-6.1.0-56-cloud-amd64";

/** A crash that can read these kernels: $CRASH, else crash on the PATH if it is 8.0.4 or newer. */
function liveCrash(): string | undefined {
  for (const c of [process.env.CRASH, "crash"].filter(Boolean) as string[]) {
    const v = /crash (\d+)\.(\d+)\.(\d+)/.exec(
      spawnSync(c, ["--version"], { encoding: "utf8" }).stdout ?? "",
    );
    if (v && Number(v[1]) * 10000 + Number(v[2]) * 100 + Number(v[3]) >= 80004) return c;
  }
  return undefined;
}

/** crash -s VMLINUX DUMP running CMDS then q, timed as a whole command (as kdx is). */
function timeCrash(crash: string, dump: string, cmds: string): { seconds: number; maxRssKb: number } {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M", crash, "-s", VMLINUX, dump], {
    encoding: "utf8",
    input: `${cmds}\nq\n`,
    stdio: ["pipe", "ignore", "pipe"],
  });
  const [sec, rss] = r.stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
  return { seconds: sec, maxRssKb: rss };
}

export function sessionBench(): void {
  const crashBin = existsSync(VMLINUX) ? liveCrash() : undefined;
  if (crashBin) {
    console.log(
      `\nopen + sys + ps, and open + bt -a: kdx -c CMDS DUMP against ${crashBin} -s vmlinux DUMP, best of 3 each`,
    );
    for (const d of fixtureDumps()) {
      const best = (f: () => { seconds: number; maxRssKb: number }) =>
        [f(), f(), f()].sort((a, b) => a.seconds - b.seconds)[0];
      const kSys = best(() => timeV([KDX, "-c", "sys; ps", d.path]));
      const kBt = best(() => timeV([KDX, "-c", "bt -a", d.path]));
      const cSys = best(() => timeCrash(crashBin, d.path, "sys\nps"));
      const cBt = best(() => timeCrash(crashBin, d.path, "bt -a"));
      const r1 = kSys.seconds / cSys.seconds;
      const r2 = kBt.seconds / cBt.seconds;
      console.log(
        `  ${d.id.padEnd(34)} sys+ps kdx ${kSys.seconds.toFixed(2)} s / crash ${cSys.seconds.toFixed(2)} s = ${r1.toFixed(3)}` +
          `   bt -a kdx ${kBt.seconds.toFixed(2)} s / crash ${cBt.seconds.toFixed(2)} s = ${r2.toFixed(3)} (goal < 0.1: ${Math.max(r1, r2) < 0.1 ? "met" : "NOT met"})` +
          `   RSS kdx ${(kBt.maxRssKb / 1024).toFixed(0)} MB, crash ${(cBt.maxRssKb / 1024).toFixed(0)} MB`,
      );
    }
    return;
  }
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
