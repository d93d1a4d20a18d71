/** A sequential upload (dd's standard input, an HTTP body) as a Writable: chunks are batched into larger writes. */
import { Writable } from "node:stream";
import type { Upload } from "./dump-store.ts";

export function uploadWritable(up: Upload): Writable {
  let pos = 0;
  const put = (data: Buffer, cb: (e?: Error | null) => void) => {
    const at = pos;
    pos += data.length;
    up.writeAt(data, at).then(() => cb(), cb);
  };
  return new Writable({
    highWaterMark: 4 << 20,
    write(chunk: Buffer, _enc, cb) {
      put(chunk, cb);
    },
    writev(chunks, cb) {
      put(chunks.length === 1 ? chunks[0].chunk : Buffer.concat(chunks.map((c) => c.chunk)), cb);
    },
  });
}
