/**
 * kdx collect as kdump runs it: piped through the flattened format to and from the real makedumpfile,
 * compressed on several threads, interrupted, out of space, given garbage.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { fixtureDumps } from "../dump-fixtures.ts";
import { KDX, kdx, tempDir } from "../helpers.ts";

const tmp = tempDir();
after(() => rmSync(tmp, { recursive: true, force: true }));

const elf = fixtureDumps().find((d) => d.id === "6.1-kdump/vmcore.elf")!;
const captured = fixtureDumps().find((d) => d.id === "6.1-kdump/vmcore")!;
const same = (a: string, b: string) => readFileSync(a).equals(readFileSync(b));

function sh(script: string, env: Record<string, string> = {}) {
  return spawnSync("sh", ["-c", script], { encoding: "utf8", env: { ...process.env, KDX, ...env } });
}

test("kdx collect -F | makedumpfile -R gives the file makedumpfile writes itself", () => {
  const out = join(tmp, "restored-by-mdf");
  const r = sh('"$KDX" collect -F -l -d 31 "$IN" | makedumpfile -R "$OUT"', { IN: elf.path, OUT: out });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(same(out, captured.path));
});

test("makedumpfile -F | kdx collect -R restores it byte for byte; kdx reads it", () => {
  const out = join(tmp, "restored-by-kdx");
  const r = sh('makedumpfile -F -l -d 31 "$IN" | "$KDX" collect -R "$OUT"', { IN: elf.path, OUT: out });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /The dumpfile is saved to .*restored-by-kdx/);
  assert.ok(same(out, captured.path));
  assert.ok(!existsSync(`${out}-incomplete`));
});

test("a flattened stream cut short: -R fails naming it, keeps nothing under the final name", () => {
  const stream = join(tmp, "cut.flat");
  const r1 = sh('"$KDX" collect -F -l -d 31 "$IN" > "$S"', { IN: elf.path, S: stream });
  assert.equal(r1.status, 0, r1.stderr);
  const whole = readFileSync(stream);
  writeFileSync(stream, whole.subarray(0, Math.floor(whole.length / 2)));
  const out = join(tmp, "cut-restored");
  const r = sh('"$KDX" collect -R "$OUT" < "$S"', { S: stream, OUT: out });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /ended before its end marker/);
  assert.match(r.stderr, /kept as .*cut-restored-incomplete/);
  assert.ok(!existsSync(out));
  // What did arrive is readable, and says it is not whole.
  const info = kdx(["info", `${out}-incomplete`]);
  assert.equal(info.status, 0, info.stderr);
});

test("-R refuses what is not a flattened stream", () => {
  const out = join(tmp, "not-flat");
  const r = spawnSync(KDX, ["collect", "-R", out], {
    input: readFileSync(captured.path).subarray(0, 65536),
    encoding: "utf8",
  });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /not a flattened dump/);
  assert.ok(!existsSync(out));
});

test("--num-threads 2: the same bytes as one thread (lzo: makedumpfile's own file)", () => {
  const out = join(tmp, "threads.kdump");
  const r = kdx(["collect", "--num-threads", "2", "-l", "-d", "31", elf.path, out]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(same(out, captured.path));
  const single = join(tmp, "single-zlib.kdump");
  const multi = join(tmp, "multi-zlib.kdump");
  assert.equal(kdx(["collect", "-c", "-d", "31", elf.path, single]).status, 0);
  assert.equal(kdx(["collect", "--num-threads", "2", "-c", "-d", "31", elf.path, multi]).status, 0);
  assert.ok(same(single, multi));
});

test("--num-threads 6: six compression threads, and makedumpfile's own bytes (lzo)", () => {
  const out = join(tmp, "six.kdump");
  const r = kdx(["collect", "--message-level", "9", "--num-threads", "6", "-l", "-d", "31", elf.path, out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /(\d+) of \1 batches on 6 compression threads/);
  assert.ok(same(out, captured.path));
  rmSync(out);
});

test("--num-threads 2 on a whole dump: the compression threads take every batch, and the bytes are the same", () => {
  const single = join(tmp, "d0-single.kdump");
  const multi = join(tmp, "d0-multi.kdump");
  const one = kdx(["collect", "--message-level", "8", "-c", "-d", "0", elf.path, single]);
  assert.equal(one.status, 0, one.stderr);
  assert.match(one.stderr, /^Compression: system zlib [\d.]+\.$/m);
  const r = kdx(["collect", "--message-level", "8", "--num-threads", "2", "-c", "-d", "0", elf.path, multi]);
  assert.equal(r.status, 0, r.stderr);
  // 392 MiB in batches of 256 pages, every one of them on a compression thread, which read its pages from
  // the ELF file itself.
  const m = /(\d+) of (\d+) batches on 2 compression threads, (\d+) read there from the dump file/.exec(
    r.stderr,
  );
  assert.ok(m, r.stderr);
  assert.ok(Number(m[1]) > 300 && m[1] === m[2] && m[3] === m[1], r.stderr);
  assert.ok(same(single, multi));
  rmSync(single);
  rmSync(multi);
});

test("the summary counts makedumpfile's classes; an existing OUT needs -f", () => {
  const out = join(tmp, "summary.kdump");
  const r = kdx(["collect", "-l", "-d", "31", elf.path, out]);
  assert.equal(r.status, 0, r.stderr);
  const log = readFileSync(join(elf.dir, "makedumpfile/vmcore-d31.kdump-lzo.log"), "utf8");
  for (const line of [
    "Pages filled with zero",
    "Non-private cache pages",
    "User process data pages",
    "Free pages",
    "Total pages",
    "Write bytes",
  ]) {
    const want = log.split("\n").find((l) => l.includes(line));
    assert.ok(r.stderr.split("\n").includes(want!), `${line}: ${want}`);
  }
  const again = kdx(["collect", "-l", "-d", "31", elf.path, out]);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /already exists \(give -f to overwrite it\)/);
  assert.equal(kdx(["collect", "-f", "--message-level", "0", "-l", "-d", "31", elf.path, out]).status, 0);
});

test("killed mid-write: nothing under the final name", async () => {
  const out = join(tmp, "killed.kdump");
  const child = spawn(KDX, ["collect", "-c", "-d", "0", elf.path, out], { stdio: "ignore" });
  // Kill once the output has started to grow.
  for (
    let i = 0;
    i < 200 && !(existsSync(`${out}-incomplete`) && statSync(`${out}-incomplete`).size > 1 << 20);
    i++
  )
    await new Promise((r) => setTimeout(r, 25));
  child.kill("SIGKILL");
  await new Promise((r) => child.on("exit", r));
  assert.ok(!existsSync(out));
  assert.ok(existsSync(`${out}-incomplete`));
  // The header on disk says incomplete: it was written so before any page.
  assertMarkedIncomplete(`${out}-incomplete`);
});

/** The kdump header's DUMP_DH_COMPRESSED_INCOMPLETE bit, on disk, and kdx info saying so. */
function assertMarkedIncomplete(path: string): void {
  const status = readFileSync(path).readUInt32LE(424);
  assert.ok(status & 0x8, `status 0x${status.toString(16)}: DUMP_DH_COMPRESSED_INCOMPLETE is not set`);
  const info = kdx(["info", path]);
  assert.match(info.stdout, /STATE: INCOMPLETE/);
  assert.match(info.stdout + info.stderr, /marked incomplete/);
}

test("a truncated input: what it lacks is missing in the output, not excluded, and the exit status says so", () => {
  const whole = readFileSync(elf.path);
  for (const cut of [140_000_000, 260_000_000]) {
    const input = join(tmp, `cut-${cut}.elf`);
    writeFileSync(input, whole.subarray(0, cut));
    // Dump level 31 reads the kernel's mem_map, which this kernel keeps at the top of memory: past any cut.
    const refused = kdx([
      "collect",
      "--message-level",
      "0",
      "-l",
      "-d",
      "31",
      input,
      join(tmp, "refused.kdump"),
    ]);
    assert.equal(refused.status, 2);
    assert.match(
      refused.stderr,
      /^kdx: dump level 31 needs the kernel's struct pages, and they cannot be found \(.*\): levels 0 and 1 need none$/m,
    );
    assert.ok(!existsSync(join(tmp, "refused.kdump")));
    for (const level of ["0", "1"]) {
      const out = join(tmp, `cut-${cut}-d${level}.kdump`);
      const r = kdx(["collect", "--message-level", "0", "-l", "-d", level, input, out]);
      assert.equal(r.status, 1, r.stderr);
      assert.match(
        r.stderr,
        /the input lacks \d+ of its pages \(is it truncated\?\): .* is not a whole dump and its header says so/,
      );
      assertMarkedIncomplete(out);
      // A page past the cut reads as missing, one before it as in the original.
      const past = kdx(["rd", "-p", "-64", "0x1ffdb000", out]);
      assert.match(past.stderr, /page missing/);
      assert.doesNotMatch(past.stderr, /excluded/);
      assert.equal(
        kdx(["rd", "-p", "-64", "0x1000000", out]).stdout,
        kdx(["rd", "-p", "-64", "0x1000000", elf.path]).stdout,
      );
      rmSync(out);
    }
    rmSync(input);
  }
});

test("a full filesystem (a 20 MiB tmpfs): the error names the file and the cause; the partial dump is marked incomplete", (t) => {
  if (process.getuid?.() !== 0) {
    // Without root no filesystem can be mounted; the ulimit -f test below fills one by the size limit.
    t.diagnostic("not root: a tmpfs cannot be mounted here; the ulimit -f test covers a full disk");
    return;
  }
  const dir = tempDir("kdx-tmpfs-");
  const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=20m", "tmpfs", dir], { encoding: "utf8" });
  if (m.status !== 0) {
    // Root in a container without CAP_SYS_ADMIN: no mount; the ulimit -f test fills a file's limit instead.
    t.diagnostic(`mount refused (${m.stderr.trim()}): the ulimit -f test covers a full disk`);
    return;
  }
  try {
    const out = join(dir, "vmcore");
    const r = kdx(["collect", "--message-level", "0", "-d", "0", elf.path, out]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /cannot write .*vmcore-incomplete at offset \d+ .*the disk is full/);
    assert.ok(!existsSync(out));
    assertMarkedIncomplete(`${out}-incomplete`);
  } finally {
    spawnSync("umount", [dir]);
  }
});

test("out of space (ulimit -f): the error names the file and the cause; the partial dump is marked incomplete", () => {
  const out = join(tmp, "full.kdump");
  const r = sh('ulimit -f 2000; "$KDX" collect -l -d 31 "$IN" "$OUT"', { IN: elf.path, OUT: out });
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    /cannot write .*full\.kdump-incomplete at offset \d+ .*larger than this system allows/,
  );
  assert.ok(!existsSync(out));
  assertMarkedIncomplete(`${out}-incomplete`);
});

test("garbage in, a clear error out", () => {
  const junk = join(tmp, "junk");
  writeFileSync(junk, Buffer.alloc(8192, 0x41));
  const r = kdx(["collect", "-l", junk, join(tmp, "junk.out")]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^kdx: .*junk/m);
  assert.doesNotMatch(r.stderr, /internal error|at .*\.ts:\d+/);
  assert.ok(!existsSync(join(tmp, "junk.out")) && !existsSync(join(tmp, "junk.out-incomplete")));
  assert.match(
    kdx(["collect", "-d", "99", elf.path, join(tmp, "x")]).stderr,
    /-d takes a dump level from 0 to 31/,
  );
  assert.match(kdx(["collect", "-c", "-l", elf.path, join(tmp, "x")]).stderr, /give one of -c, -l, -p, -z/);
});

test("any dump kdx reads is input: makedumpfile's own -d 31 file re-filtered at -d 31 comes out unchanged", () => {
  const out = join(tmp, "refiltered.kdump");
  const r = kdx(["collect", "--message-level", "0", "-l", "-d", "31", captured.path, out]);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(same(out, captured.path));
});

test("QEMU's flattened kdump-zlib dump as input: the output reads back with the same sys, bt and log", () => {
  const flat = fixtureDumps().find((d) => d.id === "6.1-sysrq/vmcore.kdump-zlib")!;
  const out = join(tmp, "from-flat.kdump");
  const r = kdx(["collect", "--message-level", "0", "-z", "-d", "31", flat.path, out]);
  assert.equal(r.status, 0, r.stderr);
  const answers = (p: string) =>
    kdx(["-c", "sys; bt; log", p])
      .stdout.split("\n")
      .filter((l) => !/^\s+DUMPFILE:/.test(l))
      .join("\n");
  assert.equal(answers(out), answers(flat.path));
});
