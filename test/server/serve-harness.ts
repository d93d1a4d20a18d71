/**
 * Running the real `kdx serve` for the tests, and the real OpenSSH client against it: keys made with
 * ssh-keygen, the server's host key pinned in known_hosts (StrictHostKeyChecking=yes, as kdump does), and
 * an ssh_config naming the target so the commands run exactly as kdump's scripts spell them.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KDX, tempDir } from "../helpers.ts";

export interface Served {
  proc: ChildProcess;
  dataDir: string;
  sshPort: number;
  base: string;
  log: () => string;
  /** ssh options that reach this server as host "kdx-target" with the key given. */
  sshConfig: string;
  stop: () => Promise<void>;
  kill9: () => Promise<void>;
}

export function makeKey(dir: string, name: string, type = "ed25519"): string {
  const path = join(dir, name);
  const r = spawnSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", name, "-f", path]);
  if (r.status !== 0) throw new Error(`ssh-keygen: ${r.stderr}`);
  return path;
}

export function publicKey(key: string): string {
  return readFileSync(`${key}.pub`, "utf8").trim();
}

export async function startServe(opts: {
  authorizedKeys: string;
  dataDir?: string;
  args?: string[];
}): Promise<Served> {
  const dataDir = opts.dataDir ?? join(tempDir("kdx-serve-"), "data");
  const proc = spawn(
    KDX,
    [
      "serve",
      "--data",
      dataDir,
      "--authorized-keys",
      opts.authorizedKeys,
      "--ssh-port",
      "0",
      "--http-port",
      "0",
      "--min-free",
      "1M",
      ...(opts.args ?? []),
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  proc.stderr!.on("data", (d) => {
    err += d;
  });
  const ports = await new Promise<{ ssh: number; http: number }>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`kdx serve did not start:\n${out}\n${err}`)), 30_000);
    proc.stdout!.on("data", (d) => {
      out += d;
      // 127.0.0.1 or whatever --listen gave (0.0.0.0 is reached at 127.0.0.1 too).
      const s = /ssh on [\d.]+:(\d+)/.exec(out);
      const h = /dashboard on http:\/\/[\d.]+:(\d+)\//.exec(out);
      if (s && h) {
        clearTimeout(t);
        resolve({ ssh: Number(s[1]), http: Number(h[1]) });
      }
    });
    proc.once("exit", (code) => {
      clearTimeout(t);
      reject(new Error(`kdx serve exited (${code}):\n${out}\n${err}`));
    });
  });
  const dir = tempDir("kdx-ssh-");
  const knownHosts = join(dir, "known_hosts");
  const hostKey = readFileSync(join(dataDir, ".kdx", "ssh_host_ed25519_key.pub"), "utf8").trim();
  writeFileSync(knownHosts, `[127.0.0.1]:${ports.ssh} ${hostKey}\n`);
  const sshConfig = join(dir, "ssh_config");
  writeFileSync(
    sshConfig,
    `Host kdx-target\n  HostName 127.0.0.1\n  Port ${ports.ssh}\n  User kdump\n  UserKnownHostsFile ${knownHosts}\n  IdentitiesOnly yes\n  LogLevel ERROR\n`,
  );
  const exited = new Promise<void>((r) => proc.once("exit", () => r()));
  return {
    proc,
    dataDir,
    sshPort: ports.ssh,
    base: `http://127.0.0.1:${ports.http}`,
    log: () => err,
    sshConfig,
    stop: async () => {
      proc.kill("SIGTERM");
      await exited;
    },
    kill9: async () => {
      proc.kill("SIGKILL");
      await exited;
    },
  };
}

/** Run a shell script with KEY, TARGET and the ssh config in its environment; `ssh`/`scp` read the config. */
export function clientScript(
  s: Served,
  key: string,
  script: string,
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const dir = tempDir("kdx-client-");
    // A wrapper directory so plain `ssh`/`scp` in the scripts pick up the config, as on a kdump host.
    for (const tool of ["ssh", "scp", "sftp"])
      writeFileSync(join(dir, tool), `#!/bin/sh\nexec /usr/bin/${tool} -F "$KDX_SSH_CONFIG" "$@"\n`, {
        mode: 0o755,
      });
    const p = spawn("bash", ["-c", `set -o pipefail\n${script}`], {
      env: {
        ...process.env,
        PATH: `${dir}:${process.env.PATH}`,
        KEY: key,
        TARGET: "kdx-target",
        KDX_SSH_CONFIG: s.sshConfig,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => {
      stdout += d;
    });
    p.stderr.on("data", (d) => {
      stderr += d;
    });
    p.on("exit", (status) => resolve({ status, stdout, stderr }));
  });
}

export async function api<T = Record<string, unknown>>(s: Served, path: string): Promise<T> {
  const r = await fetch(s.base + path);
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

export interface CrashRow {
  id: number;
  dir: string;
  state: string;
  title: string | null;
  signature: string | null;
  release: string | null;
  upload: string | null;
  error: string | null;
  files?: { name: string; state: string; bytes: number }[];
  detail?: {
    source: string;
    bt?: string;
    sys?: string;
    log?: string;
    explained: string[];
    problems: string[];
  } | null;
}

/** Poll until the dump in DIR reaches a settled state (ready, failed, incomplete). */
export async function settled(s: Served, dir: string, timeoutMs = 120_000): Promise<CrashRow> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { crashes } = await api<{ crashes: CrashRow[] }>(s, "/api/crashes");
    const row = crashes.find((c) => c.dir === dir);
    if (row && ["ready", "failed"].includes(row.state)) return api<CrashRow>(s, `/api/crashes/${row.id}`);
    if (Date.now() > end) throw new Error(`${dir} did not settle: ${JSON.stringify(row)}\n${s.log()}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/**
 * What kdump-utils' dump_ssh does for one crash, as its scripts spell it: the dump directory, vmcore-dmesg.txt
 * through dd and a rename, then makedumpfile's flattened stream through dd and the rename to vmcore.flat.
 * Environment: D (the dump directory), DMESG, and either ELF (makedumpfile runs on it) or FLAT (a stream).
 */
export const KDUMP_UTILS_DUMP_SSH = `
  _ssh_opts="-i $KEY -o BatchMode=yes -o StrictHostKeyChecking=yes"
  ssh -q $_ssh_opts "$TARGET" mkdir -p "$D" || exit 11
  cat "$DMESG" | ssh $_ssh_opts "$TARGET" "umask 0077 && dd of='$D/vmcore-dmesg-incomplete.txt'" || exit 12
  ssh -q $_ssh_opts "$TARGET" mv "$D/vmcore-dmesg-incomplete.txt" "$D/vmcore-dmesg.txt" || exit 13
  if [ -n "$ELF" ]; then makedumpfile -l --message-level 7 -d 31 -F "$ELF"; else cat "$FLAT"; fi |
    ssh $_ssh_opts "$TARGET" "umask 0077 && dd bs=512 of='$D/vmcore-incomplete'" || exit 14
  ssh $_ssh_opts "$TARGET" "mv '$D/vmcore-incomplete' '$D/vmcore.flat'" || exit 15
`;

/** Wait (up to `ms`) until the file at `path` holds at least `bytes`: an upload under way has got so far. */
export async function grownTo(path: string, bytes: number, ms = 12_000): Promise<void> {
  for (const end = Date.now() + ms; !(existsSync(path) && statSync(path).size >= bytes); ) {
    if (Date.now() > end)
      throw new Error(
        `${path} did not reach ${bytes} bytes in ${ms} ms (${existsSync(path) ? statSync(path).size : "no file"})`,
      );
    await new Promise((r) => setTimeout(r, 20));
  }
}
