/**
 * Everything kdx prints on every fixture, recorded so that a change meant to keep behaviour (a redesign) can
 * be checked byte for byte: every shell command in text and --json (stdout and stderr), `kdx oops` on each
 * console and log, `kdx info`, `kdx collect`'s files (their hashes), and the serve analysis record of each
 * dump directory.
 *
 *   node --import tsx scripts/golden.ts record DIR      (after npm run build)
 *   node --import tsx scripts/golden.ts compare DIR     record into a temporary DIR and diff against DIR
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixtureDumps } from "../test/dump-fixtures.ts";
import { FIXTURES, KDX } from "../test/helpers.ts";

/** The commands run on each dump in one shell session: each alone, and (where it has one) with --json. */
const COMMANDS = [
  "sys",
  "ps",
  "bt",
  "bt -a",
  "bt -f",
  "foreach bt",
  "log",
  "log -t",
  "log -m",
  "mod",
  "kmem -i",
  "kmem -i=shared",
  "sym jiffies",
  "sym panic",
  "rd -s init_task 8",
  "rd linux_banner 4",
  "dis panic 8",
  "p jiffies",
  "px nr_cpu_ids",
  "p init_uts_ns",
  "struct list_head",
  "struct -o mm_struct",
  "whatis schedule",
  "whatis task_struct",
  "task",
  "task -R pid,comm",
  "set",
  "set 1",
  "help",
  "help bt",
  "nosuch",
];
const JSON_TOO = new Set(["sys", "ps", "bt", "bt -a", "log", "mod", "kmem -i", "sym jiffies", "rd -s init_task 8", "dis panic 8", "p jiffies", "struct list_head", "task"]);

function run(args: string[], input?: string): string {
  const r = spawnSync(KDX, args, { encoding: "latin1", input, maxBuffer: 1 << 30 });
  return `${r.stdout}\n--- stderr ---\n${r.stderr}\n--- rc ${r.status}\n`;
}

/**
 * A written dump's hash, less the header's timestamp (offset 408, 16 bytes): a dump without a crash time
 * (QEMU's) is stamped with the time it was written. In a flattened stream the header is the first record's
 * data, after the 4096-byte stream header and the record's 16.
 */
function sha(f: string): string {
  const b = readFileSync(f);
  const at = b.subarray(0, 12).toString("latin1") === "makedumpfile" ? 4096 + 16 + 408 : 408;
  b.fill(0, at, at + 16);
  return createHash("sha256").update(b).digest("hex");
}

async function record(dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  // The fixtures' place is the checkout's (../shared): out of the record, so two checkouts compare.
  const put = (name: string, text: string) =>
    writeFileSync(join(dir, name.replace(/[^A-Za-z0-9.=-]+/g, "_")), text.replaceAll(FIXTURES, "<fixtures>"));
  const { analyseDumpDir } = await import("../src/server/analyse-dump.ts");
  for (const d of fixtureDumps()) {
    const id = d.id.replace("/", "~");
    const lines = COMMANDS.flatMap((c) => (JSON_TOO.has(c) ? [c, `${c} --json`] : [c]));
    // One session, each command's output fenced so that a diff names the command.
    const script = lines.map((c) => `${c}`).join("\n");
    const r = spawnSync(KDX, ["-s", d.path], { encoding: "latin1", input: script, maxBuffer: 1 << 30 });
    put(`${id}.shell`, `${r.stdout}\n--- stderr ---\n${r.stderr}\n--- rc ${r.status}\n`);
    for (const c of ["sys", "ps --json", "bt", "log", "nosuch"]) put(`${id}.cli.${c}`, run([...c.split(" "), d.path]));
    put(`${id}.info`, run(["info", d.path]));
    put(`${id}.info-json`, run(["info", "--json", d.path]));
    put(`${id}.oops-log`, run(["oops", "--json", d.path]));
  }
  const root = join(FIXTURES, "vmcore");
  for (const dir0 of readdirSync(root).sort()) {
    const console = join(root, dir0, "console.log");
    if (!existsSync(console)) continue;
    put(`${dir0}.oops`, run(["oops", console]));
    put(`${dir0}.oops-json`, run(["oops", "--json", console]));
    // serve's record for the dump directory (the real kdump one where the fixture has it).
    const kdumpDirs = join(root, dir0, "var/crash");
    if (existsSync(kdumpDirs))
      for (const sub of readdirSync(kdumpDirs)) {
        const a = analyseDumpDir(join(kdumpDirs, sub));
        put(`${dir0}.serve-${sub}`, `${JSON.stringify(a, (_k, v) => (typeof v === "bigint" ? `${v}n` : v), 1)}\n`);
      }
  }
  // collect: the files written, by hash, for a few levels and codecs on one dump of each kernel.
  const tmp = mkdtempSync(join(tmpdir(), "kdx-golden-"));
  try {
    for (const d of fixtureDumps().filter((x) => x.key === "vmcore.elf")) {
      for (const args of [["-d", "31", "-z"], ["-d", "1", "-l"], ["-d", "0", "-c"], ["-F", "-d", "31", "-z"]]) {
        const out = join(tmp, "out");
        rmSync(out, { force: true });
        const r = run(["collect", "--message-level", "0", ...args, d.path, out]);
        put(`${d.id.replace("/", "~")}.collect${args.join("")}`, `${r}${existsSync(out) ? sha(out) : "no file"}\n`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const [verb, dir] = process.argv.slice(2);
if (verb === "record" && dir) await record(dir);
else if (verb === "compare" && dir) {
  const now = mkdtempSync(join(tmpdir(), "kdx-golden-now-"));
  await record(now);
  const r = spawnSync("diff", ["-r", dir, now], { encoding: "utf8", maxBuffer: 1 << 30 });
  process.stdout.write(r.stdout.slice(0, 20000));
  process.stdout.write(r.status === 0 ? `golden: identical (${readdirSync(dir).length} files)\n` : `golden: DIFFERENT (now in ${now})\n`);
  process.exitCode = r.status ?? 1;
} else {
  process.stderr.write("usage: golden.ts record DIR | compare DIR\n");
  process.exitCode = 2;
}
