/**
 * `kdx serve` put together: the data directory and its index, the SSH target, the HTTP front, and the
 * analysis queue that each whole dump goes through.
 */
import { createHash } from "node:crypto";
import { accessSync, constants, existsSync, mkdirSync, readdirSync, renameSync, statSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { KdxError } from "../util/errors.ts";
import { AnalysisQueue } from "./analysis-queue.ts";
import { type AuthorizedKey, loadAuthorizedKeys } from "./authorized-keys.ts";
import { validName } from "./client-path.ts";
import { CrashIndex, type DumpRow } from "./crash-index.ts";
import { DumpStore, type FileRole, roleOf } from "./dump-store.ts";
import { HttpFront, loadTokens, type Token } from "./http-server.ts";
import { sniffFile } from "./sniff.ts";
import { openIndexDatabase } from "./sql-database.ts";
import { loadOrCreateHostKey, type SshLimits, SshTarget } from "./ssh-server.ts";
import { verifyFile } from "./verify-file.ts";

/** An HTTP upload's role: a dump (or a compressed one) is the vmcore, a text file the kernel log. */
function roleByContent(path: string): FileRole {
  const kind = sniffFile(path);
  return kind === "dump" || kind === "compressed" ? "vmcore" : kind === "text" ? "dmesg" : "other";
}

export interface ServeOptions {
  dataDir: string;
  authorizedKeys: string;
  tokens?: string;
  /** NAME:TOKEN lines of read tokens: other hosts' access to the dashboard, the API and downloads. */
  readTokens?: string;
  /** postgresql://… for a PostgreSQL index; SQLite in DATA/.kdx by default. */
  database?: string;
  listen: string;
  sshPort: number;
  httpPort: number;
  savePath: string;
  quotaBytes?: number;
  minFreeBytes: number;
  workers: number;
  /** sshd's limits on connections not logged in; OpenSSH's defaults where not given. */
  sshLimits?: Partial<SshLimits>;
  log: (m: string) => void;
}

export class CollectionServer {
  readonly index: CrashIndex;
  readonly store: DumpStore;
  readonly queue: AnalysisQueue;
  private readonly hostKey: string;
  private ssh: SshTarget | undefined;
  private http: HttpFront | undefined;
  hostKeyPublic = "";
  hostKeyFingerprint = "";

  constructor(private readonly o: ServeOptions) {
    const state = join(o.dataDir, ".kdx");
    try {
      // One level at a time: the data directory's parent must exist (a recursive mkdir can spin on /proc).
      for (const d of [o.dataDir, state]) if (!existsSync(d)) mkdirSync(d, { mode: 0o700 });
      accessSync(o.dataDir, constants.W_OK);
    } catch (e) {
      throw new KdxError(`cannot use ${o.dataDir} as the data directory: ${(e as Error).message}`);
    }
    const host = loadOrCreateHostKey(state);
    this.hostKeyPublic = host.public;
    this.hostKeyFingerprint = `SHA256:${createHash("sha256")
      .update(Buffer.from(host.public.split(/\s+/)[1], "base64"))
      .digest("base64")
      .replace(/=+$/, "")}`;
    this.index = new CrashIndex(openIndexDatabase(o.database, join(state, "index.sqlite")));
    this.store = new DumpStore(
      { dataDir: o.dataDir, savePath: o.savePath, quotaBytes: o.quotaBytes, minFreeBytes: o.minFreeBytes },
      this.index,
      (dump, name, named) => this.landed(dump, name, named),
    );
    this.queue = new AnalysisQueue(this.index, this.store, o.log, o.workers);
    this.hostKey = host.private;
  }

  /** A whole file arrived under its final name. */
  private landed(dump: DumpRow, name: string, named: boolean): void {
    const role = named ? roleOf(name) : roleByContent(join(this.store.dirPath(dump.dir), name));
    if (role === "dmesg" && name !== "vmcore-dmesg.txt") {
      // kdump-tools' dmesg.<stamp>: stored under kdump's name for it.
      const dir = this.store.dirPath(dump.dir);
      if (!existsSync(join(dir, "vmcore-dmesg.txt"))) {
        renameSync(join(dir, name), join(dir, "vmcore-dmesg.txt"));
        this.index.renameFile(dump.id, name, "vmcore-dmesg.txt");
      }
    }
    if (!named && role === "other") {
      // An HTTP upload that is neither a dump nor a log: kept, and said so.
      this.index.setState(dump.id, "failed", {
        error: `${name}: neither a dump (ELF core, kdump-compressed, flattened, compressed) nor a text log`,
      });
      return;
    }
    if (role === "vmcore") {
      this.index.setState(dump.id, "queued", { upload: name });
      this.queue.enqueue(dump.id);
    } else if (role === "dmesg") {
      // Analyse the log now; the vmcore, when it lands, brings more.
      const fresh = this.index.dumpById(dump.id)!;
      if (!fresh.upload && fresh.state !== "queued" && fresh.state !== "analysing")
        this.queue.enqueue(dump.id);
    }
  }

  /**
   * How a file found on disk enters the index: cut off by its name ("-incomplete"), or whole only if its
   * bytes say so (a dump opens with a complete header and every page).
   */
  private stateOnDisk(path: string, name: string): "complete" | "incomplete" {
    if (name.includes("incomplete")) return "incomplete";
    const v = verifyFile(path);
    if (!v.whole) this.o.log(`${path}: not a whole dump (${v.why}): kept as incomplete`);
    return v.whole ? "complete" : "incomplete";
  }

  /**
   * After a restart the disk is the truth for bytes: every indexed file is checked against it (its size;
   * a file gone is dropped from the index; a whole one whose size changed is judged again by its bytes),
   * and files on disk the index lacks are taken in as adoption takes them.
   */
  private reconcile(): number {
    let changed = 0;
    for (const { id, dir } of this.index.allDumps()) {
      const path = this.store.dirPath(dir);
      const onDisk = new Map<string, number>();
      if (existsSync(path))
        for (const f of readdirSync(path, { withFileTypes: true }))
          if (f.isFile() && validName(f.name)) onDisk.set(f.name, statSync(join(path, f.name)).size);
      for (const f of this.index.files(id)) {
        const size = onDisk.get(f.name);
        onDisk.delete(f.name);
        if (size === undefined) {
          this.index.removeFile(id, f.name);
          changed++;
        } else if (size !== f.bytes) {
          const state = f.state === "complete" ? this.stateOnDisk(join(path, f.name), f.name) : f.state;
          this.index.setFile(id, f.name, state, size);
          changed++;
        }
      }
      for (const [name, size] of onDisk) {
        this.index.setFile(id, name, this.stateOnDisk(join(path, name), name), size);
        changed++;
      }
    }
    return changed;
  }

  /**
   * Dump directories already in the data directory but not in the index (kdx pointed at an existing
   * /var/crash, a directory copied in, an index lost): indexed as found on disk, each file whole only if its
   * bytes say so, and analysed.
   */
  private adoptExisting(): number {
    let n = 0;
    for (const e of readdirSync(this.o.dataDir, { withFileTypes: true })) {
      if (!e.isDirectory() || !validName(e.name) || this.index.dump(e.name)) continue;
      const row = this.index.claimDir(e.name, "disk", "found on disk", "-");
      if (row === "taken") continue;
      const dir = this.store.dirPath(e.name);
      let vmcore: string | undefined;
      let dmesg = false;
      for (const f of readdirSync(dir, { withFileTypes: true })) {
        if (!f.isFile() || !validName(f.name)) continue;
        const path = join(dir, f.name);
        const state = this.stateOnDisk(path, f.name);
        this.index.setFile(row.id, f.name, state, statSync(path).size);
        const role = state === "complete" ? roleOf(f.name) : "other";
        if (role === "vmcore" && (!vmcore || f.name === "vmcore")) vmcore = f.name;
        if (role === "dmesg") dmesg = true;
      }
      if (vmcore) this.index.setState(row.id, "queued", { upload: vmcore });
      if (vmcore || dmesg) this.queue.enqueue(row.id);
      n++;
    }
    return n;
  }

  async start(): Promise<{ ssh: AddressInfo; http: AddressInfo }> {
    const o = this.o;
    const { cutOff, requeued } = this.index.recover();
    if (cutOff) o.log(`${cutOff} upload(s) were cut off by the last shutdown: marked incomplete`);
    const reconciled = this.reconcile();
    if (reconciled) o.log(`${reconciled} file(s) in the index set right by what is on disk`);
    const adopted = this.adoptExisting();
    if (adopted) o.log(`${adopted} dump directory(ies) already in ${o.dataDir} taken into the index`);
    let keys: AuthorizedKey[] = loadAuthorizedKeys(o.authorizedKeys);
    let tokens: Token[] = o.tokens ? loadTokens(o.tokens) : [];
    let readTokens: Token[] | undefined = o.readTokens ? loadTokens(o.readTokens) : undefined;
    // Re-read the key and token files on SIGHUP, as sshd does.
    process.on("SIGHUP", () => {
      try {
        keys = loadAuthorizedKeys(o.authorizedKeys);
        if (o.tokens) tokens = loadTokens(o.tokens);
        if (o.readTokens) readTokens = loadTokens(o.readTokens);
        o.log(
          `reloaded ${keys.length} key(s), ${tokens.length} token(s), ${readTokens?.length ?? 0} read token(s)`,
        );
      } catch (e) {
        o.log(`reload failed, keeping the old keys: ${(e as Error).message}`);
      }
    });
    this.ssh = new SshTarget({
      hostKey: this.hostKey,
      keys: () => keys,
      store: this.store,
      log: o.log,
      limits: o.sshLimits,
    });
    this.http = new HttpFront(
      this.store,
      this.index,
      () => tokens,
      o.log,
      () => readTokens,
    );
    let ssh: AddressInfo;
    let http: AddressInfo;
    try {
      ssh = await this.ssh.listen(o.sshPort, o.listen);
      http = await this.http.listen(o.httpPort, o.listen);
    } catch (e) {
      // Leave nothing listening or running behind a failed start.
      await this.close();
      throw e;
    }
    for (const r of requeued) this.queue.enqueue(r.id);
    return { ssh, http };
  }

  async close(): Promise<void> {
    await Promise.all([this.ssh?.close(), this.http?.close()]);
    await this.queue.close();
    this.index.close();
  }
}
