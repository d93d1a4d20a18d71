/**
 * The index's database: SQLite in the data directory (better-sqlite3), or PostgreSQL (`--database
 * postgresql://…`, through libpq's synchronous calls in pg-native). Both are synchronous, so the index reads
 * the same either way; SQL is written with `?` placeholders and the few dialect differences are asked of
 * `dialect`.
 */
import { createRequire } from "node:module";
import Database from "better-sqlite3";
import { KdxError } from "../util/errors.ts";

export interface SqlDatabase {
  readonly dialect: "sqlite" | "postgres";
  /** Where the index is, for people (a path, or the URL without its password). */
  readonly where: string;
  run(sql: string, ...params: unknown[]): void;
  get<T>(sql: string, ...params: unknown[]): T | undefined;
  all<T>(sql: string, ...params: unknown[]): T[];
  transaction<T>(fn: () => T): T;
  close(): void;
}

export function openSqlite(path: string): SqlDatabase {
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  return {
    dialect: "sqlite",
    where: path,
    run: (sql, ...p) => {
      db.prepare(sql).run(...p);
    },
    get: <T>(sql: string, ...p: unknown[]) => db.prepare(sql).get(...p) as T | undefined,
    all: <T>(sql: string, ...p: unknown[]) => db.prepare(sql).all(...p) as T[],
    transaction: (fn) => db.transaction(fn)(),
    close: () => db.close(),
  };
}

interface PgNative {
  connectSync(url: string): void;
  querySync(sql: string, params?: unknown[]): Record<string, unknown>[];
  end(cb?: () => void): void;
}

export function openPostgres(url: string): SqlDatabase {
  const require = createRequire(import.meta.url);
  try {
    require.resolve("pg-native");
  } catch {
    throw new KdxError(
      "a PostgreSQL index needs the optional package pg-native, built against libpq (apt-get install libpq-dev, then npm install)",
    );
  }
  // 64-bit integers (ids, byte counts, millisecond times) and sums come back as text by default.
  const types = require("pg-types") as { setTypeParser(oid: number, f: (v: string) => unknown): void };
  types.setTypeParser(20, Number);
  types.setTypeParser(1700, Number);
  const Client = require("pg-native") as new () => PgNative;
  const client = new Client();
  const where = url.replace(/:[^:@/]*@/, ":***@");
  try {
    client.connectSync(url);
  } catch (e) {
    throw new KdxError(
      `cannot connect to the index database ${where}: ${(e as Error).message.trim().replace(/\s+/g, " ")}`,
    );
  }
  // `?` → `$1, $2, …` (the index's SQL has no `?` inside string literals).
  const cache = new Map<string, string>();
  const pg = (sql: string) => {
    let out = cache.get(sql);
    if (!out) {
      let n = 0;
      out = sql.replace(/\?/g, () => `$${++n}`);
      cache.set(sql, out);
    }
    return out;
  };
  const q = (sql: string, p: unknown[]) => client.querySync(pg(sql), p);
  let depth = 0;
  return {
    dialect: "postgres",
    where,
    run: (sql, ...p) => {
      q(sql, p);
    },
    get: <T>(sql: string, ...p: unknown[]) => q(sql, p)[0] as T | undefined,
    all: <T>(sql: string, ...p: unknown[]) => q(sql, p) as T[],
    transaction: <T>(fn: () => T): T => {
      if (depth > 0) return fn();
      depth++;
      client.querySync("BEGIN");
      try {
        const r = fn();
        client.querySync("COMMIT");
        return r;
      } catch (e) {
        client.querySync("ROLLBACK");
        throw e;
      } finally {
        depth--;
      }
    },
    close: () => client.end(),
  };
}

/** `--database`: a PostgreSQL URL, or by default SQLite at `defaultPath`. */
export function openIndexDatabase(url: string | undefined, defaultPath: string): SqlDatabase {
  if (!url) return openSqlite(defaultPath);
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url);
  if (/^sqlite:/.test(url)) return openSqlite(url.replace(/^sqlite:(\/\/)?/, ""));
  throw new KdxError(`--database takes postgresql://… or sqlite:PATH, not "${url}"`);
}
