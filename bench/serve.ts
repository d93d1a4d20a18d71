/**
 * kdx serve against OpenSSH's own sshd on loopback, in this run: the same large stream piped by the real
 * ssh client into kdump-utils' exact upload command (`umask 0077 && dd bs=512 of='DIR/vmcore-incomplete'`),
 * best of 3 each. Goal: kdx's throughput at least 0.8 of sshd's. sshd comes from Debian's openssh-server.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(fileURLToPath(import.meta.url), "../..");
const KDX = join(ROOT, "bin/kdx");
const SIZE = 1 << 30;

function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => r(port));
    });
  });
}

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = spawnSync("bash", ["-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`]);
    if (r.status === 0) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

function upload(
  port: number,
  key: string,
  knownHosts: string,
  user: string,
  target: string,
  input: string,
  remote = "umask 0077 && dd bs=512 of='$5'",
): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint();
    const r = spawnSync(
      "sh",
      [
        "-c",
        `ssh -i "$1" -p "$2" -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$3" -o IdentitiesOnly=yes "$4@127.0.0.1" "${remote}" < "$6"`,
        "sh",
        key,
        String(port),
        knownHosts,
        user,
        target,
        input,
      ],
      { encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(`upload to port ${port} failed: ${r.stderr}`);
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e9);
  }
  return best;
}

export async function serveBench(dir: string): Promise<void> {
  const sshd = "/usr/sbin/sshd";
  if (!existsSync(sshd)) {
    console.log(
      "kdx serve — OpenSSH's sshd is not installed (apt-get install openssh-server): no comparison",
    );
    return;
  }
  const work = join(dir, "serve");
  mkdirSync(work, { recursive: true });
  const input = join(work, "stream");
  // Random bytes: what a compressed dump looks like to the transport (no ssh compression either way).
  const fd = openSync(input, "w");
  for (let done = 0; done < SIZE; done += 8 << 20) writeSync(fd, randomBytes(8 << 20));
  closeSync(fd);
  const key = join(work, "client");
  spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
  writeFileSync(join(work, "authorized_keys"), readFileSync(`${key}.pub`));
  const procs: ChildProcess[] = [];
  try {
    // OpenSSH's sshd, as a kdump target is usually set up.
    const hostKey = join(work, "sshd_host");
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
    const sshdPort = await freePort();
    mkdirSync("/run/sshd", { recursive: true });
    const cfg = join(work, "sshd_config");
    writeFileSync(
      cfg,
      `Port ${sshdPort}\nListenAddress 127.0.0.1\nHostKey ${hostKey}\nAuthorizedKeysFile ${join(work, "authorized_keys")}\nPidFile ${join(work, "sshd.pid")}\nUsePAM no\nPermitRootLogin prohibit-password\nStrictModes no\nLogLevel ERROR\n`,
    );
    procs.push(spawn(sshd, ["-D", "-e", "-f", cfg], { stdio: "ignore" }));
    await waitPort(sshdPort);
    const knownSshd = join(work, "known_sshd");
    writeFileSync(knownSshd, `[127.0.0.1]:${sshdPort} ${readFileSync(`${hostKey}.pub`, "utf8")}`);

    // kdx serve with the same key.
    const data = join(work, "data");
    const kdxPort = await freePort();
    procs.push(
      spawn(
        KDX,
        [
          "serve",
          "--data",
          data,
          "--authorized-keys",
          join(work, "authorized_keys"),
          "--ssh-port",
          String(kdxPort),
          "--http-port",
          "0",
        ],
        {
          stdio: "ignore",
        },
      ),
    );
    await waitPort(kdxPort);
    const knownKdx = join(work, "known_kdx");
    writeFileSync(
      knownKdx,
      `[127.0.0.1]:${kdxPort} ${readFileSync(join(data, ".kdx", "ssh_host_ed25519_key.pub"), "utf8")}`,
    );
    spawnSync("ssh", [
      "-i",
      key,
      "-p",
      String(kdxPort),
      "-o",
      "BatchMode=yes",
      "-o",
      `UserKnownHostsFile=${knownKdx}`,
      "kdump@127.0.0.1",
      "mkdir -p /var/crash/bench",
    ]);

    const sshdOut = join(work, "sshd-out");
    const tSshd = upload(sshdPort, key, knownSshd, "root", sshdOut, input);
    // sshd's side of kdump's command is the real dd reading 512-byte blocks; with cat as the sink instead,
    // what sshd itself can do.
    const tCat = upload(sshdPort, key, knownSshd, "root", sshdOut, input, "cat > '$5'");
    const tKdx = upload(kdxPort, key, knownKdx, "kdump", "/var/crash/bench/vmcore-incomplete", input);
    if (statSync(join(data, "bench", "vmcore-incomplete")).size !== SIZE || statSync(sshdOut).size !== SIZE)
      throw new Error("an upload came out short");
    const mb = SIZE / 2 ** 20;
    console.log(`kdx serve — ${mb} MiB through ssh into dd bs=512 (kdump-utils' command), best of 3`);
    console.log(`  OpenSSH sshd  ${tSshd.toFixed(2)} s  ${(mb / tSshd).toFixed(0)} MiB/s`);
    console.log(
      `  OpenSSH sshd  ${tCat.toFixed(2)} s  ${(mb / tCat).toFixed(0)} MiB/s   (cat as the sink instead of kdump's dd)`,
    );
    console.log(
      `  kdx serve     ${tKdx.toFixed(2)} s  ${(mb / tKdx).toFixed(0)} MiB/s   throughput ratio ${(tSshd / tKdx).toFixed(2)} (goal ≥ 0.8); ${(tCat / tKdx).toFixed(2)} against sshd with cat`,
    );
  } finally {
    for (const p of procs) p.kill("SIGTERM");
    rmSync(work, { recursive: true, force: true });
  }
}
