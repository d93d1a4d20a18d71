/**
 * Whether a stored file is whole, judged by its bytes and never by its name: a dump must open with a
 * complete header, every page its headers promise, and (a flattened stream) its end marker. Used where the
 * index cannot vouch for a file: one found on disk, or one whose size changed behind the index's back.
 */
import { openDump } from "../dump/open-dump.ts";
import { nodeCodecs } from "../platform/node/codecs.ts";
import { FileSource } from "../platform/node/file-source.ts";
import { KdxError } from "../util/errors.ts";
import { sniffFile } from "./sniff.ts";

export interface Verdict {
  whole: boolean;
  /** Why not, in a few words. */
  why?: string;
}

export function verifyFile(path: string): Verdict {
  if (sniffFile(path) !== "dump") return { whole: true };
  let src: FileSource | undefined;
  try {
    src = new FileSource(path);
    const dump = openDump(src, nodeCodecs);
    const info = dump.info;
    return info.incomplete
      ? { whole: false, why: info.warnings[0] ?? "the dump is incomplete" }
      : { whole: true };
  } catch (e) {
    if (!(e instanceof KdxError)) throw e;
    return { whole: false, why: e.message };
  } finally {
    src?.close();
  }
}
