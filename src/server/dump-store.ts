/**
 * The data directory as clients see it, and the rules that keep it safe: each dump directory belongs to
 * the client that made it; files are created 0600 without following symlinks; every byte written is
 * counted against the client's quota and checked against a free-disk floor before the disk fills.
 *
 * Layout: `DATA/<IP>-<date>/{vmcore, vmcore-dmesg.txt, …}` as kdump writes it; kdx's own state lives in
 * `DATA/.kdx/` (host key, index), which no client path can name.
 */
import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  rmdirSync,
  statfsSync,
  write,
} from "node:fs";
import { join } from "node:path";
import { type ClientPath, PathRefused, resolveClientPath, validName } from "./client-path.ts";
import type { CrashIndex, DumpRow } from "./crash-index.ts";

export interface ClientId {
  /** Stable identity: the key's fingerprint, or an HTTP token's name. */
  id: string;
  /** For people: the key's comment or the token's name. */
  name: string;
  /** The address the client connected from. */
  peer: string;
}

export interface StoreOptions {
  dataDir: string;
  /** The absolute path clients are configured to save under (kdump.conf `path`). */
  savePath: string;
  /** Per-client limit on stored bytes; undefined: none. */
  quotaBytes?: number;
  /** Uploads are refused when the disk's free space would fall below this. */
  minFreeBytes: number;
}

/** A refusal the client is told about in words (its stderr, an SFTP status, an HTTP body). */
export class Refused extends Error {}

/** What a completed file is to kdx. */
export type FileRole = "vmcore" | "dmesg" | "other";

export function roleOf(name: string): FileRole {
  if (name.includes("incomplete")) return "other";
  if (/^(vmcore(\.flat|\.\d+)?|dump\.\d+(\.(gz|bz2|xz|lz4|zst))?)$/.test(name)) return "vmcore";
  if (name === "vmcore-dmesg.txt" || /^dmesg\.\d+$/.test(name)) return "dmesg";
  return "other";
}

export class DumpStore {
  /** Files with an upload in flight: "dir/file" → the upload. */
  private readonly active = new Map<string, Upload>();
  /** Bytes in flight per client, not yet in the index. */
  private readonly inflight = new Map<string, number>();
  private lastFreeCheck = 0;
  private lastFree = Number.POSITIVE_INFINITY;

  constructor(
    readonly opts: StoreOptions,
    readonly index: CrashIndex,
    /**
     * Called when a whole file lands under a final name. `named`: the name is kdump's (ssh clients), so
     * it says the file's role; HTTP uploads are named by whoever sends them, so their content decides.
     */
    private readonly onFinal: (dump: DumpRow, name: string, named: boolean) => void,
  ) {}

  resolve(path: string): ClientPath {
    try {
      return resolveClientPath(path, this.opts.savePath);
    } catch (e) {
      if (e instanceof PathRefused) throw new Refused(e.message);
      throw e;
    }
  }

  dirPath(dir: string): string {
    return join(this.opts.dataDir, dir);
  }

  /** The dump row of a directory the client owns, or a refusal. */
  private owned(client: ClientId, dir: string): DumpRow {
    const row = this.index.dump(dir);
    if (!row) throw new Refused(`${dir}: no such directory`);
    if (row.owner !== client.id) throw new Refused(`${dir} belongs to another client`);
    this.checkNoSymlink(this.dirPath(dir), true);
    return row;
  }

  /** Refuse anything on disk that is a symlink (or not the kind expected): kdx never follows them. */
  private checkNoSymlink(path: string, dir: boolean): boolean {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(path);
    } catch {
      return false;
    }
    if (st.isSymbolicLink())
      throw new Refused(`${path.slice(this.opts.dataDir.length + 1)} is a symbolic link`);
    if (dir !== st.isDirectory())
      throw new Refused(
        `${path.slice(this.opts.dataDir.length + 1)} is ${dir ? "not a directory" : "a directory"}`,
      );
    return true;
  }

  /** `mkdir -p`: the save path itself is always there; a dump directory is claimed for the client. */
  mkdir(client: ClientId, path: string): void {
    const p = this.resolve(path);
    if (p.level === "root") return;
    if (p.level === "file") throw new Refused(`"${path}": only dump directories can be made`);
    this.makeDir(client, p.dir);
  }

  private makeDir(client: ClientId, dir: string): DumpRow {
    const row = this.index.claimDir(dir, client.id, client.name, client.peer);
    if (row === "taken") throw new Refused(`${dir} belongs to another client`);
    const full = this.dirPath(dir);
    if (!this.checkNoSymlink(full, true)) mkdirSync(full, { mode: 0o700 });
    return row;
  }

  /** `mktemp -dqp PATH`: kdump's write check at service start. */
  mktemp(client: ClientId, path: string): string {
    const p = this.resolve(path);
    if (p.level !== "root") throw new Refused("mktemp -d is accepted in the save path only");
    for (let i = 0; i < 20; i++) {
      const name = `tmp.${Math.random().toString(36).slice(2, 12)}`;
      if (this.index.dump(name)) continue;
      this.makeDir(client, name);
      return `${this.opts.savePath.replace(/\/$/, "")}/${name}`;
    }
    throw new Refused("could not make a temporary directory");
  }

  /** `rmdir`: only the client's own, empty directory. */
  rmdir(client: ClientId, path: string): void {
    const p = this.resolve(path);
    if (p.level !== "dir") throw new Refused(`"${path}": not a dump directory`);
    const row = this.owned(client, p.dir);
    try {
      rmdirSync(this.dirPath(p.dir));
    } catch (e) {
      throw new Refused(
        `${p.dir}: ${(e as NodeJS.ErrnoException).code === "ENOTEMPTY" ? "not empty" : (e as Error).message}`,
      );
    }
    this.index.forgetDir(row.dir);
  }

  /** Space a client may still use, in KiB: the free disk above the floor, capped by its quota. */
  availableKiB(client: ClientId): number {
    let avail = Math.max(0, this.freeBytes(true) - this.opts.minFreeBytes);
    if (this.opts.quotaBytes !== undefined)
      avail = Math.min(avail, Math.max(0, this.opts.quotaBytes - this.used(client)));
    return Math.floor(avail / 1024);
  }

  private used(client: ClientId): number {
    return this.index.ownerBytes(client.id) + (this.inflight.get(client.id) ?? 0);
  }

  private freeBytes(fresh = false): number {
    const now = Date.now();
    if (fresh || now - this.lastFreeCheck > 250) {
      const s = statfsSync(this.opts.dataDir);
      this.lastFree = s.bavail * s.bsize;
      this.lastFreeCheck = now;
    }
    return this.lastFree;
  }

  /** What `stat` answers for SFTP and scp: a directory, a file, or nothing. */
  stat(client: ClientId, path: string): { dir: boolean; size: number; mtime: number } | undefined {
    const p = this.resolve(path);
    if (p.level === "root") return { dir: true, size: 4096, mtime: Date.now() / 1000 };
    const row = this.index.dump(p.dir);
    if (!row || row.owner !== client.id) return undefined;
    const full = p.level === "dir" ? this.dirPath(p.dir) : join(this.dirPath(p.dir), p.file);
    try {
      const st = lstatSync(full);
      if (st.isSymbolicLink()) return undefined;
      return { dir: st.isDirectory(), size: st.size, mtime: st.mtimeMs / 1000 };
    } catch {
      return undefined;
    }
  }

  /** Names in a directory the client may see: the root lists its own dump directories. */
  list(client: ClientId, path: string): string[] {
    const p = this.resolve(path);
    if (p.level === "root") return this.index.dirsOf(client.id);
    if (p.level === "file") throw new Refused(`"${path}" is not a directory`);
    this.owned(client, p.dir);
    return readdirSync(this.dirPath(p.dir)).filter(validName);
  }

  /**
   * Start an upload into DIR/FILE. The directory must exist and be the client's (as for dd: kdump makes
   * it first with mkdir -p); a file being uploaded by another connection is refused.
   */
  openUpload(client: ClientId, path: string, opts: { dirTarget?: string; named?: boolean } = {}): Upload {
    let p = this.resolve(path);
    if (opts.dirTarget !== undefined && p.level !== "file") {
      // scp to a directory: the file keeps its own name.
      if (!validName(opts.dirTarget)) throw new Refused(`"${opts.dirTarget}" is not an accepted file name`);
      if (p.level === "root") throw new Refused("files are stored in a dump directory, not in the save path");
      p = { level: "file", dir: p.dir, file: opts.dirTarget };
    }
    if (p.level !== "file") throw new Refused(`"${path}" is a directory`);
    const row = this.owned(client, p.dir);
    const key = `${p.dir}/${p.file}`;
    if (this.active.has(key)) throw new Refused(`${key} is being uploaded by another connection`);
    if (this.freeBytes(true) < this.opts.minFreeBytes)
      throw new Refused(`the collection server is below its free-disk floor; upload of ${key} refused`);
    if (this.opts.quotaBytes !== undefined && this.used(client) >= this.opts.quotaBytes)
      throw new Refused(
        `quota exceeded: ${client.name} stores ${this.used(client)} of ${this.opts.quotaBytes} bytes`,
      );
    const full = join(this.dirPath(p.dir), p.file);
    this.checkNoSymlink(full, false);
    let fd: number;
    try {
      fd = openSync(
        full,
        constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
        0o600,
      );
    } catch (e) {
      throw new Refused(`cannot create ${key}: ${(e as Error).message}`);
    }
    const up = new Upload(this, client, row, p.file, fd, opts.named ?? true);
    this.active.set(key, up);
    this.index.setFile(row.id, p.file, "receiving", 0);
    return up;
  }

  /** Account `n` more bytes for an upload, refusing past the quota or the free-disk floor. */
  charge(client: ClientId, n: number, what: string): void {
    const used = this.used(client);
    if (this.opts.quotaBytes !== undefined && used + n > this.opts.quotaBytes)
      throw new Refused(
        `quota exceeded: ${client.name} may store ${this.opts.quotaBytes} bytes; ${what} was stopped at ${used} bytes`,
      );
    if (this.freeBytes() - n < this.opts.minFreeBytes)
      throw new Refused(`the collection server's disk is at its free-space floor; ${what} was stopped`);
    // Between two statfs calls, count what is being written against the free space last seen.
    this.lastFree -= n;
    this.inflight.set(client.id, (this.inflight.get(client.id) ?? 0) + n);
  }

  /** An upload ended: record the file as whole (`clean`) or cut off, and hand whole final files on. */
  finished(up: Upload, clean: boolean, bytes = up.bytes): void {
    const key = `${up.dump.dir}/${up.name}`;
    this.active.delete(key);
    this.inflight.set(up.client.id, Math.max(0, (this.inflight.get(up.client.id) ?? 0) - up.bytes));
    // A name with "incomplete" in it is whole only when the client renames it.
    const state = clean ? (up.name.includes("incomplete") ? "ended" : "complete") : "incomplete";
    this.index.setFile(up.dump.id, up.name, state, bytes);
    if (state === "complete") this.onFinal(this.index.dumpById(up.dump.id)!, up.name, up.named);
  }

  /** `mv`: within one dump directory; the file must have arrived whole. */
  rename(client: ClientId, from: string, to: string): void {
    const a = this.resolve(from);
    let b = this.resolve(to);
    if (a.level !== "file") throw new Refused(`"${from}": only files can be moved`);
    if (b.level === "dir" && b.dir === a.dir) b = { level: "file", dir: a.dir, file: a.file };
    if (b.level !== "file" || b.dir !== a.dir) throw new Refused("mv within one dump directory only");
    const row = this.owned(client, a.dir);
    if (this.active.has(`${a.dir}/${a.file}`))
      throw new Refused(`${a.dir}/${a.file} is still being uploaded`);
    if (this.active.has(`${b.dir}/${b.file}`)) throw new Refused(`${b.dir}/${b.file} is being uploaded`);
    const f = this.index.file(row.id, a.file);
    if (!f) throw new Refused(`${a.dir}/${a.file}: no such file`);
    if (f.state === "incomplete" || f.state === "receiving")
      throw new Refused(`${a.dir}/${a.file}: its upload was cut off, it is not whole`);
    const src = join(this.dirPath(a.dir), a.file);
    const dst = join(this.dirPath(b.dir), b.file);
    this.checkNoSymlink(src, false);
    this.checkNoSymlink(dst, false);
    renameSync(src, dst);
    this.index.renameFile(row.id, a.file, b.file);
    const state = b.file.includes("incomplete") ? "ended" : "complete";
    this.index.setFile(row.id, b.file, state, f.bytes);
    if (state === "complete") this.onFinal(this.index.dumpById(row.id)!, b.file, true);
  }

  /** For the HTTP endpoint: a fresh dump directory named as kdump names them, `<IP>-<date>`. */
  newDumpDir(client: ClientId, when = new Date()): DumpRow {
    const ip = client.peer.replace(/^::ffff:/, "").replace(/[^0-9A-Za-z.:]/g, "_");
    const stamp = `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())}-${pad(when.getHours())}:${pad(when.getMinutes())}:${pad(when.getSeconds())}`;
    for (let n = 0; ; n++) {
      const dir = n ? `${ip}-${stamp}.${n}` : `${ip}-${stamp}`;
      if (!this.index.dump(dir)) return this.makeDir(client, dir);
    }
  }
}

const pad = (n: number) => String(n).padStart(2, "0");

/** One file being received. Writes are positional (SFTP may send them out of order). */
export class Upload {
  bytes = 0;
  private closed = false;
  private failure: Error | undefined;

  constructor(
    private readonly store: DumpStore,
    readonly client: ClientId,
    readonly dump: DumpRow,
    readonly name: string,
    private readonly fd: number,
    readonly named: boolean,
  ) {}

  get label(): string {
    return `${this.dump.dir}/${this.name}`;
  }

  /** Write at a position; rejects with Refused past the quota or the disk floor. */
  writeAt(data: Uint8Array, position: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Refused(`${this.label}: write after close`));
    const grow = Math.max(0, position + data.length - this.bytes);
    try {
      if (grow) this.store.charge(this.client, grow, `the upload of ${this.label}`);
    } catch (e) {
      this.failure = e as Error;
      return Promise.reject(e);
    }
    this.bytes += grow;
    return new Promise((resolve, reject) => {
      const go = (done: number) =>
        write(this.fd, data, done, data.length - done, position + done, (err, n) => {
          if (err) {
            this.failure = new Refused(
              `cannot write ${this.label}: ${err.code === "ENOSPC" ? "the disk is full" : err.message}`,
            );
            reject(this.failure);
          } else if (done + n < data.length) go(done + n);
          else resolve();
        });
      go(0);
    });
  }

  /** The upload ended; `clean` when the client finished it (EOF, scp's end, SFTP close). Idempotent. */
  finish(clean: boolean): void {
    if (this.closed) return;
    this.closed = true;
    const ok = clean && !this.failure;
    try {
      if (ok) fsyncSync(this.fd);
    } catch {}
    // What reached the file, not what was counted on its way there (a cut-off write may never land).
    let onDisk = this.bytes;
    try {
      onDisk = fstatSync(this.fd).size;
    } catch {}
    try {
      closeSync(this.fd);
    } catch {}
    this.store.finished(this, ok, onDisk);
  }
}
