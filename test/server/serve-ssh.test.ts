/**
 * `kdx serve` as a kdump ssh target, driven by the real OpenSSH client with the command sequences of
 * RHEL's kdump-utils and Debian's kdump-tools, fed by the real makedumpfile: dumps land in kdump's layout,
 * flattened and compressed streams are restored to kdump-compressed, and the crash is indexed.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { unxz } from "../dump-fixtures.ts";
import { fixture, kdx, tempDir } from "../helpers.ts";
import { api, clientScript, makeKey, publicKey, type Served, settled, startServe } from "./serve-harness.ts";

const KDUMP_DIR = fixture("vmcore/6.1-kdump/var/crash/127.0.0.1-2026-11-25-03:13:13");
const KDUMP_ELF = unxz(join(KDUMP_DIR, "vmcore.elf.xz"));
const NULL_ELF = unxz(fixture("vmcore/6.1-null/vmcore.elf.xz"));
const manifest = (name: string) => JSON.parse(readFileSync(fixture(`vmcore/${name}/MANIFEST.json`), "utf8"));

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** The title kdx oops gives on a text log, from the CLI: what the index must agree with. */
function oopsTitle(file: string): string {
  const r = kdx(["oops", "--json", file]);
  assert.equal(r.status, 0, r.stderr);
  const reports = JSON.parse(r.stdout).reports as { title: string; event: boolean }[];
  return (reports.find((x) => !x.event) ?? reports[0]).title;
}

describe("kdx serve: stock kdump clients over ssh", () => {
  let s: Served;
  let key: string;
  const keys = tempDir("kdx-keys-");

  before(async () => {
    key = makeKey(keys, "web-01");
    writeFileSync(join(keys, "authorized_keys"), `${publicKey(key)}\n`);
    s = await startServe({ authorizedKeys: join(keys, "authorized_keys") });
  });
  after(() => s.stop());

  test("kdump-utils: service-start checks, vmcore-dmesg.txt and a makedumpfile -F stream through dd, kexec-dmesg.log by scp", async () => {
    const D = "/var/crash/10.0.0.5-2026-11-25-03:13:13";
    // kdumpctl's mkdir_save_path_ssh and check_size, then kdump.sh's dump_ssh, as the scripts spell them.
    const r = await clientScript(
      s,
      "",
      `
      _opt="-i $KEY -o BatchMode=yes -o StrictHostKeyChecking=yes"
      ssh -qn $_opt "$TARGET" mkdir -p /var/crash || exit 11
      _dir=$(ssh -qn $_opt "$TARGET" mktemp -dqp /var/crash 2>/dev/null) || exit 12
      ssh -qn $_opt "$TARGET" rmdir "$_dir" || exit 13
      avail=$(ssh -qn $_opt "$TARGET" df --output=avail /var/crash | tail -1)
      [ "$avail" -gt 0 ] || exit 14
      _ssh_opts="-i $KEY -o BatchMode=yes -o StrictHostKeyChecking=yes"
      _ssh_dir="${D}"
      ssh -q $_ssh_opts "$TARGET" mkdir -p "$_ssh_dir" || exit 15
      cat "$DMESG" | ssh $_ssh_opts "$TARGET" "umask 0077 && dd of='$_ssh_dir/vmcore-dmesg-incomplete.txt'" || exit 16
      ssh -q $_ssh_opts "$TARGET" mv "$_ssh_dir/vmcore-dmesg-incomplete.txt" "$_ssh_dir/vmcore-dmesg.txt" || exit 17
      makedumpfile -l --message-level 7 -d 31 -F "$ELF" | ssh $_ssh_opts "$TARGET" "umask 0077 && dd bs=512 of='$_ssh_dir/vmcore-incomplete'" || exit 18
      ssh $_ssh_opts "$TARGET" "mv '$_ssh_dir/vmcore-incomplete' '$_ssh_dir/vmcore.flat'" || exit 19
      scp -q $_ssh_opts "$KLOG" "$TARGET:$_ssh_dir/" || exit 20
      `,
      {
        KEY: key,
        DMESG: join(KDUMP_DIR, "vmcore-dmesg.txt"),
        ELF: KDUMP_ELF,
        KLOG: join(KDUMP_DIR, "kdump-capture.log"),
      },
    );
    assert.equal(r.status, 0, `${r.stderr}\n${s.log()}`);
    const row = await settled(s, "10.0.0.5-2026-11-25-03:13:13");
    const dir = join(s.dataDir, row.dir);
    assert.deepEqual(readdirSync(dir).sort(), ["kdump-capture.log", "vmcore", "vmcore-dmesg.txt"]);
    // The flattened stream was restored on arrival: byte for byte the file makedumpfile wrote in the
    // capture kernel with the same options (-l -d 31) — the fixture's own vmcore.
    assert.equal(readFileSync(join(dir, "vmcore")).subarray(0, 8).toString(), "KDUMP   ");
    assert.equal(sha(join(dir, "vmcore")), sha(join(KDUMP_DIR, "vmcore")));
    assert.equal(sha(join(dir, "vmcore-dmesg.txt")), sha(join(KDUMP_DIR, "vmcore-dmesg.txt")));
    assert.equal(row.state, "ready");
    assert.equal(row.release, manifest("6.1-kdump").kernel_release);
    assert.equal(row.title, oopsTitle(join(KDUMP_DIR, "vmcore-dmesg.txt")));
    assert.match(row.title!, /sysrq triggered crash/);
    assert.equal(row.detail?.source, "vmcore", `${JSON.stringify(row.detail?.problems)}\n${s.log()}`);
    // bt of the panic task, from the dump alone: kdump's trace starts at machine_kexec.
    assert.match(row.detail!.bt!, /#0 \[[0-9a-f]+\] machine_kexec at/);
    assert.match(row.detail!.bt!, /sysrq_handle_crash/);
    assert.match(row.detail!.sys!, /PANIC: "Kernel panic - not syncing: sysrq triggered crash"/);
    assert.deepEqual(
      row.files!.map((f) => [f.name, f.state]),
      [
        ["kdump-capture.log", "complete"],
        ["vmcore", "complete"],
        ["vmcore-dmesg.txt", "complete"],
      ],
    );
  });

  test("kdump-tools: dmesg.<stamp> by scp, a gzip'd flattened stream through dd, mv to dump.<stamp>.gz", async () => {
    const DIR = "/var/crash/10.0.0.7-202611250313";
    const r = await clientScript(
      s,
      key,
      `
      SSH_KEY=$KEY; SSH_REMOTE_HOST=$TARGET; SSH_STAMP=202611250313; SSH_STAMPDIR=${DIR}
      SSH_CORETEMP="$SSH_STAMPDIR/dump-incomplete.gz"; SSH_COREFILE="$SSH_STAMPDIR/dump.$SSH_STAMP.gz"
      ssh -i "$SSH_KEY" "$SSH_REMOTE_HOST" mkdir -p "$SSH_STAMPDIR" || exit 11
      cp "$DMESG" /tmp/dmesg.ssh.$SSH_STAMP.$$
      scp -i "$SSH_KEY" /tmp/dmesg.ssh.$SSH_STAMP.$$ "$SSH_REMOTE_HOST:$SSH_STAMPDIR/dmesg.$SSH_STAMP" || exit 12
      rm -f /tmp/dmesg.ssh.$SSH_STAMP.$$
      makedumpfile -F -c -d 31 "$ELF" | gzip -c | ssh -i $SSH_KEY "$SSH_REMOTE_HOST" dd "of=$SSH_CORETEMP" || exit 13
      ssh -i "$SSH_KEY" "$SSH_REMOTE_HOST" mv "$SSH_CORETEMP" "$SSH_COREFILE" || exit 14
      `,
      { DMESG: join(KDUMP_DIR, "vmcore-dmesg.txt"), ELF: KDUMP_ELF },
    );
    assert.equal(r.status, 0, `${r.stderr}\n${s.log()}`);
    const row = await settled(s, "10.0.0.7-202611250313");
    const dir = join(s.dataDir, row.dir);
    assert.deepEqual(readdirSync(dir).sort(), ["vmcore", "vmcore-dmesg.txt"]);
    assert.equal(readFileSync(join(dir, "vmcore")).subarray(0, 8).toString(), "KDUMP   ");
    assert.equal(row.state, "ready");
    assert.equal(row.title, oopsTitle(join(KDUMP_DIR, "vmcore-dmesg.txt")));
    // kdx reads the restored dump as it reads the original.
    const log = kdx(["log", join(dir, "vmcore")]);
    assert.equal(log.status, 0, log.stderr);
    assert.equal(log.stdout, kdx(["log", KDUMP_ELF]).stdout);
    // Same bug as the kdump-utils client's: one signature, two crashes.
    const { signatures } = await api<{ signatures: { signature: string; count: number }[] }>(
      s,
      "/api/signatures",
    );
    assert.equal(signatures.find((x) => x.signature === row.signature)?.count, 2);
  });

  test("the scp fallbacks: /proc/vmcore as an ELF, over SFTP (modern scp) and the legacy scp protocol", async () => {
    const A = "/var/crash/10.0.0.8-2026-11-25-04:00:00";
    const B = "/var/crash/10.0.0.9-202611250400";
    const r = await clientScript(
      s,
      key,
      `
      _ssh_opts="-i $KEY -o BatchMode=yes -o StrictHostKeyChecking=yes"
      ssh -q $_ssh_opts "$TARGET" mkdir -p "${A}" || exit 11
      scp -q $_ssh_opts "$ELF" "$TARGET:${A}/vmcore-incomplete" || exit 12
      ssh $_ssh_opts "$TARGET" "mv '${A}/vmcore-incomplete' '${A}/vmcore'" || exit 13
      ssh -i "$KEY" "$TARGET" mkdir -p "${B}" || exit 14
      scp -O -i "$KEY" "$ELF" "$TARGET:${B}/vmcore-incomplete" || exit 15
      ssh -i "$KEY" "$TARGET" mv "${B}/vmcore-incomplete" "${B}/vmcore.202611250400" || exit 16
      `,
      { ELF: NULL_ELF },
    );
    assert.equal(r.status, 0, `${r.stderr}\n${s.log()}`);
    for (const d of ["10.0.0.8-2026-11-25-04:00:00", "10.0.0.9-202611250400"]) {
      const row = await settled(s, d);
      assert.equal(row.state, "ready", JSON.stringify(row));
      assert.equal(sha(join(s.dataDir, d, "vmcore")), sha(NULL_ELF));
      assert.match(row.title!, /NULL pointer dereference/);
      assert.equal(row.detail?.source, "vmcore");
    }
  });

  test("stored files are private to the server: directories 0700, files 0600", () => {
    const dirs = readdirSync(s.dataDir).filter((n) => !n.startsWith("."));
    assert.ok(dirs.length >= 4);
    for (const d of dirs) {
      assert.equal(statSync(join(s.dataDir, d)).mode & 0o777, 0o700, d);
      for (const f of readdirSync(join(s.dataDir, d)))
        assert.equal(statSync(join(s.dataDir, d, f)).mode & 0o777, 0o600, `${d}/${f}`);
    }
  });
});
