/**
 * The receiving side of the legacy scp protocol (`scp -t TARGET`, what `scp -O` and older clients run):
 * the server acks with a NUL, the client sends `C<mode> <size> <name>\n`, the bytes, a NUL; `T` lines
 * (times, with -p) are acked and ignored; directories (`D`, scp -r) are refused.
 */
import type { Readable, Writable } from "node:stream";
import { Refused, type Upload } from "./dump-store.ts";

export interface ScpTarget {
  /** Open the file a `C` line names. */
  open(name: string, size: number): Upload;
}

const MAX_LINE = 1024;

export async function scpSink(input: Readable, output: Writable, target: ScpTarget): Promise<number> {
  const ack = () => output.write(Buffer.from([0]));
  const fail = (msg: string) => output.write(`\x02kdx: ${msg}\n`);
  ack();
  let buf: Buffer = Buffer.alloc(0);
  let up: Upload | undefined;
  let left = 0;
  let pos = 0;
  let awaitingEnd = false;
  let files = 0;
  try {
    for await (const chunk of chunksOf(input)) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (buf.length) {
        if (up && left > 0) {
          const n = Math.min(left, buf.length);
          await up.writeAt(buf.subarray(0, n), pos);
          pos += n;
          left -= n;
          buf = buf.subarray(n);
          if (left === 0) awaitingEnd = true;
          continue;
        }
        if (up && awaitingEnd) {
          // The client's status byte after the data: 0 is fine, anything else is its error.
          const ok = buf[0] === 0;
          buf = buf.subarray(1);
          up.finish(ok);
          up = undefined;
          awaitingEnd = false;
          files++;
          ack();
          continue;
        }
        const nl = buf.indexOf(10);
        if (nl < 0) {
          if (buf.length > MAX_LINE) throw new Refused("scp protocol line too long");
          break;
        }
        const line = buf.subarray(0, nl).toString("latin1");
        buf = buf.subarray(nl + 1);
        const c = line[0];
        if (c === "T" || c === "E") ack();
        else if (c === "D") throw new Refused("directories (scp -r) are not accepted");
        else if (c === "\x01" || c === "\x02") return 1;
        else if (c === "C") {
          const m = /^C([0-7]{4}) (\d+) (.+)$/.exec(line);
          if (!m) throw new Refused(`bad scp header "${line.slice(0, 80)}"`);
          const size = Number(m[2]);
          if (!Number.isSafeInteger(size)) throw new Refused("scp file size out of range");
          up = target.open(m[3], size);
          left = size;
          pos = 0;
          awaitingEnd = size === 0;
          ack();
        } else throw new Refused(`unexpected scp message "${line.slice(0, 80)}"`);
      }
    }
  } catch (e) {
    up?.finish(false);
    if (e instanceof Refused) {
      fail(e.message);
      return 1;
    }
    throw e;
  }
  if (up) {
    up.finish(false);
    return 1;
  }
  return files >= 0 ? 0 : 1;
}

/**
 * The chunks of a channel, one at a time (paused while the consumer works). Unlike `for await` on the
 * stream itself this leaves the channel open at EOF, so the exit status can still be sent; a channel
 * closed without EOF (the client died) ends in an error.
 */
async function* chunksOf(input: Readable): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let ended = false;
  let failed: Error | undefined;
  let wake: (() => void) | undefined;
  const poke = () => {
    wake?.();
    wake = undefined;
  };
  input.on("data", (c: Buffer) => {
    queue.push(c);
    input.pause();
    poke();
  });
  input.once("end", () => {
    ended = true;
    poke();
  });
  input.once("close", () => {
    if (!ended)
      failed = Object.assign(new Error("the client went away mid-upload"), {
        code: "ERR_STREAM_PREMATURE_CLOSE",
      });
    poke();
  });
  for (;;) {
    if (queue.length) {
      yield queue.shift()!;
      if (!queue.length) input.resume();
      continue;
    }
    if (failed) throw failed;
    if (ended) return;
    await new Promise<void>((r) => {
      wake = r;
    });
  }
}
