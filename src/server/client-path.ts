/**
 * Where a client's path lands in the data directory. A kdump client names paths under its save path
 * (kdump.conf `path`, kdump-tools' KDUMP_COREDIR; /var/crash by default): `PATH/<IP>-<date>/<file>`.
 * kdx maps that save path onto the data directory, and allows exactly two levels below it — a dump
 * directory and a file in it. `..`, paths outside the save path, deeper paths and odd names are refused.
 */

export class PathRefused extends Error {}

export type ClientPath =
  | { level: "root" }
  | { level: "dir"; dir: string }
  | { level: "file"; dir: string; file: string };

/** Dump directory and file names kdx stores: what kdump makes (IPs, dates with colons, host names). */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9._:@+-]{0,199}$/;

export function validName(name: string): boolean {
  return NAME.test(name) && name !== "." && name !== "..";
}

/**
 * Resolve a client's path. `savePath` is the absolute path the clients are configured with; a relative
 * path is taken relative to it (scp's `host:DIR` without a leading slash).
 */
export function resolveClientPath(path: string, savePath: string): ClientPath {
  if (path.length === 0 || path.length > 1024) throw new PathRefused("empty or over-long path");
  if (path.includes("\0")) throw new PathRefused("NUL in path");
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) throw new PathRefused(`"${path}": ".." is not allowed`);
  let rel = parts;
  if (path.startsWith("/")) {
    const base = savePath.split("/").filter((p) => p !== "");
    if (base.some((b, i) => parts[i] !== b))
      throw new PathRefused(`"${path}" is outside the dump area ${savePath}`);
    rel = parts.slice(base.length);
  }
  if (rel.length > 2) throw new PathRefused(`"${path}": only DUMPDIR/FILE below ${savePath} is stored`);
  for (const p of rel) if (!validName(p)) throw new PathRefused(`"${p}" is not an accepted file name`);
  if (rel.length === 0) return { level: "root" };
  if (rel.length === 1) return { level: "dir", dir: rel[0] };
  return { level: "file", dir: rel[0], file: rel[1] };
}
