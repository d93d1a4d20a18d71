/**
 * The rules of the ssh target on their own: the exact command lines kdump-utils and kdump-tools send
 * (as ssh joins their arguments), where client paths land, authorized_keys lines and from= patterns.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import ssh2 from "ssh2";
import { addressAllowed, parseAuthorizedKeys } from "../../src/server/authorized-keys.ts";
import { PathRefused, resolveClientPath } from "../../src/server/client-path.ts";
import { hostOfDir } from "../../src/server/crash-index.ts";
import { roleOf } from "../../src/server/dump-store.ts";
import { CommandRefused, parseRemoteCommand } from "../../src/server/remote-command.ts";
import { dropStartup, loadOrCreateHostKey, makeHostKey, SSH_LIMITS } from "../../src/server/ssh-server.ts";
import { KdxError } from "../../src/util/errors.ts";
import { KDX, tempDir } from "../helpers.ts";

test("the command lines stock kdump clients send are understood", () => {
  const D = "/var/crash/192.168.122.5-2026-11-25-03:13:13";
  const cases: [string, object][] = [
    // kdumpctl at service start
    ["mkdir -p /var/crash", { kind: "mkdir", path: "/var/crash" }],
    ["mktemp -dqp /var/crash", { kind: "mktemp", dir: "/var/crash" }],
    ["rmdir /var/crash/tmp.Ab12Cd", { kind: "rmdir", path: "/var/crash/tmp.Ab12Cd" }],
    ["df --output=avail /var/crash", { kind: "df", path: "/var/crash" }],
    // kdump.sh's dump_ssh and save_vmcore_dmesg_ssh
    [`mkdir -p ${D}`, { kind: "mkdir", path: D }],
    [
      `umask 0077 && dd of='${D}/vmcore-dmesg-incomplete.txt'`,
      { kind: "dd", of: `${D}/vmcore-dmesg-incomplete.txt` },
    ],
    [
      `mv ${D}/vmcore-dmesg-incomplete.txt ${D}/vmcore-dmesg.txt`,
      { kind: "mv", from: `${D}/vmcore-dmesg-incomplete.txt`, to: `${D}/vmcore-dmesg.txt` },
    ],
    [`umask 0077 && dd bs=512 of='${D}/vmcore-incomplete'`, { kind: "dd", of: `${D}/vmcore-incomplete` }],
    [
      `mv '${D}/vmcore-incomplete' '${D}/vmcore.flat'`,
      { kind: "mv", from: `${D}/vmcore-incomplete`, to: `${D}/vmcore.flat` },
    ],
    // kdump-tools' kdump_save_core_to_ssh
    [
      "dd of=/var/crash/10.0.0.7-202611250313/dump-incomplete.gz",
      { kind: "dd", of: "/var/crash/10.0.0.7-202611250313/dump-incomplete.gz" },
    ],
    // scp's legacy sink, as OpenSSH 9 starts it (-O), to a file and to a directory
    [
      `scp -t ${D}/vmcore-incomplete`,
      { kind: "scp-sink", target: `${D}/vmcore-incomplete`, targetIsDir: false },
    ],
    [`scp -v -d -t -- ${D}/`, { kind: "scp-sink", target: `${D}/`, targetIsDir: true }],
  ];
  for (const [line, want] of cases) assert.deepEqual(parseRemoteCommand(line), want, line);
});

test("anything else is refused before it could reach a shell", () => {
  for (const line of [
    "",
    "sh",
    "bash -c 'id'",
    "rm -rf /var/crash",
    "mkdir -p /var/crash; id",
    "mkdir -p /var/crash && id",
    "umask 0077 && rm x",
    "dd of=/x if=/etc/shadow",
    "dd of=$(id)",
    'dd "of=`id`"',
    "mkdir -p /var/crash/x > /etc/passwd",
    "mv a",
    "mv -f a b",
    "scp -f /var/crash/x",
    "scp -r -t /var/crash/x",
    "mkdir -p 'unterminated",
    "mkdir /var/crash/x",
    "df /",
  ])
    assert.throws(() => parseRemoteCommand(line), CommandRefused, line);
});

test("client paths land under the save path, two levels deep at most", () => {
  assert.deepEqual(resolveClientPath("/var/crash", "/var/crash"), { level: "root" });
  assert.deepEqual(resolveClientPath("/var/crash//10.0.0.1-x/", "/var/crash"), {
    level: "dir",
    dir: "10.0.0.1-x",
  });
  assert.deepEqual(resolveClientPath("10.0.0.1-x/vmcore", "/var/crash"), {
    level: "file",
    dir: "10.0.0.1-x",
    file: "vmcore",
  });
  assert.deepEqual(resolveClientPath("/srv/dumps/./a/b", "/srv/dumps"), {
    level: "file",
    dir: "a",
    file: "b",
  });
  for (const p of [
    "/var/crash/../etc",
    "/etc/passwd",
    "/var/crashes/x",
    "/var/crash/a/b/c",
    "/var/crash/.kdx/index.sqlite",
    "/var/crash/a/.hidden",
    "a\0b",
    "/var/crash/-rf",
  ])
    assert.throws(() => resolveClientPath(p, "/var/crash"), PathRefused, p);
});

test("kdump's file names tell a vmcore and a log from the rest", () => {
  for (const n of [
    "vmcore",
    "vmcore.flat",
    "vmcore.202611250313",
    "dump.202611250313",
    "dump.202611250313.gz",
    "dump.202611250313.xz",
  ])
    assert.equal(roleOf(n), "vmcore", n);
  for (const n of ["vmcore-dmesg.txt", "dmesg.202611250313"]) assert.equal(roleOf(n), "dmesg", n);
  for (const n of [
    "vmcore-incomplete",
    "dump-incomplete.gz",
    "vmcore-dmesg-incomplete.txt",
    "kexec-dmesg.log",
    "opalcore",
  ])
    assert.equal(roleOf(n), "other", n);
  assert.equal(hostOfDir("10.0.0.5-2026-11-25-03:13:13"), "10.0.0.5");
  assert.equal(hostOfDir("web-01-202611250313"), "web-01");
  assert.equal(hostOfDir("127.0.0.1-2026-11-25-10:29:27.1"), "127.0.0.1");
});

test("authorized_keys: options, comments, fingerprints as ssh-keygen prints them, from= patterns", () => {
  const dir = tempDir();
  spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "db-7 kdump", "-f", join(dir, "k")]);
  const pub = readFileSync(join(dir, "k.pub"), "utf8").trim();
  const fp = spawnSync("ssh-keygen", ["-l", "-f", join(dir, "k.pub")], { encoding: "utf8" }).stdout.split(
    " ",
  )[1];
  const keys = parseAuthorizedKeys(
    `# comment\n\n${pub}\nfrom="10.0.0.0/8,!10.6.6.6,db-*.example.org",no-pty,command="echo hi" ${pub}\n`,
  );
  assert.equal(keys.length, 2);
  assert.equal(keys[0].comment, "db-7 kdump");
  assert.equal(keys[0].fingerprint, fp);
  assert.equal(keys[0].from, undefined);
  assert.deepEqual(keys[1].from, ["10.0.0.0/8", "!10.6.6.6", "db-*.example.org"]);
  assert.equal(addressAllowed(keys[0], "192.0.2.1"), true);
  assert.equal(addressAllowed(keys[1], "10.1.2.3"), true);
  assert.equal(addressAllowed(keys[1], "::ffff:10.1.2.3"), true);
  assert.equal(addressAllowed(keys[1], "10.6.6.6"), false);
  assert.equal(addressAllowed(keys[1], "192.0.2.1"), false);
  assert.throws(() => parseAuthorizedKeys("ssh-ed25519\n"), /not a public key line/);
});

test("kdx serve that cannot start says why in one line and exits, leaving nothing running", async () => {
  const { createServer } = await import("node:net");
  const busy = createServer().listen(0, "127.0.0.1");
  await new Promise((r) => busy.once("listening", r));
  const port = (busy.address() as { port: number }).port;
  const keys = join(tempDir(), "authorized_keys");
  writeFileSync(keys, "");
  const run = (args: string[]) =>
    spawnSync(KDX, ["serve", "--authorized-keys", keys, "--ssh-port", "0", ...args], {
      encoding: "utf8",
      timeout: 30_000,
    });
  try {
    const inUse = run(["--data", join(tempDir(), "d"), "--http-port", String(port)]);
    assert.equal(inUse.status, 2, inUse.stderr);
    assert.equal(inUse.stderr, `kdx: cannot listen for HTTP on 127.0.0.1:${port}: the port is in use\n`);
    const noDir = run(["--data", "/proc/kdx-nowhere", "--http-port", "0"]);
    assert.equal(noDir.status, 2);
    assert.match(noDir.stderr, /^kdx: cannot use \/proc\/kdx-nowhere as the data directory: ENOENT/);
    const noKeys = run([
      "--data",
      join(tempDir(), "d"),
      "--http-port",
      "0",
      "--authorized-keys",
      "/nonexistent",
    ]);
    assert.equal(noKeys.status, 2);
    assert.match(noKeys.stderr, /cannot read the authorized-keys file \/nonexistent/);
  } finally {
    busy.close();
  }
});

test("host keys: every one made can be read back; a stored one that cannot is named, with what to do", () => {
  // ssh2 makes a malformed ed25519 key about once in 256 (mscdex/ssh2#1390): 2000 tries meet one almost surely.
  for (let i = 0; i < 2000; i++) {
    const kp = makeHostKey();
    assert.ok(!(ssh2.utils.parseKey(kp.private) instanceof Error), `private key ${i}`);
    assert.ok(!(ssh2.utils.parseKey(kp.public) instanceof Error), `public key ${i}`);
  }
  const dir = tempDir();
  const made = loadOrCreateHostKey(dir);
  assert.deepEqual(loadOrCreateHostKey(dir), made, "kept, not made again");
  writeFileSync(
    join(dir, "ssh_host_ed25519_key"),
    "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
  );
  assert.throws(
    () => loadOrCreateHostKey(dir),
    (e: Error) =>
      e instanceof KdxError &&
      e.message.includes(join(dir, "ssh_host_ed25519_key")) &&
      /is not an SSH host key .*: remove it/.test(e.message),
  );
});

test("MaxStartups 10:30:100: none dropped below 10 pending, 30% at 10, rising linearly, all at 100", () => {
  const m = { start: 10, rate: 30, full: 100 };
  const drops = (pending: number, r: number) => dropStartup(pending, m, () => r);
  assert.deepEqual([drops(9, 0), drops(10, 0.29), drops(10, 0.31)], [false, true, false]);
  // Halfway from 10 to 100: 30% + 70% / 2 = 65%.
  assert.deepEqual([drops(55, 0.64), drops(55, 0.66), drops(100, 0.999)], [true, false, true]);
  // kdx's default: early drops from 50 pending, not sshd's 10 (see SSH_LIMITS).
  assert.deepEqual(SSH_LIMITS.maxStartups, { start: 50, rate: 30, full: 100 });
  assert.equal(
    dropStartup(49, SSH_LIMITS.maxStartups, () => 0),
    false,
  );
});
