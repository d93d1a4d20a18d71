/**
 * `kdx serve --database postgresql://…`: the same index in a real PostgreSQL server, started by the test in
 * a private directory (Debian's postgresql package). A kdump client's dump lands, is analysed and grouped;
 * a restart after `kill -9` finds it again; the rows are there for psql.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chownSync, existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { unxz } from "../dump-fixtures.ts";
import { fixture, KDX, tempDir } from "../helpers.ts";
import {
  api,
  type CrashRow,
  clientScript,
  KDUMP_UTILS_DUMP_SSH,
  makeKey,
  publicKey,
  settled,
  startServe,
} from "./serve-harness.ts";

const KDUMP_DIR = fixture("vmcore/6.1-kdump/var/crash/127.0.0.1-2026-11-25-03:13:13");

/** A throwaway PostgreSQL cluster on a Unix socket in its own directory (as the postgres user when root). */
function startPostgres(): { url: string; stop: () => void } {
  const root = "/usr/lib/postgresql";
  const version = existsSync(root) ? readdirSync(root).sort().pop() : undefined;
  if (!version) throw new Error("PostgreSQL is not installed (apt-get install postgresql)");
  const bin = join(root, version, "bin");
  const dir = tempDir("kdx-pg-");
  const asRoot = process.getuid?.() === 0;
  const id = asRoot ? spawnSync("id", ["-u", "postgres"], { encoding: "utf8" }) : undefined;
  if (asRoot) chownSync(dir, Number(id!.stdout.trim()), -1);
  const run = (cmd: string, args: string[]) => {
    const r = asRoot
      ? spawnSync("runuser", ["-u", "postgres", "--", join(bin, cmd), ...args], { encoding: "utf8" })
      : spawnSync(join(bin, cmd), args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  };
  run("initdb", ["-D", join(dir, "data"), "-A", "trust", "-U", "kdx", "--no-sync"]);
  run("pg_ctl", [
    "-D",
    join(dir, "data"),
    "-o",
    `-k ${dir} -p 5433 -c listen_addresses=''`,
    "-l",
    join(dir, "log"),
    "-w",
    "start",
  ]);
  return {
    url: `postgresql:///postgres?host=${dir}&port=5433&user=kdx`,
    stop: () => run("pg_ctl", ["-D", join(dir, "data"), "-m", "immediate", "stop"]),
  };
}

describe("kdx serve with a PostgreSQL index", () => {
  let pg: { url: string; stop: () => void };
  before(() => {
    pg = startPostgres();
  });
  after(() => pg.stop());

  test("a kdump-utils upload is indexed in PostgreSQL, and found again after kill -9 and a restart", async () => {
    const keys = tempDir("kdx-keys-");
    const key = makeKey(keys, "db-3");
    writeFileSync(join(keys, "authorized_keys"), `${publicKey(key)}\n`);
    const s = await startServe({
      authorizedKeys: join(keys, "authorized_keys"),
      args: ["--database", pg.url],
    });
    const dir = "10.4.0.3-2026-11-25-08:00:00";
    const r = await clientScript(s, key, KDUMP_UTILS_DUMP_SSH, {
      D: `/var/crash/${dir}`,
      DMESG: join(KDUMP_DIR, "vmcore-dmesg.txt"),
      ELF: unxz(join(KDUMP_DIR, "vmcore.elf.xz")),
    });
    assert.equal(r.status, 0, `${r.stderr}\n${s.log()}`);
    const row = await settled(s, dir);
    assert.equal(row.state, "ready");
    assert.match(row.title!, /sysrq triggered crash/);
    // Nothing went to SQLite.
    assert.equal(existsSync(join(s.dataDir, ".kdx", "index.sqlite")), false);
    await s.kill9();

    const s2 = await startServe({
      authorizedKeys: join(keys, "authorized_keys"),
      dataDir: s.dataDir,
      args: ["--database", pg.url],
    });
    try {
      const { crashes } = await api<{ crashes: CrashRow[] }>(s2, "/api/crashes");
      assert.deepEqual(
        crashes.map((c) => [c.dir, c.state, c.title]),
        [[dir, "ready", row.title]],
      );
      const { signatures } = await api<{ signatures: { signature: string; count: number; days: string }[] }>(
        s2,
        "/api/signatures",
      );
      assert.deepEqual(
        signatures.map((x) => [x.signature, x.count]),
        [[row.signature, 1]],
      );
      assert.match(signatures[0].days, /^\d{4}-\d\d-\d\d$/);
      const psql = spawnSync("psql", [pg.url, "-At", "-c", "SELECT dir, state, signature FROM dumps"], {
        encoding: "utf8",
      });
      assert.equal(psql.stdout.trim(), `${dir}|ready|${row.signature}`);
    } finally {
      await s2.stop();
    }
  });

  test("an unreachable database is named in one clear line", () => {
    const r = spawnSync(
      KDX,
      [
        "serve",
        "--data",
        tempDir(),
        "--authorized-keys",
        "/dev/null",
        "--database",
        "postgresql://kdx:secret@127.0.0.1:1/none",
      ],
      { encoding: "utf8", timeout: 30_000 },
    );
    assert.equal(r.status, 2);
    assert.equal(r.stderr.split("\n").length, 2);
    assert.match(
      r.stderr,
      /^kdx: cannot connect to the index database postgresql:\/\/kdx:\*\*\*@127\.0\.0\.1:1\/none: /,
    );
    assert.doesNotMatch(r.stderr, /secret| {4}at /);
  });
});
