/**
 * kdx serve pointed at a directory that already holds kdump's dumps (an existing /var/crash): they are
 * indexed as found, analysed, and shown; one whose vmcore was never finished stays incomplete.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fixture, tempDir } from "../helpers.ts";
import { api, type CrashRow, makeKey, publicKey, settled, startServe } from "./serve-harness.ts";

test("dump directories already in the data directory are taken into the index and analysed", async () => {
  const kdumpDir = fixture("vmcore/6.1-kdump/var/crash/127.0.0.1-2026-11-25-03:13:13");
  const data = join(tempDir("kdx-adopt-"), "crash");
  const whole = join(data, "127.0.0.1-2026-11-25-03:13:13");
  const cut = join(data, "127.0.0.1-2026-11-25-04:00:00");
  mkdirSync(whole, { recursive: true });
  mkdirSync(cut);
  for (const f of ["vmcore", "vmcore-dmesg.txt"]) copyFileSync(join(kdumpDir, f), join(whole, f));
  copyFileSync(join(kdumpDir, "vmcore-dmesg.txt"), join(cut, "vmcore-dmesg.txt"));
  writeFileSync(join(cut, "vmcore-incomplete"), Buffer.alloc(8192));
  const keys = tempDir("kdx-keys-");
  writeFileSync(join(keys, "authorized_keys"), `${publicKey(makeKey(keys, "k"))}\n`);
  const s = await startServe({ authorizedKeys: join(keys, "authorized_keys"), dataDir: data });
  try {
    assert.match(s.log(), /2 dump directory\(ies\) already in .* taken into the index/);
    const row = await settled(s, "127.0.0.1-2026-11-25-03:13:13");
    assert.equal(row.state, "ready");
    assert.equal(row.detail?.source, "vmcore");
    assert.match(row.title!, /sysrq triggered crash/);
    // The unfinished one is analysed from its log, and says it is incomplete.
    const end = Date.now() + 60_000;
    let other: CrashRow | undefined;
    while (Date.now() < end) {
      const { crashes } = await api<{ crashes: CrashRow[] }>(s, "/api/crashes");
      other = crashes.find((c) => c.dir === "127.0.0.1-2026-11-25-04:00:00");
      if (other?.title) break;
      await new Promise((r) => setTimeout(r, 150));
    }
    assert.equal(other?.state, "incomplete");
    assert.match(other!.title!, /sysrq triggered crash/);
  } finally {
    await s.stop();
  }
});
