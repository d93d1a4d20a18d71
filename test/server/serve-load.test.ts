/**
 * `kdx serve` under load and under a crash of its own: thirty kdump clients at once all land whole; a
 * `kill -9` mid-upload and a restart leave no record claiming a dump that is not whole.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { unxz } from "../dump-fixtures.ts";
import { fixture, tempDir } from "../helpers.ts";
import {
  api,
  type CrashRow,
  clientScript,
  grownTo,
  KDUMP_UTILS_DUMP_SSH,
  makeKey,
  publicKey,
  settled,
  startServe,
} from "./serve-harness.ts";

const KDUMP_DIR = fixture("vmcore/6.1-kdump/var/crash/127.0.0.1-2026-11-25-03:13:13");
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** kdump-utils' collector output for the kdump fixture, made once: makedumpfile -l -d 31 -F. */
function flatStream(): string {
  const out = join(tempDir("kdx-flat-"), "vmcore.flat");
  const r = spawnSync("sh", [
    "-c",
    'makedumpfile -l --message-level 0 -d 31 -F "$1" > "$2"',
    "sh",
    unxz(join(KDUMP_DIR, "vmcore.elf.xz")),
    out,
  ]);
  assert.equal(r.status, 0, String(r.stderr));
  return out;
}

describe("kdx serve under load", () => {
  test("thirty clients uploading at once all land whole", async () => {
    const flat = flatStream();
    const keysDir = tempDir("kdx-keys-");
    const keys = Array.from({ length: 30 }, (_, i) => makeKey(keysDir, `host-${i}`));
    writeFileSync(join(keysDir, "authorized_keys"), keys.map((k) => `${publicKey(k)}\n`).join(""));
    const s = await startServe({
      authorizedKeys: join(keysDir, "authorized_keys"),
      args: ["--workers", "2"],
    });
    try {
      const dirs = keys.map((_, i) => `10.2.0.${i + 1}-2026-11-25-06:00:00`);
      // A fleet's crashes do not start in the same millisecond: 50 ms apart, the uploads overlapping, and
      // every one served under the default limits on connections not logged in (MaxStartups 50:30:100).
      const runs = await Promise.all(
        keys.map((k, i) =>
          new Promise((r) => setTimeout(r, i * 50)).then(() =>
            clientScript(s, k, KDUMP_UTILS_DUMP_SSH, {
              D: `/var/crash/${dirs[i]}`,
              FLAT: flat,
              DMESG: join(KDUMP_DIR, "vmcore-dmesg.txt"),
            }),
          ),
        ),
      );
      // How many vmcore uploads were under way at once, from the server's log.
      let now = 0;
      let most = 0;
      for (const l of s.log().split("\n")) {
        if (/: receiving .*\/vmcore-incomplete$/.test(l)) most = Math.max(most, ++now);
        else if (/\/vmcore-incomplete: \d+ bytes$/.test(l)) now--;
      }
      assert.ok(most >= 10, `at most ${most} uploads at once`);
      runs.forEach((r, i) => {
        assert.equal(r.status, 0, `client ${i}: ${r.stderr}`);
      });
      const want = sha(join(KDUMP_DIR, "vmcore"));
      for (const d of dirs) {
        const row = await settled(s, d, 300_000);
        assert.equal(row.state, "ready", d);
        assert.equal(sha(join(s.dataDir, d, "vmcore")), want, d);
        assert.equal(row.detail?.source, "vmcore");
      }
      const { signatures } = await api<{ signatures: { count: number }[] }>(s, "/api/signatures");
      assert.deepEqual(
        signatures.map((x) => x.count),
        [30],
      );
    } finally {
      await s.stop();
    }
  });

  test("kill -9 mid-upload: after a restart the partial upload shows as incomplete, the whole dump as ready", async () => {
    const flat = flatStream();
    const keysDir = tempDir("kdx-keys-");
    const key = makeKey(keysDir, "web-07");
    writeFileSync(join(keysDir, "authorized_keys"), `${publicKey(key)}\n`);
    const s = await startServe({ authorizedKeys: join(keysDir, "authorized_keys") });
    const hostKey = readFileSync(join(s.dataDir, ".kdx", "ssh_host_ed25519_key"), "utf8");
    const whole = "10.3.0.1-2026-11-25-07:00:00";
    const cut = "10.3.0.2-2026-11-25-07:00:00";
    const first = await clientScript(s, key, KDUMP_UTILS_DUMP_SSH, {
      D: `/var/crash/${whole}`,
      FLAT: flat,
      DMESG: join(KDUMP_DIR, "vmcore-dmesg.txt"),
    });
    assert.equal(first.status, 0, first.stderr);
    assert.equal((await settled(s, whole)).state, "ready");
    // Half the stream, then the sender stalls: the server dies under it.
    const half = Math.floor(statSync(flat).size / 2);
    const client = clientScript(
      s,
      key,
      `ssh -i "$KEY" "$TARGET" mkdir -p "$D" || exit 11
       F=$(mktemp -u); mkfifo "$F"; ( head -c ${half} "$FLAT"; exec sleep 60 ) > "$F" & W=$!
       ssh -i "$KEY" "$TARGET" "umask 0077 && dd bs=512 of='$D/vmcore-incomplete'" < "$F"; rc=$?
       kill $W 2>/dev/null; rm -f "$F"; exit $rc`,
      { D: `/var/crash/${cut}`, FLAT: flat },
    );
    const partial = join(s.dataDir, cut, "vmcore-incomplete");
    await grownTo(partial, half);
    assert.equal(statSync(partial).size, half);
    await s.kill9();
    const r = await client;
    assert.notEqual(r.status, 0);

    const s2 = await startServe({ authorizedKeys: join(keysDir, "authorized_keys"), dataDir: s.dataDir });
    try {
      // The host key survived: kdump's initrd pinned it.
      assert.equal(readFileSync(join(s.dataDir, ".kdx", "ssh_host_ed25519_key"), "utf8"), hostKey);
      assert.match(s2.log(), /1 upload\(s\) were cut off by the last shutdown: marked incomplete/);
      const { crashes } = await api<{ crashes: CrashRow[] }>(s2, "/api/crashes");
      const byDir = new Map(crashes.map((c) => [c.dir, c]));
      assert.equal(byDir.get(whole)?.state, "ready");
      const row = await api<CrashRow>(s2, `/api/crashes/${byDir.get(cut)!.id}`);
      assert.equal(row.state, "incomplete");
      assert.equal(row.upload, null);
      assert.deepEqual(
        row.files!.map((f) => [f.name, f.state]),
        [["vmcore-incomplete", "incomplete"]],
      );
      assert.equal(existsSync(join(s.dataDir, cut, "vmcore")), false);
      // A client retrying after the reboot cannot promote the cut-off file; a fresh upload replaces it.
      const again = await clientScript(s2, key, KDUMP_UTILS_DUMP_SSH, {
        D: `/var/crash/${cut}`,
        FLAT: flat,
        DMESG: join(KDUMP_DIR, "vmcore-dmesg.txt"),
      });
      assert.equal(again.status, 0, again.stderr);
      const done = await settled(s2, cut);
      assert.equal(done.state, "ready");
      assert.equal(sha(join(s.dataDir, cut, "vmcore")), sha(join(KDUMP_DIR, "vmcore")));
    } finally {
      await s2.stop();
    }
  });
});
