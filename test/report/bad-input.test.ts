/** Bad input never hangs, never dumps a stack trace: a clear message, or a report flagged corrupted. */
import assert from "node:assert/strict";
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseReports } from "../../src/report/reader.ts";
import { Utf8ChunkDecoder } from "../../src/util/utf8-chunks.ts";
import { fixture, kdx, tempDir } from "../helpers.ts";

const NULL_LOG = readFileSync(fixture("vmcore/6.1-null/console.log"));

test("binary garbage is refused with a message naming the file", () => {
  const dir = tempDir();
  const f = join(dir, "garbage.bin");
  const buf = Buffer.alloc(1 << 20);
  let x = 12345;
  for (let i = 0; i < buf.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    buf[i] = x >>> 24;
  }
  writeFileSync(f, buf);
  const r = kdx(["oops", f]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /garbage\.bin.*binary data, not a text log/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test("a vmcore piped to oops is named as such, with what to do instead", () => {
  const vmcore = readFileSync(fixture("vmcore/6.1-kdump/var/crash/127.0.0.1-2026-11-25-03:13:13/vmcore"));
  const r = kdx(["oops", "-"], vmcore.subarray(0, 1 << 20));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /kdump-compressed vmcore: give its file name \(kdx oops VMCORE\)/);
});

test("a missing file is a one-line error", () => {
  const r = kdx(["oops", "/nonexistent/dmesg.txt"]);
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim(), "kdx oops: /nonexistent/dmesg.txt: no such file");
});

test("a 200 MB file with no newline is read in bounded memory and time", () => {
  const dir = tempDir();
  const f = join(dir, "oneline.txt");
  const fd = openSync(f, "w");
  const chunk = Buffer.alloc(1 << 20, "x");
  // A report header buried in the middle of the endless line must not turn it into a crash.
  chunk.write("BUG: kernel NULL pointer dereference", 5000);
  for (let i = 0; i < 200; i++) writeSync(fd, chunk);
  closeSync(fd);
  const r = kdx(["oops", "--json", f]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.longLines, 1);
  assert.ok(
    out.reports.every((x: { corrupted: boolean }) => x.corrupted),
    "whatever is found in a cut line is flagged",
  );
});

test("a report truncated at every point is flagged corrupted or still whole, never thrown", () => {
  const text = NULL_LOG.toString("utf8");
  const start = text.indexOf("BUG: kernel NULL");
  const end = text.indexOf("---[ end Kernel panic");
  let flagged = 0;
  for (let cut = start + 10; cut < end; cut += 37) {
    const rs = parseReports(text.slice(0, cut));
    assert.equal(rs.length, 1);
    if (rs[0].corrupted) flagged++;
    // Cut before the call trace finishes: the report cannot pass as whole.
    if (cut < text.indexOf("crashmod_trigger.cold")) assert.equal(rs[0].corrupted, true, `cut at ${cut}`);
  }
  assert.ok(flagged > 0);
});

test("invalid UTF-8 inside a report is tolerated", () => {
  const bytes = Buffer.from(NULL_LOG);
  const at = bytes.indexOf("Comm: sh") + 6;
  bytes[at] = 0xff;
  bytes[at + 1] = 0xfe;
  const dir = tempDir();
  const f = join(dir, "bad-utf8.log");
  writeFileSync(f, bytes);
  const r = kdx(["oops", "--json", f]);
  assert.equal(r.status, 0, r.stderr);
  const [rep] = JSON.parse(r.stdout).reports;
  assert.equal(rep.title, "BUG: unable to handle kernel NULL pointer dereference in crashmod_do_null");
});

test("an empty input has no reports", () => {
  const r = kdx(["oops", "-"], "");
  assert.equal(r.status, 0);
  assert.match(r.stdout, /no crash reports found/);
});

test("unknown options are usage errors, not crashes", () => {
  const r = kdx(["oops", "--frobnicate"]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^kdx: Unknown option '--frobnicate'/);
});

test("text read in chunks is the text whole: characters split between chunks, ASCII chunks after them, a cut-off end", () => {
  // A real log with multi-byte characters (2, 3 and 4 bytes), an invalid byte and a character cut short before
  // plain text put in, cut into chunks at every offset around them: each cut must give exactly what one decode
  // of the whole gives.
  const log = NULL_LOG.subarray(0, 4096);
  const odd = Buffer.concat([
    log.subarray(0, 1000),
    Buffer.from("é€𝄞"),
    Buffer.from([0xff]),
    Buffer.from("€").subarray(0, 2),
    log.subarray(1000),
  ]);
  const whole = odd.toString("utf8");
  for (let cut = 995; cut < 1015; cut++) {
    for (const size of [1, 2, 3, 7, 64]) {
      const decoder = new Utf8ChunkDecoder();
      let text = decoder.write(odd.subarray(0, cut));
      for (let i = cut; i < odd.length; i += size)
        text += decoder.write(odd.subarray(i, Math.min(odd.length, i + size)));
      text += decoder.end();
      assert.equal(text, whole, `cut at ${cut}, then chunks of ${size}`);
    }
  }
  // Input that ends inside a character: the piece left over becomes one replacement character.
  const decoder = new Utf8ChunkDecoder();
  const cutOff =
    decoder.write(Buffer.concat([log.subarray(0, 100), Buffer.from("€").subarray(0, 2)])) + decoder.end();
  assert.equal(cutOff, `${log.subarray(0, 100).toString("latin1")}\ufffd`);
});
