/**
 * The SFTP subsystem, as far as uploads need it: modern scp (OpenSSH ≥ 9) and sftp put files with
 * REALPATH, STAT, OPEN for writing, WRITE at offsets, CLOSE; MKDIR, RENAME and directory listings work on
 * the client's own dump directories. Reading files back, removing, symlinks and attribute changes beyond
 * a no-op are refused or ignored: a dump target is write-only.
 */
import ssh2, { type SFTPWrapper } from "ssh2";
import { type ClientId, type DumpStore, Refused, type Upload } from "./dump-store.ts";

const { STATUS_CODE, OPEN_MODE } = ssh2.utils.sftp;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

export function serveSftp(
  sftp: SFTPWrapper,
  store: DumpStore,
  client: ClientId,
  log: (m: string) => void,
): void {
  const handles = new Map<number, { up?: Upload; dir?: string[] }>();
  let next = 1;
  const newHandle = (h: { up?: Upload; dir?: string[] }): Buffer => {
    const id = next++;
    handles.set(id, h);
    const b = Buffer.alloc(4);
    b.writeUInt32BE(id);
    return b;
  };
  const handleOf = (b: Buffer) => (b.length === 4 ? handles.get(b.readUInt32BE(0)) : undefined);
  const savePath = store.opts.savePath.replace(/\/+$/, "") || "/";
  const absolute = (p: string) => {
    const joined = p.startsWith("/") ? p : `${savePath}/${p}`;
    const parts: string[] = [];
    for (const c of joined.split("/")) {
      if (c === "" || c === ".") continue;
      if (c === "..") parts.pop();
      else parts.push(c);
    }
    return `/${parts.join("/")}`;
  };
  const refuse = (reqid: number, e: unknown) => {
    if (e instanceof Refused) {
      log(`sftp refused: ${e.message}`);
      sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED, e.message);
    } else sftp.status(reqid, STATUS_CODE.FAILURE, (e as Error).message);
  };
  const attrs = (s: { dir: boolean; size: number; mtime: number }) => ({
    mode: s.dir ? S_IFDIR | 0o700 : S_IFREG | 0o600,
    uid: 0,
    gid: 0,
    size: s.size,
    atime: Math.floor(s.mtime),
    mtime: Math.floor(s.mtime),
  });

  sftp.on("REALPATH", (reqid, path) => {
    const abs = absolute(path === "" ? "." : path);
    sftp.name(reqid, [{ filename: abs, longname: abs, attrs: {} as never }]);
  });
  const stat = (reqid: number, path: string) => {
    try {
      const s = store.stat(client, path);
      if (!s) sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE, "No such file");
      else sftp.attrs(reqid, attrs(s));
    } catch (e) {
      if (e instanceof Refused) sftp.status(reqid, STATUS_CODE.NO_SUCH_FILE, e.message);
      else refuse(reqid, e);
    }
  };
  sftp.on("STAT", stat);
  sftp.on("LSTAT", stat);
  sftp.on("OPEN", (reqid, filename, flags) => {
    try {
      if (flags & OPEN_MODE.READ)
        throw new Refused("a dump target is write-only: reading files back is not served");
      if (flags & OPEN_MODE.APPEND) throw new Refused("appending is not supported");
      const up = store.openUpload(client, filename);
      log(`sftp upload ${up.label}`);
      sftp.handle(reqid, newHandle({ up }));
    } catch (e) {
      refuse(reqid, e);
    }
  });
  sftp.on("WRITE", (reqid, handle, offset, data) => {
    const h = handleOf(handle);
    if (!h?.up) return sftp.status(reqid, STATUS_CODE.FAILURE, "bad handle");
    h.up.writeAt(data, offset).then(
      () => sftp.status(reqid, STATUS_CODE.OK),
      (e) => refuse(reqid, e),
    );
  });
  sftp.on("FSTAT", (reqid, handle) => {
    const h = handleOf(handle);
    if (!h?.up) return sftp.status(reqid, STATUS_CODE.FAILURE, "bad handle");
    sftp.attrs(reqid, attrs({ dir: false, size: h.up.bytes, mtime: Date.now() / 1000 }));
  });
  // scp -p and sftp put set times and modes: kdx keeps every file 0600, so these are accepted as no-ops.
  sftp.on("FSETSTAT", (reqid) => sftp.status(reqid, STATUS_CODE.OK));
  sftp.on("SETSTAT", (reqid) => sftp.status(reqid, STATUS_CODE.OK));
  sftp.on("CLOSE", (reqid, handle) => {
    const h = handleOf(handle);
    if (!h) return sftp.status(reqid, STATUS_CODE.FAILURE, "bad handle");
    handles.delete(handle.readUInt32BE(0));
    try {
      h.up?.finish(true);
      sftp.status(reqid, STATUS_CODE.OK);
    } catch (e) {
      refuse(reqid, e);
    }
  });
  sftp.on("OPENDIR", (reqid, path) => {
    try {
      sftp.handle(reqid, newHandle({ dir: store.list(client, path) }));
    } catch (e) {
      refuse(reqid, e);
    }
  });
  sftp.on("READDIR", (reqid, handle) => {
    const h = handleOf(handle);
    if (!h?.dir) return sftp.status(reqid, STATUS_CODE.FAILURE, "bad handle");
    if (!h.dir.length) return sftp.status(reqid, STATUS_CODE.EOF);
    const names = h.dir.splice(0, 100);
    sftp.name(
      reqid,
      names.map((n) => ({ filename: n, longname: n, attrs: {} as never })),
    );
  });
  sftp.on("MKDIR", (reqid, path) => {
    try {
      store.mkdir(client, path);
      sftp.status(reqid, STATUS_CODE.OK);
    } catch (e) {
      refuse(reqid, e);
    }
  });
  sftp.on("RMDIR", (reqid, path) => {
    try {
      store.rmdir(client, path);
      sftp.status(reqid, STATUS_CODE.OK);
    } catch (e) {
      refuse(reqid, e);
    }
  });
  sftp.on("RENAME", (reqid, from, to) => {
    try {
      store.rename(client, from, to);
      sftp.status(reqid, STATUS_CODE.OK);
    } catch (e) {
      refuse(reqid, e);
    }
  });
  for (const op of ["READ", "REMOVE", "READLINK", "SYMLINK"] as const)
    sftp.on(op as "REMOVE", (reqid: number) =>
      sftp.status(reqid, STATUS_CODE.PERMISSION_DENIED, `${op} is not served by a dump target`),
    );
  sftp.on("EXTENDED", (reqid) => sftp.status(reqid, STATUS_CODE.OP_UNSUPPORTED));
  // The client sent EOF: it is done. Answer as sshd does, exit status 0 then close (scp checks the status;
  // ssh2's SFTP object has no public exit(), so the protocol's own exitStatus is used).
  sftp.on("end", () => {
    const ch = sftp as unknown as {
      _protocol: { exitStatus(id: number, code: number): void };
      outgoing: { id: number; state: string };
    };
    if (ch.outgoing.state === "open") ch._protocol.exitStatus(ch.outgoing.id, 0);
    sftp.end();
  });
  sftp.on("close", () => {
    // The session ended with files still open: those uploads were cut off.
    for (const h of handles.values()) h.up?.finish(false);
    handles.clear();
  });
}
