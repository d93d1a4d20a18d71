/**
 * A partial upload never passes for a whole one: the real OpenSSH client killed by a signal in the middle of
 * a `dd` upload leaves a file the server records as incomplete, never analysed, and never promoted by `mv`.
 */
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { unxz } from "../dump-fixtures.ts";
import { fixture, tempDir } from "../helpers.ts";
import { api, type CrashRow, clientScript, makeKey, publicKey, startServe } from "./serve-harness.ts";

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
        // Nothing was analysed as a dump: no title, no signature.
        await new Promise((res) => setTimeout(res, 500));
        const after = await crashRow(s, dir);
        assert.equal(after.state, "incomplete");
        assert.equal(after.signature, null);
      } finally {
        await s.stop();
      }
    });
  }
});
