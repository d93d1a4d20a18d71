/**
 * What `kdx serve` refuses, tried with the real OpenSSH client: unknown keys and keys from the wrong
 * address, anything but kdump's commands (a shell, rm, injection through arguments), paths with `..`,
 * absolute paths or symlinks leaving the client's tree, another client's directory, uploads past the quota.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmdirSync, symlinkSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { tempDir } from "../helpers.ts";
import {
  api,
  type CrashRow,
  clientScript,
  makeKey,
  publicKey,
  type Served,
  startServe,
} from "./serve-harness.ts";

describe("kdx serve refuses", () => {
  let s: Served;
  const keys = tempDir("kdx-keys-");
  const a = makeKey(keys, "host-a");
  const b = makeKey(keys, "host-b");
  const far = makeKey(keys, "far-away");
  const stranger = makeKey(keys, "stranger");
  const outside = tempDir("kdx-outside-");
  const canary = join(outside, "canary");

  before(async () => {
    writeFileSync(
      join(keys, "authorized_keys"),
      [
        `# kdump clients`,
        publicKey(a),
        `from="127.0.0.1,::1",no-pty ${publicKey(b)}`,
        `from="10.9.9.0/24" ${publicKey(far)}`,
        "",
      ].join("\n"),
    );
    writeFileSync(canary, "untouched\n");
    s = await startServe({ authorizedKeys: join(keys, "authorized_keys"), args: ["--quota", "4M"] });
  });
  after(() => s.stop());

  const run = (key: string, script: string) => clientScript(s, key, script);

  test("a malformed percent-encoding in a URL is the client's error (400), and the server goes on", async () => {
    for (const path of ["/%E0%A4%A", "/files/%ZZ/vmcore", "/api/crashes/%"]) {
      const status = await new Promise<number>((resolve, reject) =>
        get(`${s.base}${path}`, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        }).on("error", reject),
      );
      assert.equal(status, 400, path);
    }
    assert.ok(Array.isArray((await api<{ crashes: CrashRow[] }>(s, "/api/crashes")).crashes));
  });

  test("unknown keys, and keys presented from an address their from= does not allow", async () => {
    for (const key of [stranger, far]) {
      const r = await run(key, `ssh -i "$KEY" -o BatchMode=yes "$TARGET" mkdir -p /var/crash/x`);
      assert.equal(r.status, 255, r.stderr);
      assert.match(r.stderr, /Permission denied \(publickey\)/);
    }
    assert.match(s.log(), /not authorized/);
    const ok = await run(
      b,
      `ssh -i "$KEY" -o BatchMode=yes "$TARGET" mkdir -p /var/crash/10.1.1.2-2026-11-25-05:00:00`,
    );
    assert.equal(ok.status, 0, ok.stderr);
  });

  test("a shell, other commands, and command injection through arguments", async () => {
    const pwned = join(outside, "pwned");
    const tries: [string, RegExp][] = [
      [`ssh -i "$KEY" "$TARGET" rm -rf /var/crash`, /"rm" is not a command kdump runs/],
      [`ssh -i "$KEY" "$TARGET" sh -c id`, /"sh" is not a command/],
      [`ssh -i "$KEY" "$TARGET" "mkdir -p /var/crash/x; touch ${pwned}"`, /shell syntax ";"/],
      [`ssh -i "$KEY" "$TARGET" mkdir -p '/var/crash/$(touch ${pwned})'`, /shell syntax "\$"/],
      [`ssh -i "$KEY" "$TARGET" "dd of=/var/crash/x/\\\`touch ${pwned}\\\`"`, /shell syntax "`"/],
      [
        `ssh -i "$KEY" "$TARGET" "umask 0077 && dd of=/var/crash/x/y && touch ${pwned}"`,
        /only `umask NNN && dd/,
      ],
      [`ssh -i "$KEY" "$TARGET" "dd if=/etc/shadow of=/var/crash/x/y"`, /dd operand "if=\/etc\/shadow"/],
      [`ssh -i "$KEY" "$TARGET" "mv /var/crash/x/a /var/crash/x/b | touch ${pwned}"`, /shell syntax "\|"/],
      [`ssh -i "$KEY" "$TARGET" scp -f /var/crash/x/vmcore`, /downloads \(scp -f\) are not served/],
    ];
    for (const [cmd, why] of tries) {
      const r = await run(a, cmd);
      assert.notEqual(r.status, 0, cmd);
      assert.match(r.stderr, why, cmd);
    }
    const shell = await run(a, `ssh -tt -i "$KEY" "$TARGET" < /dev/null`);
    assert.notEqual(shell.status, 0);
    assert.equal(existsSync(pwned), false);
  });

  test("paths with .., absolute paths outside the save path, deeper paths, symlinks", async () => {
    const D = "/var/crash/10.1.1.1-2026-11-25-05:00:00";
    assert.equal((await run(a, `ssh -i "$KEY" "$TARGET" mkdir -p ${D}`)).status, 0);
    const tries: [string, RegExp][] = [
      [`ssh -i "$KEY" "$TARGET" mkdir -p /var/crash/../../etc`, /"\.\." is not allowed/],
      [`ssh -i "$KEY" "$TARGET" mkdir -p /etc/cron.d`, /outside the dump area/],
      [`echo x | ssh -i "$KEY" "$TARGET" "dd of=${D}/../../../tmp/x"`, /"\.\." is not allowed/],
      [`echo x | ssh -i "$KEY" "$TARGET" "dd of=${outside}/x"`, /outside the dump area/],
      [`ssh -i "$KEY" "$TARGET" mkdir -p ${D}/deeper/still`, /only DUMPDIR\/FILE/],
      [`scp -q -i "$KEY" "$KEY.pub" "$TARGET:/etc/x"`, /outside the dump area|Permission denied/],
      [`scp -q -O -i "$KEY" "$KEY.pub" "$TARGET:${D}/../x"`, /"\.\." is not allowed/],
      [
        `scp -q -O -r -i "$KEY" "$(dirname "$KEY")" "$TARGET:${D}/"`,
        /directories \(scp -r\) are not accepted/,
      ],
    ];
    for (const [cmd, why] of tries) {
      const r = await run(a, cmd);
      assert.notEqual(r.status, 0, cmd);
      assert.match(r.stderr, why, cmd);
    }
    // A symlink planted inside the client's directory, and a dump directory swapped for one.
    const dir = join(s.dataDir, "10.1.1.1-2026-11-25-05:00:00");
    symlinkSync(canary, join(dir, "vmcore-incomplete"));
    const viaFile = await run(a, `echo evil | ssh -i "$KEY" "$TARGET" "dd of=${D}/vmcore-incomplete"`);
    assert.notEqual(viaFile.status, 0);
    assert.match(viaFile.stderr, /is a symbolic link/);
    const E = "10.1.1.3-2026-11-25-05:00:00";
    assert.equal((await run(a, `ssh -i "$KEY" "$TARGET" mkdir -p /var/crash/${E}`)).status, 0);
    rmdirSync(join(s.dataDir, E));
    symlinkSync(outside, join(s.dataDir, E));
    const viaDir = await run(a, `echo evil | ssh -i "$KEY" "$TARGET" "dd of=/var/crash/${E}/canary"`);
    assert.notEqual(viaDir.status, 0);
    assert.match(viaDir.stderr, /is a symbolic link/);
    const sftp = await run(
      a,
      `printf 'put %s /var/crash/${E}/x\\n' "$KEY.pub" | sftp -b - -i "$KEY" "$TARGET"`,
    );
    assert.notEqual(sftp.status, 0);
    assert.equal(readFileSync(canary, "utf8"), "untouched\n");
    assert.deepEqual(readdirSync(outside).sort(), ["canary"]);
  });

  test("another client's dump directory", async () => {
    const D = "/var/crash/10.1.1.4-2026-11-25-05:00:00";
    const mine = await run(
      a,
      `ssh -i "$KEY" "$TARGET" mkdir -p ${D} && echo data | ssh -i "$KEY" "$TARGET" "dd of=${D}/vmcore-dmesg-incomplete.txt"`,
    );
    assert.equal(mine.status, 0, mine.stderr);
    for (const cmd of [
      `echo overwrite | ssh -i "$KEY" "$TARGET" "dd of=${D}/vmcore-dmesg-incomplete.txt"`,
      `ssh -i "$KEY" "$TARGET" mv ${D}/vmcore-dmesg-incomplete.txt ${D}/vmcore-dmesg.txt`,
      `ssh -i "$KEY" "$TARGET" rmdir ${D}`,
      `scp -q -i "$KEY" "$KEY.pub" "$TARGET:${D}/x"`,
    ]) {
      const r = await run(b, cmd);
      assert.notEqual(r.status, 0, cmd);
      assert.match(r.stderr, /belongs to another client|No such file|Permission denied/, cmd);
    }
    assert.equal(
      readFileSync(join(s.dataDir, "10.1.1.4-2026-11-25-05:00:00", "vmcore-dmesg-incomplete.txt"), "utf8"),
      "data\n",
    );
  });

  test("uploads past the client's quota are stopped with a message, and stay incomplete", async () => {
    const D = "/var/crash/10.1.1.5-2026-11-25-05:00:00";
    const r = await run(
      b,
      `ssh -i "$KEY" "$TARGET" mkdir -p ${D} && head -c 6000000 /dev/urandom | ssh -i "$KEY" "$TARGET" "umask 0077 && dd bs=512 of='${D}/vmcore-incomplete'"`,
    );
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /quota exceeded: host-b may store 4194304 bytes/);
    const { crashes } = await api<{ crashes: CrashRow[] }>(s, "/api/crashes");
    const row = crashes.find((c) => c.dir === "10.1.1.5-2026-11-25-05:00:00")!;
    const full = await api<CrashRow>(s, `/api/crashes/${row.id}`);
    assert.equal(full.state, "incomplete");
    assert.deepEqual(
      full.files!.map((f) => [f.name, f.state]),
      [["vmcore-incomplete", "incomplete"]],
    );
    assert.ok(full.files![0].bytes <= 4 << 20);
    // The cut-off file cannot be passed off as whole.
    const mv = await run(b, `ssh -i "$KEY" "$TARGET" mv ${D}/vmcore-incomplete ${D}/vmcore.flat`);
    assert.notEqual(mv.status, 0);
    assert.match(mv.stderr, /its upload was cut off, it is not whole/);
    // df tells a client what it may still store.
    const df = await run(b, `ssh -i "$KEY" "$TARGET" df --output=avail /var/crash | tail -1`);
    assert.ok(Number(df.stdout.trim()) <= 4096, df.stdout);
  });

  test("uploads that would take the disk below the free-space floor", async () => {
    // A floor above any real disk's free space: every upload is refused before it writes a byte.
    const floor = await startServe({
      authorizedKeys: join(keys, "authorized_keys"),
      args: ["--min-free", "1000000T"],
    });
    try {
      const D = "/var/crash/10.1.1.6-2026-11-25-05:00:00";
      const r = await clientScript(
        floor,
        a,
        `ssh -i "$KEY" "$TARGET" mkdir -p ${D} || exit 11
         ssh -i "$KEY" "$TARGET" df --output=avail /var/crash | tail -1
         echo data | ssh -i "$KEY" "$TARGET" "umask 0077 && dd of='${D}/vmcore-dmesg-incomplete.txt'"`,
      );
      assert.notEqual(r.status, 0);
      assert.equal(r.stdout.trim(), "0");
      assert.match(
        r.stderr,
        /below its free-disk floor; upload of 10\.1\.1\.6-2026-11-25-05:00:00\/vmcore-dmesg-incomplete\.txt refused/,
      );
      assert.deepEqual(readdirSync(join(floor.dataDir, "10.1.1.6-2026-11-25-05:00:00")), []);
    } finally {
      await floor.stop();
    }
  });
});
