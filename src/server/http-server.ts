/**
 * The HTTP side of `kdx serve`: uploads for agents and CI (`curl -T vmcore -H "Authorization: Bearer T"
 * http://host:8080/api/upload/`), the index as JSON, downloads, and the dashboard's static files.
 *
 *   PUT  /api/upload/NAME          a new dump directory <peer IP>-<date>/NAME; the answer names it
 *   PUT  /api/upload/DIR/NAME      into a directory the same token made (vmcore-dmesg.txt after the vmcore)
 *   GET  /api/crashes              every dump, newest first          GET /api/crashes/ID   one, with its analysis
 *   GET  /api/signatures           crashes grouped by signature      GET /api/breakdown    by release and host
 *   GET  /files/DIR/NAME           a stored file
 *   GET  /login?token=T            a read token into a cookie, for a browser (then to /)
 *
 * Reads (the dashboard, the API, downloads) are open to this host; another host needs a read token
 * (--read-tokens), as "Authorization: Bearer T" or the cookie /login sets, and without read tokens gets none.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createReadStream, existsSync, lstatSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { KdxError } from "../util/errors.ts";
import { validName } from "./client-path.ts";
import type { CrashIndex } from "./crash-index.ts";
import { type ClientId, type DumpStore, Refused } from "./dump-store.ts";
import { uploadWritable } from "./upload-stream.ts";

export interface Token {
  name: string;
  digest: Buffer;
}

/** `NAME:TOKEN` per line; tokens are kept only as SHA-256 digests. */
export function loadTokens(path: string): Token[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new KdxError(`cannot read the tokens file ${path}: ${(e as Error).message}`);
  }
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l, i) => {
      const at = l.indexOf(":");
      if (at <= 0 || l.length - at - 1 < 16)
        throw new KdxError(`${path}:${i + 1}: expected NAME:TOKEN with a token of 16 characters or more`);
      return { name: l.slice(0, at), digest: sha(l.slice(at + 1)) };
    });
}

const sha = (s: string) => createHash("sha256").update(s).digest();

/** The token of an "Authorization: Bearer TOKEN" header. */
function bearerToken(req: IncomingMessage): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
}

function matchToken(tokens: Token[], token: string): Token | undefined {
  const d = sha(token);
  return tokens.find((t) => timingSafeEqual(t.digest, d));
}

/** 127.0.0.0/8, ::1, IPv4-mapped loopback and "localhost": this host. */
export function isLoopback(addr: string | undefined): boolean {
  if (!addr) return false;
  if (addr === "localhost") return true;
  const v4 = addr.startsWith("::ffff:") ? addr.slice(7) : addr;
  return v4.startsWith("127.") || addr === "::1";
}

/** The dashboard's files: src/web in the repository, whether running from the sources or the bundle. */
function webRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(d, "package.json"))) return join(d, "src", "web");
    d = dirname(d);
  }
  throw new Error("cannot find the dashboard's files (src/web)");
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};

export class HttpFront {
  readonly server: Server;
  private readonly web = webRoot();

  constructor(
    private readonly store: DumpStore,
    private readonly index: CrashIndex,
    private readonly tokens: () => Token[],
    private readonly log: (m: string) => void,
    /** Who may read from another host; undefined: nobody. */
    private readonly readTokens: () => Token[] | undefined = () => undefined,
  ) {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        if (!res.headersSent) this.json(res, 500, { error: (e as Error).message });
        else res.destroy();
      });
    });
    this.server.requestTimeout = 0; // large uploads take as long as they take
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once("error", (e: NodeJS.ErrnoException) =>
        reject(
          new KdxError(
            `cannot listen for HTTP on ${host}:${port}: ${e.code === "EADDRINUSE" ? "the port is in use" : e.code === "EACCES" ? "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)" : e.message}`,
          ),
        ),
      );
      this.server.listen(port, host, () => resolve(this.server.address() as AddressInfo));
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private json(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
    res.end(text);
  }

  private client(req: IncomingMessage): ClientId | undefined {
    const bearer = bearerToken(req);
    if (!bearer) return undefined;
    const t = matchToken(this.tokens(), bearer);
    return t && { id: `token:${t.name}`, name: t.name, peer: req.socket.remoteAddress ?? "?" };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://x");
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      // A malformed escape ("%E0%A4%A") is the client's error, not the server's.
      return this.json(res, 400, { error: "the path has a malformed percent-encoding" });
    }
    if (req.method === "PUT" || req.method === "POST") {
      if (!path.startsWith("/api/upload/"))
        return this.json(res, 404, { error: "uploads go to /api/upload/NAME" });
      return this.upload(req, res, path.slice("/api/upload/".length));
    }
    if (req.method !== "GET" && req.method !== "HEAD")
      return this.json(res, 405, { error: "method not allowed" });
    if (path === "/login") return this.login(req, res, url.searchParams.get("token") ?? "");
    const denied = this.readDenied(req);
    if (denied) {
      res.setHeader("www-authenticate", "Bearer");
      return this.json(res, denied, {
        error:
          denied === 403
            ? "the dashboard and downloads are open to this host only: start kdx serve with --read-tokens FILE to give other hosts access"
            : "reading from another host needs a read token: Authorization: Bearer TOKEN, or /login?token=TOKEN in a browser",
      });
    }
    if (path === "/api/crashes") return this.json(res, 200, { crashes: this.index.list() });
    const one = /^\/api\/crashes\/(\d+)$/.exec(path);
    if (one) {
      const row = this.index.dumpById(Number(one[1]));
      if (!row) return this.json(res, 404, { error: "no such crash" });
      return this.json(res, 200, {
        ...row,
        files: this.index.files(row.id),
        detail: this.index.detail(row.id) ?? null,
      });
    }
    if (path === "/api/signatures") return this.json(res, 200, { signatures: this.index.signatures() });
    if (path === "/api/breakdown")
      return this.json(res, 200, {
        release: this.index.byRelease(),
        host: this.index.byHost(),
      });
    const file = /^\/files\/([^/]+)\/([^/]+)$/.exec(path);
    if (file) return this.download(res, file[1], file[2]);
    const asset = path === "/" || /^\/crash\/\d+$/.test(path) ? "index.html" : path.slice(1);
    if (!/^[a-z-]+\.(html|js|css)$/.test(asset)) return this.json(res, 404, { error: "not found" });
    const full = join(this.web, asset);
    if (!existsSync(full)) return this.json(res, 404, { error: "not found" });
    const body = readFileSync(full);
    res.writeHead(200, {
      "content-type": TYPES[asset.slice(asset.lastIndexOf("."))],
      "cache-control": "no-cache",
    });
    res.end(body);
  }

  /** 0 when `req` may read: it comes from this host, or carries a read token; else the HTTP status. */
  private readDenied(req: IncomingMessage): number {
    if (isLoopback(req.socket.remoteAddress)) return 0;
    const tokens = this.readTokens();
    if (!tokens) return 403;
    const bearer = bearerToken(req);
    const cookie = /(?:^|;\s*)kdx_read=([^;\s]+)/.exec(req.headers.cookie ?? "")?.[1];
    for (const t of [bearer, cookie]) if (t && matchToken(tokens, t)) return 0;
    this.log(`http ${req.socket.remoteAddress}: ${req.url?.slice(0, 200)}: no valid read token`);
    return 401;
  }

  private login(req: IncomingMessage, res: ServerResponse, token: string): void {
    const tokens = this.readTokens();
    if (!tokens || !matchToken(tokens, token)) {
      this.log(`http ${req.socket.remoteAddress}: /login: no valid read token`);
      this.json(res, 401, { error: "not a read token of this server" });
      return;
    }
    res.writeHead(303, {
      location: "/",
      "set-cookie": `kdx_read=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
    });
    res.end();
  }

  private download(res: ServerResponse, dir: string, name: string): void {
    if (!validName(dir) || !validName(name) || !this.index.dump(dir)) {
      this.json(res, 404, { error: "no such file" });
      return;
    }
    const full = join(this.store.dirPath(dir), name);
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(full);
    } catch {
      this.json(res, 404, { error: "no such file" });
      return;
    }
    if (!st.isFile()) {
      this.json(res, 404, { error: "no such file" });
      return;
    }
    res.writeHead(200, {
      "content-type":
        name.endsWith(".txt") || name.endsWith(".log")
          ? "text/plain; charset=utf-8"
          : "application/octet-stream",
      "content-length": st.size,
      "content-disposition": `attachment; filename="${dir}-${name}"`,
    });
    createReadStream(full).pipe(res);
  }

  private async upload(req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
    const client = this.client(req);
    if (!client) {
      req.resume();
      res.setHeader("www-authenticate", "Bearer");
      return this.json(res, 401, {
        error: "an upload needs Authorization: Bearer TOKEN (a token from the server's tokens file)",
      });
    }
    const parts = rest.split("/").filter(Boolean);
    try {
      if (!parts.length || parts.length > 2)
        throw new Refused("upload to /api/upload/NAME or /api/upload/DIR/NAME");
      const name = parts[parts.length - 1];
      let dir: string;
      if (parts.length === 2) {
        dir = parts[0];
        this.store.mkdir(client, dir);
      } else dir = this.store.newDumpDir(client).dir;
      const up = this.store.openUpload(client, `${dir}/${name}`, { named: false });
      this.log(`http ${client.name}: receiving ${up.label}`);
      const expected =
        req.headers["content-length"] !== undefined ? Number(req.headers["content-length"]) : undefined;
      const ok = await new Promise<boolean>((resolve, reject) => {
        const w = uploadWritable(up);
        let ended = false;
        req.once("end", () => {
          ended = true;
        });
        req.once("close", () => {
          if (!ended) resolve(false);
        });
        w.once("error", (e) => {
          req.unpipe(w);
          req.resume();
          reject(e);
        });
        w.once("finish", () => resolve(ended));
        req.pipe(w);
      }).catch((e) => {
        up.finish(false);
        throw e;
      });
      const whole = ok && (expected === undefined || expected === up.bytes);
      up.finish(whole);
      if (!whole) {
        this.log(`http ${client.name}: ${up.label} cut off after ${up.bytes} bytes`);
        if (!res.destroyed)
          this.json(res, 400, { error: `the upload ended after ${up.bytes} bytes, incomplete` });
        return;
      }
      const row = this.index.dump(dir)!;
      this.json(res, 201, {
        dump: dir,
        id: row.id,
        file: name,
        bytes: up.bytes,
        crash: `/api/crashes/${row.id}`,
      });
    } catch (e) {
      if (!(e instanceof Refused)) throw e;
      req.resume();
      this.log(`http ${client.name}: refused: ${e.message}`);
      this.json(res, /quota|floor/.test(e.message) ? 507 : 403, { error: e.message });
    }
  }
}
