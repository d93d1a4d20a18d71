/**
 * The index of received dumps: SQLite in the data directory, or PostgreSQL (sql-database.ts). It records who owns each
 * dump directory, which files are whole, each dump's state and its analysis; crashes are grouped by
 * their oops signature. The disk is the truth for bytes, the index for what they mean: a file counts as
 * whole only once the client said so (its rename, or the end of an scp/SFTP upload), so a dump cut off
 * by a crash of the client or of kdx is never taken for a complete one.
 */
import type { SqlDatabase } from "./sql-database.ts";

export type DumpState = "receiving" | "incomplete" | "queued" | "analysing" | "ready" | "failed";
/** `ended`: the transfer finished cleanly under an "-incomplete" name; whole once the client renames it. */
export type FileState = "receiving" | "ended" | "complete" | "incomplete";

export interface DumpRow {
  id: number;
  dir: string;
  owner: string;
  owner_name: string;
  peer: string;
  created: number;
  updated: number;
  state: DumpState;
  upload: string | null;
  bytes: number;
  format: string | null;
  release: string | null;
  hostname: string | null;
  crash_time: number | null;
  kind: string | null;
  title: string | null;
  signature: string | null;
  corrupted: number;
  error: string | null;
}

export interface FileRow {
  dump_id: number;
  name: string;
  state: FileState;
  bytes: number;
  updated: number;
}

export interface SignatureRow {
  signature: string;
  title: string;
  count: number;
  /** First and last seen, milliseconds since the epoch. */
  first: number;
  last: number;
  /** The UTC day of each crash, comma-separated (one entry per crash). */
  days: string;
}

export interface Analysis {
  format?: string;
  release?: string;
  hostname?: string;
  crashTime?: number;
  kind?: string;
  title?: string;
  signature?: string;
  corrupted?: boolean;
  /** Everything the crash page shows: reports, sys, bt, the log's source. */
  detail: object;
}

const SCHEMA_SQLITE = `
CREATE TABLE IF NOT EXISTS dumps (
  id INTEGER PRIMARY KEY,
  dir TEXT NOT NULL UNIQUE,
  owner TEXT NOT NULL,
  owner_name TEXT NOT NULL,
  peer TEXT NOT NULL,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  state TEXT NOT NULL,
  upload TEXT,
  bytes INTEGER NOT NULL DEFAULT 0,
  format TEXT, release TEXT, hostname TEXT, crash_time INTEGER,
  kind TEXT, title TEXT, signature TEXT, corrupted INTEGER NOT NULL DEFAULT 0,
  error TEXT,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS dumps_signature ON dumps(signature);
CREATE INDEX IF NOT EXISTS dumps_owner ON dumps(owner);
CREATE TABLE IF NOT EXISTS files (
  dump_id INTEGER NOT NULL REFERENCES dumps(id),
  name TEXT NOT NULL,
  state TEXT NOT NULL,
  bytes INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL,
  PRIMARY KEY (dump_id, name)
);
`;

/** The same tables in PostgreSQL: 64-bit integers for ids, byte counts and millisecond times. */
const SCHEMA_POSTGRES = SCHEMA_SQLITE.replace("id INTEGER PRIMARY KEY", "id BIGSERIAL PRIMARY KEY").replace(
  /INTEGER/g,
  "BIGINT",
);

export class CrashIndex {
  constructor(readonly db: SqlDatabase) {
    const schema = db.dialect === "postgres" ? SCHEMA_POSTGRES : SCHEMA_SQLITE;
    for (const stmt of schema
      .split(";")
      .map((x) => x.trim())
      .filter(Boolean))
      db.run(stmt);
  }

  close(): void {
    this.db.close();
  }

  /**
   * After a restart: uploads that were in flight were cut off (their connection died with the old
   * process), so they are incomplete; dumps that were queued or being analysed go back to the queue.
   */
  recover(): { cutOff: number; requeued: DumpRow[] } {
    const now = Date.now();
    return this.db.transaction(() => {
      const cutOff = this.db.all(
        "UPDATE files SET state = 'incomplete', updated = ? WHERE state = 'receiving' RETURNING dump_id",
        now,
      ).length;
      for (const r of this.db.all("SELECT id FROM dumps WHERE state = 'receiving'") as {
        id: number;
      }[]) {
        this.db.run("UPDATE dumps SET state = 'incomplete' WHERE id = ?", r.id);
        this.derive(r.id);
      }
      this.db.run("UPDATE dumps SET state = 'queued' WHERE state = 'analysing'");
      const requeued = this.db.all("SELECT * FROM dumps WHERE state = 'queued'") as DumpRow[];
      return { cutOff, requeued };
    });
  }

  /** Every dump directory the index knows, with or without files. */
  allDumps(): { id: number; dir: string }[] {
    return this.db.all("SELECT id, dir FROM dumps ORDER BY id") as { id: number; dir: string }[];
  }

  dump(dir: string): DumpRow | undefined {
    return this.db.get("SELECT * FROM dumps WHERE dir = ?", dir) as DumpRow | undefined;
  }

  dumpById(id: number): DumpRow | undefined {
    return this.db.get("SELECT * FROM dumps WHERE id = ?", id) as DumpRow | undefined;
  }

  /** Claim a dump directory for an owner; an existing one must be the same owner's. */
  claimDir(dir: string, owner: string, ownerName: string, peer: string): DumpRow | "taken" {
    return this.db.transaction(() => {
      const row = this.dump(dir);
      if (row) return row.owner === owner ? row : "taken";
      const now = Date.now();
      this.db.run(
        "INSERT INTO dumps (dir, owner, owner_name, peer, created, updated, state) VALUES (?, ?, ?, ?, ?, ?, 'incomplete')",
        dir,
        owner,
        ownerName,
        peer,
        now,
        now,
      );
      return this.dump(dir)!;
    });
  }

  forgetDir(dir: string): void {
    this.db.transaction(() => {
      const row = this.dump(dir);
      if (!row) return;
      this.db.run("DELETE FROM files WHERE dump_id = ?", row.id);
      this.db.run("DELETE FROM dumps WHERE id = ?", row.id);
      this.ownerCache.clear();
    });
  }

  files(dumpId: number): FileRow[] {
    return this.db.all("SELECT * FROM files WHERE dump_id = ? ORDER BY name", dumpId) as FileRow[];
  }

  file(dumpId: number, name: string): FileRow | undefined {
    return this.db.get("SELECT * FROM files WHERE dump_id = ? AND name = ?", dumpId, name) as
      | FileRow
      | undefined;
  }

  setFile(dumpId: number, name: string, state: FileState, bytes: number): void {
    const now = Date.now();
    this.db.transaction(() => {
      this.db.run(
        "INSERT INTO files (dump_id, name, state, bytes, updated) VALUES (?, ?, ?, ?, ?) ON CONFLICT(dump_id, name) DO UPDATE SET state = excluded.state, bytes = excluded.bytes, updated = excluded.updated",
        dumpId,
        name,
        state,
        bytes,
        now,
      );
      this.refreshBytes(dumpId);
      this.derive(dumpId);
    });
  }

  /**
   * A dump's state follows from its files: an upload in flight makes it `receiving`; otherwise a whole
   * vmcore (or a dump with nothing unfinished) is `ready` once analysed; a file cut off or not yet
   * renamed by its client leaves it `incomplete`. The queue's own states stand while it works.
   */
  derive(dumpId: number): void {
    const row = this.dumpById(dumpId);
    if (!row) return;
    const files = this.files(dumpId);
    // The queue's states stand while it works; it derives the state again when it is done.
    if (row.state === "queued" || row.state === "analysing") return;
    let next: DumpState;
    if (files.some((f) => f.state === "receiving")) next = "receiving";
    else if (row.state === "failed" && row.upload) return;
    else if (row.upload) next = row.title !== null || row.error === null ? "ready" : "failed";
    else if (files.some((f) => f.state !== "complete")) next = "incomplete";
    else next = row.title !== null ? "ready" : "incomplete";
    if (next !== row.state)
      this.db.run("UPDATE dumps SET state = ?, updated = ? WHERE id = ?", next, Date.now(), dumpId);
  }

  renameFile(dumpId: number, from: string, to: string): void {
    this.db.transaction(() => {
      this.db.run("DELETE FROM files WHERE dump_id = ? AND name = ?", dumpId, to);
      this.db.run(
        "UPDATE files SET name = ?, updated = ? WHERE dump_id = ? AND name = ?",
        to,
        Date.now(),
        dumpId,
        from,
      );
    });
  }

  removeFile(dumpId: number, name: string): void {
    this.db.run("DELETE FROM files WHERE dump_id = ? AND name = ?", dumpId, name);
    this.refreshBytes(dumpId);
  }

  private refreshBytes(dumpId: number): void {
    this.ownerCache.clear();
    this.db.run(
      "UPDATE dumps SET bytes = (SELECT COALESCE(SUM(bytes), 0) FROM files WHERE dump_id = ?) WHERE id = ?",
      dumpId,
      dumpId,
    );
  }

  /** Bytes stored per owner, kept between file changes: the quota is checked on every chunk received. */
  private readonly ownerCache = new Map<string, number>();

  /** Bytes stored for an owner, over all its dumps (the quota's measure). */
  ownerBytes(owner: string): number {
    let n = this.ownerCache.get(owner);
    if (n === undefined) {
      n = this.db.get<{ n: number }>(
        "SELECT COALESCE(SUM(bytes), 0) AS n FROM dumps WHERE owner = ?",
        owner,
      )!.n;
      this.ownerCache.set(owner, n);
    }
    return n;
  }

  setState(
    dumpId: number,
    state: DumpState,
    fields: { upload?: string | null; error?: string | null } = {},
  ): void {
    const sets = ["state = ?", "updated = ?"];
    const args: unknown[] = [state, Date.now()];
    if (fields.upload !== undefined) {
      sets.push("upload = ?");
      args.push(fields.upload);
    }
    if (fields.error !== undefined) {
      sets.push("error = ?");
      args.push(fields.error);
    }
    this.db.run(`UPDATE dumps SET ${sets.join(", ")} WHERE id = ?`, ...args, dumpId);
  }

  /** Record an analysis; a dump queued again meanwhile (its vmcore landed) stays queued. */
  saveAnalysis(dumpId: number, a: Analysis, requeued = false): void {
    this.db.run(
      "UPDATE dumps SET state = ?, updated = ?, format = ?, release = ?, hostname = ?, crash_time = ?, kind = ?, title = ?, signature = ?, corrupted = ?, detail = ?, error = NULL WHERE id = ?",
      requeued ? "queued" : "analysed",
      Date.now(),
      a.format ?? null,
      a.release ?? null,
      a.hostname ?? null,
      a.crashTime ?? null,
      a.kind ?? null,
      a.title ?? null,
      a.signature ?? null,
      a.corrupted ? 1 : 0,
      JSON.stringify(a.detail),
      dumpId,
    );
    if (!requeued) this.derive(dumpId);
  }

  detail(dumpId: number): object | undefined {
    const r = this.db.get("SELECT detail FROM dumps WHERE id = ?", dumpId) as
      | { detail: string | null }
      | undefined;
    return r?.detail ? JSON.parse(r.detail) : undefined;
  }

  /** Every dump directory an owner has, files or not (its view of the save path). */
  dirsOf(owner: string): string[] {
    return this.db
      .all<{ dir: string }>("SELECT dir FROM dumps WHERE owner = ? ORDER BY dir", owner)
      .map((r) => r.dir);
  }

  /** The dumps for the dashboard, newest first: directories that have received something. */
  list(limit = 500): DumpRow[] {
    return this.db.all(
      "SELECT id, dir, owner, owner_name, peer, created, updated, state, upload, bytes, format, release, hostname, crash_time, kind, title, signature, corrupted, error FROM dumps WHERE EXISTS (SELECT 1 FROM files WHERE files.dump_id = dumps.id) ORDER BY created DESC LIMIT ?",
      limit,
    ) as DumpRow[];
  }

  /** Crashes grouped by signature, with the days they were seen on (for the chart). */
  signatures(): SignatureRow[] {
    return this.db.all<SignatureRow>(`SELECT signature, MAX(title) AS title, COUNT(*) AS count, MIN(COALESCE(crash_time * 1000, created)) AS first,
                MAX(COALESCE(crash_time * 1000, created)) AS last,
                ${this.db.dialect === "postgres" ? "string_agg(to_char(to_timestamp(COALESCE(crash_time, created / 1000)) AT TIME ZONE 'UTC', 'YYYY-MM-DD'), ',')" : "GROUP_CONCAT(date(COALESCE(crash_time, created / 1000), 'unixepoch'))"} AS days
         FROM dumps WHERE signature IS NOT NULL GROUP BY signature ORDER BY count DESC, last DESC`);
  }

  /** Crash counts by kernel release. */
  byRelease(): { key: string; count: number }[] {
    return this.db.all(
      "SELECT COALESCE(release, '(unknown)') AS key, COUNT(*) AS count FROM dumps WHERE title IS NOT NULL GROUP BY key ORDER BY count DESC",
    ) as { key: string; count: number }[];
  }

  /**
   * Crash counts by host: the kernel's own node name when it has one, else the host part of kdump's
   * directory name (`<IP>-<date>`, or `<hostname>-<stamp>` with kdump-tools' HOSTTAG=hostname).
   */
  byHost(): { key: string; count: number }[] {
    const rows = this.db.all("SELECT hostname, dir FROM dumps WHERE title IS NOT NULL") as {
      hostname: string | null;
      dir: string;
    }[];
    const counts = new Map<string, number>();
    for (const r of rows) {
      const key = r.hostname && r.hostname !== "(none)" ? r.hostname : hostOfDir(r.dir);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count);
  }
}

/** `10.0.0.5-2026-11-25-03:13:13` → `10.0.0.5`; `web-01-202611250313` → `web-01`. */
export function hostOfDir(dir: string): string {
  return dir.replace(/-(\d{4}-\d\d-\d\d-\d\d:\d\d:\d\d|\d{12})(\.\d+)?$/, "");
}
