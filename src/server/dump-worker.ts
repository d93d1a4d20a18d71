/** The worker thread that prepares and analyses one dump directory at a time, off the server's event loop. */
import { parentPort } from "node:worker_threads";
import { analyseDumpDir } from "./analyse-dump.ts";
import { type Unpacked, unpackUpload } from "./unpack-upload.ts";

export interface DumpJob {
  id: number;
  dir: string;
  /** The uploaded vmcore's name when it still has to become `vmcore`. */
  upload: string | null;
}

export type DumpJobResult =
  | { id: number; ok: true; unpacked?: Unpacked; analysis: ReturnType<typeof analyseDumpDir> }
  | { id: number; ok: false; error: string; unpackFailed: boolean };

parentPort?.on("message", async (job: DumpJob) => {
  let unpacked: Unpacked | undefined;
  try {
    if (job.upload && job.upload !== "vmcore") unpacked = await unpackUpload(job.dir, job.upload);
  } catch (e) {
    parentPort!.postMessage({ id: job.id, ok: false, error: (e as Error).message, unpackFailed: true });
    return;
  }
  try {
    parentPort!.postMessage({ id: job.id, ok: true, unpacked, analysis: analyseDumpDir(job.dir) });
  } catch (e) {
    parentPort!.postMessage({ id: job.id, ok: false, error: (e as Error).message, unpackFailed: false });
  }
});
