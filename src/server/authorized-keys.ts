/**
 * OpenSSH's authorized_keys format, for the keys kdump clients authenticate with: `[options] TYPE BASE64
 * [comment]`. The `from="PATTERN,…"` option names the hosts a key speaks for (addresses with `*`/`?`
 * wildcards, CIDR blocks, `!` to exclude), as sshd reads it; other options are accepted and ignored —
 * kdx never runs a command or opens a terminal for anyone.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import ssh2 from "ssh2";
import { KdxError } from "../util/errors.ts";

export interface AuthorizedKey {
  algo: string;
  /** The public key blob, as the client presents it. */
  blob: Buffer;
  comment: string;
  /** `SHA256:…` as ssh-keygen -l prints it: the client's identity in the index. */
  fingerprint: string;
  from?: string[];
  line: number;
}

const KEY_TYPE =
  /^(ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-(ssh-ed25519|ecdsa-sha2-nistp256)@openssh\.com)$/;

/** Split on unquoted separators (options are `a,b="x,y",c`). */
function splitUnquoted(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  let q = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "\\" && q && i + 1 < s.length) cur += s[++i];
    else if (c === '"') q = !q;
    else if (c === sep && !q) {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export function parseAuthorizedKeys(text: string, file = "authorized_keys"): AuthorizedKey[] {
  const keys: AuthorizedKey[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    // Options come first when the first word is not a key type; they may hold quoted spaces.
    let options = "";
    let rest = line;
    if (!KEY_TYPE.test(line.split(/\s+/)[0])) {
      let q = false;
      let j = 0;
      for (; j < line.length; j++) {
        if (line[j] === '"' && line[j - 1] !== "\\") q = !q;
        else if (/\s/.test(line[j]) && !q) break;
      }
      options = line.slice(0, j);
      rest = line.slice(j).trim();
    }
    const [algo, b64, ...comment] = rest.split(/\s+/);
    if (!algo || !KEY_TYPE.test(algo) || !b64)
      throw new KdxError(
        `${file}:${i + 1}: not a public key line (expected [options] TYPE BASE64 [comment])`,
      );
    const blob = Buffer.from(b64, "base64");
    const parsed = ssh2.utils.parseKey(`${algo} ${b64}`);
    if (parsed instanceof Error) throw new KdxError(`${file}:${i + 1}: ${parsed.message}`);
    const key: AuthorizedKey = {
      algo,
      blob,
      comment: comment.join(" ") || `key on line ${i + 1}`,
      fingerprint: `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`,
      line: i + 1,
    };
    for (const opt of options ? splitUnquoted(options, ",") : []) {
      const m = /^([A-Za-z-]+)(?:=(.*))?$/.exec(opt.trim());
      if (m && m[1].toLowerCase() === "from" && m[2] !== undefined)
        key.from = m[2]
          .split(",")
          .map((p) => p.trim())
          .filter(Boolean);
    }
    keys.push(key);
  });
  return keys;
}

export function loadAuthorizedKeys(path: string): AuthorizedKey[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new KdxError(`cannot read the authorized-keys file ${path}: ${(e as Error).message}`);
  }
  return parseAuthorizedKeys(text, path);
}

function ipv4(s: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (!m) return undefined;
  const p = m.slice(1).map(Number);
  if (p.some((x) => x > 255)) return undefined;
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

function matchOne(addr: string, pattern: string): boolean {
  const cidr = /^([\d.]+)\/(\d+)$/.exec(pattern);
  if (cidr) {
    const a = ipv4(addr);
    const n = ipv4(cidr[1]);
    const bits = Number(cidr[2]);
    if (a === undefined || n === undefined || bits > 32) return false;
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    return (a & mask) === (n & mask);
  }
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    "i",
  );
  return re.test(addr);
}

/** sshd's pattern-list rule: a negated match refuses outright; otherwise any positive match accepts. */
export function addressAllowed(key: AuthorizedKey, peer: string): boolean {
  if (!key.from) return true;
  const addr = peer.replace(/^::ffff:/, "");
  let ok = false;
  for (const p of key.from) {
    if (p.startsWith("!")) {
      if (matchOne(addr, p.slice(1))) return false;
    } else if (matchOne(addr, p)) ok = true;
  }
  return ok;
}
