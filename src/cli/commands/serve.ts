/** `kdx serve`: the collection host kdump clients send their dumps to, with its dashboard. */
import { parseArgs } from "node:util";
import { CollectionServer } from "../../server/collection-server.ts";
import { isLoopback } from "../../server/http-server.ts";
import type { SshLimits } from "../../server/ssh-server.ts";
import { UsageError } from "../../util/errors.ts";

export const HELP = `usage: kdx serve --data DIR --authorized-keys FILE [options]

A kdump ssh target and crash dashboard. Stock kdump clients (RHEL's kdump-utils,
Debian's kdump-tools) send their dumps here over SSH as they would to any host
("ssh kdump@HOST" in kdump.conf, SSH= in /etc/default/kdump-tools); each dump is
stored as DIR/<IP>-<date>/{vmcore, vmcore-dmesg.txt}, a flattened stream restored
to kdump-compressed, analysed, grouped with the same crashes, and shown on the
dashboard (http://LISTEN:HTTP-PORT/).

options:
  --data DIR              where dumps, the index (DIR/.kdx/index.sqlite) and the
                          host key (DIR/.kdx/ssh_host_ed25519_key) are kept
  --authorized-keys FILE  the clients' public keys, OpenSSH's format; from="…"
                          names the addresses a key may connect from. SIGHUP re-reads it
  --tokens FILE           NAME:TOKEN lines: bearer tokens for HTTP uploads
  --read-tokens FILE      NAME:TOKEN lines: what other hosts need to see the
                          dashboard, the API and downloads (Bearer, or
                          /login?token=T in a browser); without it only this
                          host can. SIGHUP re-reads both
  --database URL          postgresql://USER@HOST/DB for the index (default: SQLite
                          in DIR/.kdx/index.sqlite)
  --listen ADDR           address to listen on (default 127.0.0.1)
  --ssh-port N            (default 2222; 0 picks a free port)
  --http-port N           (default 8080; 0 picks a free port)
  --path PATH             the save path the clients are configured with (default
                          /var/crash): client paths under it map into DIR
  --quota SIZE            bytes each client may store (e.g. 200G); default none
  --min-free SIZE         refuse uploads that would leave less free disk (default 1G)
  --workers N             dumps analysed at once (default 1)
  --login-grace-time S    seconds a connection has to log in (default 120, as sshd)
  --max-startups A:R:F    connections not logged in: past A, drop new ones with
                          probability R%, rising to all at F (default 50:30:100;
                          sshd's is 10:30:100)
  --max-auth-tries N      authentication attempts per connection (default 6)
`;

export function parseSize(s: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)i?B?$/i.exec(s.trim());
  if (!m) throw new UsageError(`${flag} takes a size like 500M or 2G, not "${s}"`);
  const mult = { "": 1, K: 1 << 10, M: 1 << 20, G: 1 << 30, T: 2 ** 40 }[m[2].toUpperCase() as "K"];
  return Math.floor(Number(m[1]) * mult);
}

function port(s: string, flag: string): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} takes a port number`);
  return n;
}

export async function serveCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: "string" },
      "authorized-keys": { type: "string" },
      tokens: { type: "string" },
      "read-tokens": { type: "string" },
      database: { type: "string" },
      listen: { type: "string", default: "127.0.0.1" },
      "ssh-port": { type: "string", default: "2222" },
      "http-port": { type: "string", default: "8080" },
      path: { type: "string", default: "/var/crash" },
      quota: { type: "string" },
      "min-free": { type: "string", default: "1G" },
      workers: { type: "string", default: "1" },
      "login-grace-time": { type: "string" },
      "max-startups": { type: "string" },
      "max-auth-tries": { type: "string" },
    },
  });
  if (!values.data) throw new UsageError("kdx serve needs --data DIR");
  if (!values["authorized-keys"]) throw new UsageError("kdx serve needs --authorized-keys FILE");
  if (!values.path.startsWith("/")) throw new UsageError("--path takes an absolute path");
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1) throw new UsageError("--workers takes a count");
  const log = (m: string) => process.stderr.write(`${new Date().toISOString()} ${m}\n`);
  const sshLimits: Partial<SshLimits> = {};
  if (values["login-grace-time"] !== undefined) {
    const sec = Number(values["login-grace-time"]);
    if (!(sec > 0)) throw new UsageError("--login-grace-time takes a number of seconds");
    sshLimits.loginGraceMs = sec * 1000;
  }
  if (values["max-startups"] !== undefined) {
    const m = /^(\d+):(\d+):(\d+)$/.exec(values["max-startups"]);
    const [start, rate, full] = m ? m.slice(1).map(Number) : [];
    if (!m || rate > 100 || full <= start)
      throw new UsageError("--max-startups takes START:RATE:FULL, as 10:30:100");
    sshLimits.maxStartups = { start, rate, full };
  }
  if (values["max-auth-tries"] !== undefined) {
    const n = Number(values["max-auth-tries"]);
    if (!Number.isInteger(n) || n < 1) throw new UsageError("--max-auth-tries takes a count");
    sshLimits.maxAuthTries = n;
  }
  const server = new CollectionServer({
    dataDir: values.data,
    authorizedKeys: values["authorized-keys"],
    tokens: values.tokens,
    readTokens: values["read-tokens"],
    database: values.database,
    listen: values.listen,
    sshPort: port(values["ssh-port"], "--ssh-port"),
    httpPort: port(values["http-port"], "--http-port"),
    savePath: values.path,
    quotaBytes: values.quota ? parseSize(values.quota, "--quota") : undefined,
    minFreeBytes: parseSize(values["min-free"], "--min-free"),
    workers,
    sshLimits,
    log,
  });
  const { ssh, http } = await server.start();
  const host = (a: { address: string; port: number }) =>
    a.address.includes(":") ? `[${a.address}]` : a.address;
  out.write(
    `kdx serve: ssh on ${host(ssh)}:${ssh.port} (host key ${server.hostKeyFingerprint})\n` +
      `kdx serve: dashboard on http://${host(http)}:${http.port}/\n` +
      `kdx serve: dumps in ${values.data}, saved-path ${values.path}\n` +
      (values["read-tokens"] || isLoopback(values.listen)
        ? ""
        : "kdx serve: the dashboard and downloads answer this host only (--read-tokens FILE opens them to others)\n"),
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  log("shutting down");
  await server.close();
  return 0;
}
