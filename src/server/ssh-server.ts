/**
 * The SSH side of `kdx serve`: public-key authentication against an authorized-keys file, then exactly
 * the commands kdump clients run on an ssh target (remote-command.ts), legacy scp uploads and the SFTP
 * subsystem. No shell, no terminal, no forwarding.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { Writable } from "node:stream";
import ssh2, { type Connection, type ServerChannel } from "ssh2";
import { KdxError } from "../util/errors.ts";
import { type AuthorizedKey, addressAllowed } from "./authorized-keys.ts";
import { type ClientId, type DumpStore, Refused } from "./dump-store.ts";
import { CommandRefused, parseRemoteCommand, type RemoteCommand } from "./remote-command.ts";
import { scpSink } from "./scp-sink.ts";
import { serveSftp } from "./sftp-session.ts";
import { uploadWritable } from "./upload-stream.ts";

/**
 * A new ed25519 host key, one that ssh2 can read back. ssh2's generateKeyPairSync drops the leading zero
 * bytes of the public key, so one key in 256 comes out malformed (mscdex/ssh2#1390, #1513): kept as the host
 * key, it would stop the server from ever starting. Such a key is thrown away and another made.
 */
export function makeHostKey(): { private: string; public: string } {
  for (;;) {
    const kp = ssh2.utils.generateKeyPairSync("ed25519", { comment: "kdx serve" });
    const both = [ssh2.utils.parseKey(kp.private), ssh2.utils.parseKey(kp.public)];
    if (!both.some((k) => k instanceof Error)) return kp;
  }
}

/** The host key is made once and kept: kdump's initrd pins it in known_hosts. */
export function loadOrCreateHostKey(stateDir: string): { private: string; public: string } {
  const path = join(stateDir, "ssh_host_ed25519_key");
  if (!existsSync(path)) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const kp = makeHostKey();
    writeFileSync(`${path}.tmp`, kp.private, { mode: 0o600 });
    writeFileSync(`${path}.pub`, `${kp.public}\n`, { mode: 0o644 });
    renameSync(`${path}.tmp`, path);
  }
  const key = { private: readFileSync(path, "utf8"), public: readFileSync(`${path}.pub`, "utf8").trim() };
  const parsed = ssh2.utils.parseKey(key.private);
  if (parsed instanceof Error)
    throw new KdxError(
      `${path} is not an SSH host key kdx can use (${parsed.message}): remove it and ${path}.pub to have a new one made, and give kdump clients that pinned the old one the new one`,
    );
  return key;
}

/** The limits OpenSSH's sshd puts on connections that have not logged in, with its defaults. */
export interface SshLimits {
  /** LoginGraceTime: a connection not logged in by then is closed (ms; default 120 s). */
  loginGraceMs: number;
  /**
   * MaxStartups start:rate:full (10:30:100): past `start` unauthenticated connections a new one is
   * dropped with probability `rate`%, rising linearly to 100% at `full`.
   */
  maxStartups: { start: number; rate: number; full: number };
  /** MaxAuthTries: authentication attempts one connection may make (6). */
  maxAuthTries: number;
}

/**
 * sshd's LoginGraceTime and MaxAuthTries; MaxStartups 50:30:100 where sshd has 10:30:100. sshd runs each
 * handshake in its own process; kdx runs them all on one thread, beside the uploads, so under load a
 * connection stays unauthenticated longer: with sshd's 10, 30 kdump clients starting 50 ms apart lost 5 and
 * 10 of their 30 uploads (reset at key exchange, and kdump does not retry). The hard cap stays at 100.
 */
export const SSH_LIMITS: SshLimits = {
  loginGraceMs: 120_000,
  maxStartups: { start: 50, rate: 30, full: 100 },
  maxAuthTries: 6,
};

/** MaxStartups' random early drop: whether the next connection, with `pending` not yet logged in, is refused. */
export function dropStartup(pending: number, m: SshLimits["maxStartups"], random = Math.random): boolean {
  if (pending < m.start) return false;
  if (pending >= m.full) return true;
  const p = m.rate + ((100 - m.rate) * (pending - m.start)) / (m.full - m.start);
  return random() * 100 < p;
}

export interface SshServerOptions {
  hostKey: string;
  keys: () => AuthorizedKey[];
  store: DumpStore;
  log: (msg: string) => void;
  limits?: Partial<SshLimits>;
}

export class SshTarget {
  readonly server: ssh2.Server;
  private readonly tcp: Server;
  private readonly limits: SshLimits;
  /** The connections not logged in yet, by peer address:port: how each one is let off the count. */
  private readonly unauthenticated = new Map<string, { settle: () => void; socket: Socket }>();

  constructor(private readonly o: SshServerOptions) {
    this.limits = { ...SSH_LIMITS, ...o.limits };
    const debug = process.env.KDX_SSH_DEBUG ? (m: string) => o.log(m) : undefined;
    this.server = new ssh2.Server({ hostKeys: [o.hostKey], ident: "kdx", debug }, (conn, info) =>
      this.connection(conn, info.ip, `${info.ip}:${info.port}`),
    );
    // kdx accepts the TCP connections itself, so that the limits hold from the first byte: ssh2 starts a
    // connection only once the client has sent its version line, and one that sends nothing is never seen.
    this.tcp = createServer((socket) => this.accept(socket));
  }

  private accept(socket: Socket): void {
    const peer = socket.remoteAddress ?? "?";
    if (dropStartup(this.unauthenticated.size, this.limits.maxStartups)) {
      this.o.log(
        `ssh ${peer}: dropped: ${this.unauthenticated.size} connections are not logged in yet (MaxStartups)`,
      );
      socket.destroy();
      return;
    }
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    const grace = setTimeout(() => {
      this.o.log(`ssh ${peer}: not logged in after ${this.limits.loginGraceMs / 1000} s: closed`);
      socket.destroy();
    }, this.limits.loginGraceMs);
    const settle = () => {
      clearTimeout(grace);
      this.unauthenticated.delete(key);
    };
    this.unauthenticated.set(key, { settle, socket });
    socket.once("close", settle);
    this.server.injectSocket(socket);
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.tcp.once("error", (e: NodeJS.ErrnoException) =>
        reject(
          new KdxError(
            `cannot listen for SSH on ${host}:${port}: ${e.code === "EADDRINUSE" ? "the port is in use" : e.code === "EACCES" ? "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)" : e.message}`,
          ),
        ),
      );
      this.tcp.listen(port, host, () => resolve(this.tcp.address() as AddressInfo));
    });
  }

  close(): Promise<void> {
    // Those not logged in are simply dropped; uploads under way are let finish.
    for (const { settle, socket } of this.unauthenticated.values()) {
      settle();
      socket.destroy();
    }
    return new Promise((resolve) => this.tcp.close(() => resolve()));
  }

  private connection(conn: Connection, peer: string, key: string): void {
    let client: ClientId | undefined;
    conn.on("error", (e) => this.o.log(`ssh ${peer}: ${e.message}`));
    let failures = 0;
    const reject = (ctx: ssh2.AuthContext, why?: string) => {
      // Attempts already on the wire when the connection was cut off are refused without a word.
      if (failures >= this.limits.maxAuthTries) return ctx.reject();
      if (why) this.o.log(`ssh ${peer}: ${ctx.username}: ${why}`);
      // "none" only asks which methods there are; every other try counts, as sshd counts them.
      if (ctx.method !== "none" && ++failures >= this.limits.maxAuthTries) {
        this.o.log(
          `ssh ${peer}: ${ctx.username}: ${failures} failed authentication attempts: disconnected (MaxAuthTries)`,
        );
        ctx.reject();
        conn.end();
        return;
      }
      ctx.reject(["publickey"]);
    };
    conn.on("authentication", (ctx) => {
      if (ctx.method !== "publickey") return reject(ctx);
      const key = this.o
        .keys()
        .find((k) => k.algo === ctx.key.algo && k.blob.equals(ctx.key.data) && addressAllowed(k, peer));
      if (!key) return reject(ctx, `key ${ctx.key.algo} not authorized`);
      // Without a signature the client only asks whether the key would do.
      if (!ctx.signature) return ctx.accept();
      const parsed = ssh2.utils.parseKey(`${key.algo} ${key.blob.toString("base64")}`);
      if (parsed instanceof Error || !parsed.verify(ctx.blob!, ctx.signature, ctx.hashAlgo))
        return reject(ctx, `key ${key.fingerprint} (${key.comment}): the signature does not verify`);
      client = { id: key.fingerprint, name: key.comment, peer };
      ctx.accept();
    });
    conn.on("ready", () => {
      this.unauthenticated.get(key)?.settle();
      conn.on("session", (accept) => {
        const session = accept();
        session.on("pty", (_a, reject) => reject?.());
        session.on("shell", (_a, reject) => reject());
        session.on("x11", (_a, reject) => reject());
        session.on("env", (_a, reject) => reject?.());
        session.on("exec", (acc, _rej, info) => {
          const ch = acc();
          this.exec(client!, info.command, ch).then(
            (code) => finish(ch, code),
            (e) => {
              if ((e as NodeJS.ErrnoException).code !== "ERR_STREAM_PREMATURE_CLOSE") {
                this.o.log(`ssh ${client!.name}: ${info.command}: ${(e as Error).message}`);
                // The client's script shows its stderr: say why, in one line (a full disk, say).
                try {
                  ch.stderr.write(`kdx: the server could not complete this: ${(e as Error).message}\n`);
                } catch {}
              }
              finish(ch, 1);
            },
          );
        });
        session.on("subsystem", (acc, rej, info) => {
          if (info.name !== "sftp") return rej();
          acc();
        });
        session.on("sftp", (acc) => {
          serveSftp(acc(), this.o.store, client!, (m) => this.o.log(`ssh ${client!.name}: ${m}`));
        });
      });
      conn.on("tcpip", (_a, reject) => reject());
      conn.on("openssh.streamlocal", (_a, reject) => reject());
      conn.on("request", (_a, reject) => reject?.());
    });
  }

  private async exec(client: ClientId, line: string, ch: ServerChannel): Promise<number> {
    let cmd: RemoteCommand;
    try {
      cmd = parseRemoteCommand(line);
    } catch (e) {
      if (!(e instanceof CommandRefused)) throw e;
      this.o.log(`ssh ${client.name}: refused "${line.slice(0, 200)}": ${e.message}`);
      ch.stderr.write(`kdx: refused: ${e.message}\n`);
      return 127;
    }
    const store = this.o.store;
    try {
      switch (cmd.kind) {
        case "mkdir":
          store.mkdir(client, cmd.path);
          return 0;
        case "mktemp":
          ch.write(`${store.mktemp(client, cmd.dir)}\n`);
          return 0;
        case "rmdir":
          store.rmdir(client, cmd.path);
          return 0;
        case "df": {
          store.resolve(cmd.path);
          const kib = String(store.availableKiB(client));
          ch.write(`${"Avail".padStart(Math.max(5, kib.length))}\n${kib.padStart(5)}\n`);
          return 0;
        }
        case "mv":
          store.rename(client, cmd.from, cmd.to);
          this.o.log(`ssh ${client.name}: mv ${cmd.from} ${cmd.to}`);
          return 0;
        case "dd": {
          const up = store.openUpload(client, cmd.of);
          this.o.log(`ssh ${client.name}: receiving ${up.label}`);
          try {
            await receive(ch, uploadWritable(up));
          } catch (e) {
            up.finish(false);
            this.o.log(
              `ssh ${client.name}: ${up.label}: cut off after ${up.bytes} bytes (${(e as Error).message}): kept as incomplete`,
            );
            throw e;
          }
          up.finish(true);
          ch.stderr.write(`${up.bytes} bytes copied\n`);
          this.o.log(`ssh ${client.name}: ${up.label}: ${up.bytes} bytes`);
          return 0;
        }
        case "scp-sink": {
          const target = cmd.target;
          const isDir = cmd.targetIsDir || store.stat(client, target)?.dir === true;
          return await scpSink(ch, ch, {
            open: (name) => {
              const up = store.openUpload(client, target, isDir ? { dirTarget: name } : {});
              this.o.log(`ssh ${client.name}: scp ${up.label}`);
              return up;
            },
          });
        }
      }
    } catch (e) {
      if (!(e instanceof Refused)) throw e;
      this.o.log(`ssh ${client.name}: refused "${line.slice(0, 200)}": ${e.message}`);
      ch.stderr.write(`kdx: ${e.message}\n`);
      return 1;
    }
  }
}

/**
 * Copy a channel's input into a writable. Resolves when the client sent EOF and every byte is written;
 * rejects when the channel ends without EOF (the client or its connection died) or the writable fails (a
 * refusal), and leaves the channel open so the client can still be told why.
 *
 * ssh2 ends the channel's stream both for the client's CHANNEL_EOF and when the connection drops (it closes
 * every channel then): the stream's 'end' cannot tell a whole upload from a cut one. The channel's own state
 * at the moment its input ends can: "eof" only after a real CHANNEL_EOF, "closed" otherwise.
 */
function receive(ch: ServerChannel, w: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    const wentAway = () =>
      reject(
        Object.assign(new Error("the client went away mid-upload"), { code: "ERR_STREAM_PREMATURE_CLOSE" }),
      );
    let eof: boolean | undefined;
    const chan = ch as unknown as { push(c: unknown): boolean; incoming?: { state?: string } };
    const push = chan.push.bind(ch);
    chan.push = (chunk: unknown) => {
      if (chunk === null && eof === undefined) eof = chan.incoming?.state === "eof";
      return push(chunk);
    };
    ch.once("end", () => (eof ? w.end() : wentAway()));
    ch.once("close", () => {
      if (!eof) wentAway();
    });
    w.once("error", (e) => {
      ch.unpipe(w);
      ch.resume();
      reject(e);
    });
    w.once("finish", resolve);
    ch.pipe(w, { end: false });
  });
}

function finish(ch: ServerChannel, code: number): void {
  try {
    ch.exit(code);
    ch.end();
  } catch {}
}
