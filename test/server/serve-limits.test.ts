/**
 * sshd's limits on connections that have not logged in, with the real OpenSSH client and raw TCP: 1,000 idle
 * connections at once are capped (MaxStartups), closed after the login grace time (LoginGraceTime), and an
 * upload already under way lands whole through it all; a client trying key after key is cut off
 * (MaxAuthTries).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import { describe, test } from "node:test";
import ssh2 from "ssh2";
import { unxz } from "../dump-fixtures.ts";
import { fixture, tempDir } from "../helpers.ts";
import {
  api,
  type CrashRow,
  clientScript,
  grownTo,
  makeKey,
  publicKey,
  startServe,
} from "./serve-harness.ts";

const ELF = unxz(fixture("vmcore/6.1-null/vmcore.elf.xz"));
const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("kdx serve: limits on connections not logged in", () => {
  const keysDir = tempDir("kdx-keys-");
  const key = makeKey(keysDir, "app-01");
  writeFileSync(join(keysDir, "authorized_keys"), `${publicKey(key)}\n`);

  test("1,000 idle connections: capped at MaxStartups' 100, closed after the grace time; an upload under way lands whole", async () => {
    const s = await startServe({
      authorizedKeys: join(keysDir, "authorized_keys"),
      args: ["--login-grace-time", "3"],
    });
    const go = join(tempDir("kdx-go-"), "go");
    try {
      const dir = "10.6.0.1-2026-12-07-02:00:00";
      const served = join(s.dataDir, dir, "vmcore");
      const half = Math.floor(statSync(ELF).size / 2);
      // An upload that has logged in and sent half its dump, then waits for the flood to be over (GO).

      const upload = clientScript(
        s,
        key,
        `ssh -i "$KEY" "$TARGET" mkdir -p "$D" || exit 11
         ( head -c ${half} "$ELF"; while [ ! -e "$GO" ]; do sleep 0.1; done; tail -c +$((${half} + 1)) "$ELF" ) |
           ssh -i "$KEY" "$TARGET" "dd bs=512 of='$D/vmcore'"`,
        { D: `/var/crash/${dir}`, ELF, GO: go },
      );
      await grownTo(served, half);
      assert.equal(statSync(served).size, half);

      const sockets: Socket[] = [];
      let closed = 0;
      for (let i = 0; i < 1000; i++) {
        const c = connect(s.sshPort, "127.0.0.1");
        c.on("error", () => {});
        c.resume(); // read what the server sends (its version line), so that its close is seen
        c.on("close", () => closed++);
        sockets.push(c);
      }
      await sleep(1500);
      const open = 1000 - closed;
      assert.ok(open <= 100 && open >= 10, `${open} idle connections open`);
      assert.match(s.log(), /dropped: \d+ connections are not logged in yet \(MaxStartups\)/);
      // The grace time closes every one of them.
      for (let i = 0; i < 100 && closed < 1000; i++) await sleep(100);
      assert.equal(closed, 1000);
      assert.match(s.log(), /not logged in after 3 s: closed/);

      writeFileSync(go, "");
      const r = await upload;
      assert.equal(r.status, 0, r.stderr);
      assert.equal(sha(served), sha(ELF));
      // New clients are served again.
      const again = await clientScript(
        s,
        key,
        `ssh -i "$KEY" "$TARGET" mkdir -p /var/crash/10.6.0.2-2026-12-07-02:00:00`,
      );
      assert.equal(again.status, 0, again.stderr);
      const { crashes } = await api<{ crashes: CrashRow[] }>(s, "/api/crashes");
      assert.ok(crashes.some((c) => c.dir === dir));
    } finally {
      writeFileSync(go, "");
      await s.stop();
    }
  });

  test("a client trying key after key is disconnected after 6 attempts (MaxAuthTries), the authorized key 8th", async () => {
    const s = await startServe({ authorizedKeys: join(keysDir, "authorized_keys") });
    try {
      const strangers = Array.from({ length: 7 }, (_, i) => makeKey(keysDir, `stranger-${i}`));
      const r = await clientScript(
        s,
        key,
        `ssh -o IdentitiesOnly=yes ${strangers.map((k) => `-i ${k}`).join(" ")} -i "$KEY" "$TARGET" mkdir -p /var/crash/x`,
      );
      assert.notEqual(r.status, 0);
      assert.match(s.log(), /6 failed authentication attempts: disconnected \(MaxAuthTries\)/);
      assert.equal((s.log().match(/not authorized/g) ?? []).length, 6);
      assert.ok(!existsSync(join(s.dataDir, "x")));
    } finally {
      await s.stop();
    }
  });

  test("a signature that does not verify (an authorized key, its signature forged) is refused and logged", async () => {
    const s = await startServe({ authorizedKeys: join(keysDir, "authorized_keys") });
    try {
      // ssh2's own client, its signing replaced: OpenSSH's cannot be made to send a bad signature.
      const real = ssh2.utils.parseKey(readFileSync(key));
      if (real instanceof Error) throw real;
      const forged = Object.assign(Object.create(Object.getPrototypeOf(real)), real);
      forged.sign = (data: Buffer, algo?: string) => {
        const sig = real.sign(data, algo) as Buffer;
        sig[0] ^= 0xff;
        return sig;
      };
      let tries = 0;
      const outcome = await new Promise<string>((resolve) => {
        const c = new ssh2.Client();
        c.on("ready", () => {
          c.end();
          resolve("logged in");
        });
        c.on("error", (e) => resolve(e.message));
        c.connect({
          host: "127.0.0.1",
          port: s.sshPort,
          username: "kdump",
          hostVerifier: () => true,
          authHandler: (_methods, _partial, next) =>
            tries++ < 1 ? next({ type: "publickey", username: "kdump", key: forged }) : next(false as never),
        });
      });
      assert.match(outcome, /authentication methods failed/);
      const line = /key SHA256:\S+ \(app-01\): the signature does not verify/;
      for (let i = 0; i < 40 && !line.test(s.log()); i++) await sleep(50);
      assert.match(s.log(), line);
    } finally {
      await s.stop();
    }
  });
});
