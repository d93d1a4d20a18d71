/**
 * A partial upload never passes for a whole one: the real OpenSSH client killed by a signal in the middle of
 * a `dd` upload leaves a file the server records as incomplete, never analysed, and never promoted by `mv`.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { unxz } from "../dump-fixtures.ts";
import { fixture, tempDir } from "../helpers.ts";
import {
  api,
  type CrashRow,
  clientScript,
  grownTo,
  makeKey,
  publicKey,
  type Served,
  settled,
  startServe,
} from "./serve-harness.ts";

const ELF = unxz(fixture("vmcore/6.1-null/vmcore.elf.xz"));
const CUT = 40_000_000;

/**
 * Send the first CUT bytes of the ELF through `ssh … dd of=$D/$NAME`, the sender then stalling; once the
 * server holds every one of those bytes, kill -9 the ssh client. Then try kdump-utils' `mv`, as its script
 * would after a failed dd if it did not check (it does: `|| exit`; a client that retries runs it again).
 */
const KILLED_DD = `
  ssh -i "$KEY" "$TARGET" mkdir -p "$D" || exit 11
  F=$(mktemp -u); mkfifo "$F"; ( head -c ${CUT} "$ELF"; exec sleep 60 ) > "$F" & W=$!
  ssh -i "$KEY" "$TARGET" "umask 0077 && dd bs=512 of='$D/$NAME'" < "$F" & P=$!
  for i in $(seq 600); do [ "$(stat -c %s "$SERVED" 2>/dev/null)" = ${CUT} ] && break; sleep 0.05; done
  kill -9 $P; wait $P; echo "ssh: $?"
  kill $W; rm -f "$F"
  if [ -n "$MV_TO" ]; then ssh -i "$KEY" "$TARGET" mv "$D/$NAME" "$D/$MV_TO"; echo "mv: $?"; fi
`;

async function crashRow(s: Awaited<ReturnType<typeof startServe>>, dir: string): Promise<CrashRow> {
  const { crashes } = await api<{ crashes: CrashRow[] }>(s, "/api/crashes");
  const row = crashes.find((c) => c.dir === dir);
  assert.ok(row, `${dir} is not in the index`);
  return api<CrashRow>(s, `/api/crashes/${row.id}`);
}

/** Wait for the server to take the upload as ended (the SSH connection's death reaches it a little later). */
async function uploadEnded(s: Awaited<ReturnType<typeof startServe>>, dir: string): Promise<CrashRow> {
  for (let i = 0; ; i++) {
    const row = await crashRow(s, dir);
    if (row.files?.every((f) => f.state !== "receiving")) return row;
    if (i > 200) throw new Error(`the upload in ${dir} never ended: ${JSON.stringify(row)}\n${s.log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A little later, the dump is still incomplete and nothing was analysed as a dump: no title, no signature. */
async function assertNotAnalysed(s: Served, dir: string): Promise<void> {
  await new Promise((res) => setTimeout(res, 500));
  const after = await crashRow(s, dir);
  assert.equal(after.state, "incomplete");
  assert.equal(after.signature, null);
}

describe("kdx serve: an ssh client killed mid-upload", () => {
  const keysDir = tempDir("kdx-keys-");
  const key = makeKey(keysDir, "db-03");
  writeFileSync(join(keysDir, "authorized_keys"), `${publicKey(key)}\n`);

  for (const [name, mvTo] of [
    ["vmcore-incomplete", "vmcore"],
    ["vmcore", ""],
  ]) {
    test(`dd of=${name}, the client killed with SIGKILL${mvTo ? `, then mv to ${mvTo}` : ""}: incomplete, not analysed`, async () => {
      const s = await startServe({ authorizedKeys: join(keysDir, "authorized_keys") });
      try {
        const dir = `10.5.0.1-2026-12-07-01:00:00`;
        const r = await clientScript(s, key, KILLED_DD, {
          D: `/var/crash/${dir}`,
          NAME: name,
          ELF,
          SERVED: join(s.dataDir, dir, name),
          MV_TO: mvTo,
        });
        assert.match(r.stdout, /^ssh: 137$/m, r.stderr);
        const row = await uploadEnded(s, dir);
        assert.deepEqual(
          row.files!.map((f) => [f.name, f.state, f.bytes]),
          [[name, "incomplete", CUT]],
        );
        assert.equal(row.state, "incomplete");
        assert.doesNotMatch(s.log(), new RegExp(`${name}: ${CUT} bytes`));
        assert.match(
          s.log(),
          /cut off after 40000000 bytes \(the client went away mid-upload\): kept as incomplete/,
        );
        if (mvTo) {
          assert.match(r.stdout, /^mv: 1$/m, "the rename of a cut-off upload is refused");
          assert.match(r.stderr, /incomplete/);
          assert.equal(existsSync(join(s.dataDir, dir, mvTo)), false);
        }
        await assertNotAnalysed(s, dir);
      } finally {
        await s.stop();
      }
    });
  }
});

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** Every file of every dump: the index's size and state against the disk's. */
async function assertIndexMatchesDisk(s: Served): Promise<CrashRow[]> {
  const { crashes } = await api<{ crashes: CrashRow[] }>(s, "/api/crashes");
  const rows: CrashRow[] = [];
  for (const c of crashes) {
    const row = await api<CrashRow>(s, `/api/crashes/${c.id}`);
    const dir = join(s.dataDir, row.dir);
    const onDisk = readdirSync(dir).sort();
    assert.deepEqual(
      row.files!.map((f) => f.name),
      onDisk,
      `${row.dir}: the index's files are the disk's`,
    );
    for (const f of row.files!)
      assert.equal(f.bytes, statSync(join(dir, f.name)).size, `${row.dir}/${f.name}`);
    rows.push(row);
  }
  return rows;
}

describe("kdx serve: an scp or sftp client killed mid-upload", () => {
  const keysDir = tempDir("kdx-keys-");
  const key = makeKey(keysDir, "db-04");
  writeFileSync(join(keysDir, "authorized_keys"), `${publicKey(key)}\n`);
  for (const [way, send] of [
    ["scp -O", `scp -O -l 40000 -i "$KEY" "$ELF" "$TARGET:$D/vmcore"`],
    ["sftp", `scp -s -l 40000 -i "$KEY" "$ELF" "$TARGET:$D/vmcore"`],
  ]) {
    test(`${way}, the client killed with SIGKILL: the file is incomplete, its size the disk's, not analysed`, async () => {
      const s = await startServe({ authorizedKeys: join(keysDir, "authorized_keys") });
      try {
        const dir = "10.5.0.2-2026-12-07-01:00:00";
        const served = join(s.dataDir, dir, "vmcore");
        const r = await clientScript(
          s,
          key,
          `ssh -i "$KEY" "$TARGET" mkdir -p "$D" || exit 11
           ${send} & P=$!
           for i in $(seq 600); do [ "$(stat -c %s "$SERVED" 2>/dev/null || echo 0)" -ge 8388608 ] && break; sleep 0.02; done
           kill -9 $P; wait $P; echo "client: $?"`,
          { D: `/var/crash/${dir}`, ELF, SERVED: served },
        );
        assert.match(r.stdout, /^client: 137$/m, r.stderr);
        const row = await uploadEnded(s, dir);
        assert.deepEqual(
          row.files!.map((f) => [f.name, f.state, f.bytes]),
          [["vmcore", "incomplete", statSync(served).size]],
        );
        assert.ok(statSync(served).size < statSync(ELF).size);
        await assertNotAnalysed(s, dir);
      } finally {
        await s.stop();
      }
    });
  }
});

describe("kdx serve: the server killed with SIGKILL mid-upload, by every way in", () => {
  const keysDir = tempDir("kdx-keys-");
  const key = makeKey(keysDir, "web-11");
  writeFileSync(join(keysDir, "authorized_keys"), `${publicKey(key)}\n`);
  const token = "upload-token-for-the-fault-test";
  writeFileSync(join(keysDir, "tokens"), `ci:${token}\n`);
  const ways: [string, string][] = [
    [
      // The sender stalls after CUT bytes, long enough to be cut off by the server's death.
      "ssh dd",
      `( head -c ${CUT} "$ELF"; exec sleep 5 ) | ssh -i "$KEY" "$TARGET" "dd bs=512 of='$D/vmcore'"`,
    ],
    ["scp -O", `scp -O -l 40000 -i "$KEY" "$ELF" "$TARGET:$D/vmcore"`],
    ["sftp", `scp -s -l 40000 -i "$KEY" "$ELF" "$TARGET:$D/vmcore"`],
  ];

  for (const [way, send] of ways) {
    test(`${way}: after a restart the index agrees with the disk; the cut-off file is incomplete, the whole dump still ready`, async () => {
      const s = await startServe({ authorizedKeys: join(keysDir, "authorized_keys") });
      const whole = "10.7.0.1-2026-12-07-03:00:00";
      const cut = "10.7.0.2-2026-12-07-03:00:00";
      const first = await clientScript(
        s,
        key,
        `ssh -i "$KEY" "$TARGET" mkdir -p "$D" && scp -q -i "$KEY" "$ELF" "$TARGET:$D/vmcore"`,
        { D: `/var/crash/${whole}`, ELF },
      );
      assert.equal(first.status, 0, first.stderr);
      assert.equal((await settled(s, whole)).state, "ready");
      const client = clientScript(s, key, `ssh -i "$KEY" "$TARGET" mkdir -p "$D" || exit 11\n${send}`, {
        D: `/var/crash/${cut}`,
        ELF,
      });
      const partial = join(s.dataDir, cut, "vmcore");
      await grownTo(partial, 8 << 20);
      await s.kill9();
      await client;

      const s2 = await startServe({ authorizedKeys: join(keysDir, "authorized_keys"), dataDir: s.dataDir });
      try {
        const rows = await assertIndexMatchesDisk(s2);
        const byDir = new Map(rows.map((r) => [r.dir, r]));
        assert.equal(byDir.get(cut)!.state, "incomplete");
        assert.equal(byDir.get(cut)!.signature, null);
        assert.deepEqual(
          byDir.get(cut)!.files!.map((f) => f.state),
          ["incomplete"],
        );
        assert.equal(byDir.get(whole)!.state, "ready");
        assert.equal(sha(join(s.dataDir, whole, "vmcore")), sha(ELF));
      } finally {
        await s2.stop();
      }
    });
  }

  test("HTTP: a body cut off by the server's death; the index after a restart counts what is on disk", async () => {
    const s = await startServe({
      authorizedKeys: join(keysDir, "authorized_keys"),
      args: ["--tokens", join(keysDir, "tokens")],
    });
    const curl = spawn(
      "curl",
      [
        "-s",
        "--limit-rate",
        "5M",
        "-T",
        ELF,
        "-H",
        `Authorization: Bearer ${token}`,
        `${s.base}/api/upload/vmcore`,
      ],
      { stdio: "ignore" },
    );
    const exited = new Promise((r) => curl.once("exit", r));
    let partial: string | undefined;
    for (let i = 0; i < 600 && !partial; i++) {
      await new Promise((r) => setTimeout(r, 20));
      for (const d of readdirSync(s.dataDir).filter((x) => !x.startsWith("."))) {
        const f = join(s.dataDir, d, "vmcore");
        if (existsSync(f) && statSync(f).size >= 4 << 20) partial = f;
      }
    }
    assert.ok(partial, "the upload began");
    await s.kill9();
    await exited;
    const s2 = await startServe({ authorizedKeys: join(keysDir, "authorized_keys"), dataDir: s.dataDir });
    try {
      const [row] = await assertIndexMatchesDisk(s2);
      assert.equal(row.state, "incomplete");
      assert.deepEqual(
        row.files!.map((f) => f.state),
        ["incomplete"],
      );
    } finally {
      await s2.stop();
    }
  });

  test("the index lost: a dump found on disk is whole only if its bytes say so, never by its name", async () => {
    const s = await startServe({ authorizedKeys: join(keysDir, "authorized_keys") });
    await s.stop();
    // Two directories copied in: a whole ELF, and one cut short under the final name "vmcore".
    const whole = join(s.dataDir, "10.8.0.1-2026-12-07-04:00:00");
    const cut = join(s.dataDir, "10.8.0.2-2026-12-07-04:00:00");
    for (const d of [whole, cut]) {
      mkdirSync(d);
      copyFileSync(ELF, join(d, "vmcore"));
    }
    truncateSync(join(cut, "vmcore"), CUT);
    rmSync(join(s.dataDir, ".kdx", "index.sqlite"));
    const s2 = await startServe({ authorizedKeys: join(keysDir, "authorized_keys"), dataDir: s.dataDir });
    try {
      const w = await settled(s2, "10.8.0.1-2026-12-07-04:00:00");
      assert.equal(w.state, "ready");
      const rows = await assertIndexMatchesDisk(s2);
      const c = rows.find((r) => r.dir === "10.8.0.2-2026-12-07-04:00:00")!;
      assert.equal(c.state, "incomplete");
      assert.deepEqual(
        c.files!.map((f) => f.state),
        ["incomplete"],
      );
      assert.match(
        s2.log(),
        /10\.8\.0\.2-2026-12-07-04:00:00\/vmcore: not a whole dump \(.*truncated.*\): kept as incomplete/,
      );
    } finally {
      await s2.stop();
    }
  });
});

describe("kdx serve: the data disk fills up under an upload", () => {
  for (const at of [8 << 20, 24 << 20])
    test(`a 40 MiB tmpfs as the data directory, filled ${at >> 20} MiB into an upload: the upload stops incomplete; after a restart the index agrees with the disk`, async (t) => {
      if (process.getuid?.() !== 0) {
        t.diagnostic(
          "not root: no tmpfs can be mounted; the quota and free-space-floor tests stop uploads instead",
        );
        return;
      }
      const mnt = tempDir("kdx-full-");
      const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=40m", "tmpfs", mnt], { encoding: "utf8" });
      if (m.status !== 0) {
        t.diagnostic(
          `mount refused (${m.stderr.trim()}): the quota and free-space-floor tests stop uploads instead`,
        );
        return;
      }
      try {
        const keysDir = tempDir("kdx-keys-");
        const key = makeKey(keysDir, "fs-01");
        writeFileSync(join(keysDir, "authorized_keys"), `${publicKey(key)}\n`);
        // No free-space floor: the disk itself runs out.
        const s = await startServe({
          authorizedKeys: join(keysDir, "authorized_keys"),
          dataDir: join(mnt, "data"),
          args: ["--min-free", "0"],
        });
        const dir = "10.9.0.1-2026-12-07-05:00:00";
        const go = join(tempDir("kdx-go-"), "go");
        // Half of it sent, then something else fills the disk, then the rest comes.
        const client = clientScript(
          s,
          key,
          `ssh -i "$KEY" "$TARGET" mkdir -p "$D" || exit 11
         ( head -c ${at} "$ELF"; while [ ! -e "$GO" ]; do sleep 0.1; done; tail -c +${at + 1} "$ELF" ) |
           ssh -i "$KEY" "$TARGET" "dd bs=512 of='$D/vmcore'"`,
          { D: `/var/crash/${dir}`, ELF, GO: go },
        );
        const partial = join(mnt, "data", dir, "vmcore");
        await grownTo(partial, at);
        spawnSync("dd", ["if=/dev/zero", `of=${join(mnt, "filler")}`, "bs=1M"], { stdio: "ignore" });
        writeFileSync(go, "");
        const r = await client;
        assert.notEqual(r.status, 0);
        // The write that found the disk full, or the free-space check that saw it first.
        assert.match(r.stderr, /disk is full|disk is at its free-space floor/, s.log());
        // The index lives on the same disk: what it could not record, the restart sets right. Space is
        // made first, as an administrator would.
        rmSync(join(mnt, "filler"));
        await s.kill9();
        const s2 = await startServe({
          authorizedKeys: join(keysDir, "authorized_keys"),
          dataDir: join(mnt, "data"),
          args: ["--min-free", "0"],
        });
        try {
          const rows = await assertIndexMatchesDisk(s2);
          assert.equal(rows[0].state, "incomplete");
          assert.deepEqual(
            rows[0].files!.map((f) => f.state),
            ["incomplete"],
          );
        } finally {
          await s2.stop();
        }
      } finally {
        spawnSync("umount", [mnt]);
      }
    });
});
