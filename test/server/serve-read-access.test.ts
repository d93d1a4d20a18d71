/**
 * Who may read a fleet's dumps: this host always; another host only with a read token (a bearer header, or
 * the cookie /login sets for a browser), and nobody when the server has no read tokens. Tried from a real
 * non-loopback address of this machine against kdx serve listening on every address.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { request } from "node:http";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { tempDir } from "../helpers.ts";
import { makeKey, publicKey, type Served, startServe } from "./serve-harness.ts";

/** An address of this machine that is not loopback: requests from it come from "another host". */
const outside = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === "IPv4" && !a.internal)?.address;

function get(
  s: Served,
  path: string,
  opts: { from?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const port = Number(new URL(s.base).port);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: opts.from ?? "127.0.0.1", localAddress: opts.from, port, path, headers: opts.headers },
      (res) => {
        let body = "";
        res.on("data", (d) => {
          body += d;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("kdx serve: read access beyond this host", {
  skip: outside ? false : "this machine has no non-loopback IPv4 address",
}, () => {
  const dir = tempDir("kdx-read-");
  const key = makeKey(dir, "db-07");
  writeFileSync(join(dir, "authorized_keys"), `${publicKey(key)}\n`);
  const token = "r3ad-t0ken-for-the-sre-team";
  writeFileSync(join(dir, "read-tokens"), `sre:${token}\n`);

  test("without read tokens: this host reads, another host gets 403 for the dashboard, the API and files", async () => {
    const s = await startServe({
      authorizedKeys: join(dir, "authorized_keys"),
      args: ["--listen", "0.0.0.0"],
    });
    try {
      assert.equal((await get(s, "/api/crashes")).status, 200);
      for (const path of ["/", "/api/crashes", "/api/signatures", "/files/x/vmcore", "/app.js"]) {
        const r = await get(s, path, { from: outside });
        assert.equal(r.status, 403, path);
        assert.match(r.body, /--read-tokens/);
      }
    } finally {
      await s.stop();
    }
  });

  test("with read tokens: another host reads with the token (bearer or /login's cookie), not without or with another", async () => {
    const s = await startServe({
      authorizedKeys: join(dir, "authorized_keys"),
      args: ["--listen", "0.0.0.0", "--read-tokens", join(dir, "read-tokens")],
    });
    try {
      assert.equal((await get(s, "/api/crashes", { from: outside })).status, 401);
      const wrong = { authorization: "Bearer not-the-token-at-all-no" };
      assert.equal((await get(s, "/api/crashes", { from: outside, headers: wrong })).status, 401);
      const ok = await get(s, "/api/crashes", {
        from: outside,
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(ok.status, 200);
      assert.deepEqual(JSON.parse(ok.body).crashes, []);
      // A browser: /login puts the token in an HttpOnly cookie and goes to the dashboard.
      assert.equal((await get(s, "/login?token=nope", { from: outside })).status, 401);
      const login = await get(s, `/login?token=${token}`, { from: outside });
      assert.equal(login.status, 303);
      const cookie = String(login.headers["set-cookie"]).split(";")[0];
      assert.match(String(login.headers["set-cookie"]), /HttpOnly; SameSite=Strict/);
      assert.equal((await get(s, "/", { from: outside, headers: { cookie } })).status, 200);
      assert.match(s.log(), /no valid read token/);
    } finally {
      await s.stop();
    }
  });
});
