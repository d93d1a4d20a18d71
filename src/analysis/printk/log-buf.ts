/**
 * The variable-length record log of Linux 3.5 – 5.9 (struct printk_log, "log" before 3.11): records
 * laid end to end in log_buf from log_first_idx to log_next_idx, a zero length meaning "wrap to 0".
 */

import type { Kernel } from "../../kernel/kernel.ts";
import { overlapsMissing, readPartial } from "../../kernel/partial-read.ts";
import { checkLayout } from "../../kernel/vmcoreinfo.ts";
import { latin1, u16, u32 } from "../../util/bytes.ts";
import { KdxError } from "../../util/errors.ts";
import type { KernelLog, LogRecord } from "./records.ts";

export function hasLogBuf(kernel: Kernel): boolean {
  const vi = kernel.vmcoreinfo;
  return vi.symbol("log_buf") !== undefined && vi.symbol("log_first_idx") !== undefined;
}

export function readLogBuf(kernel: Kernel): KernelLog {
  const vi = kernel.vmcoreinfo;
  const struct = vi.size("printk_log") !== undefined ? "printk_log" : "log";
  const hdrSize = vi.needSize(struct);
  const oTs = vi.needOffset(`${struct}.ts_nsec`);
  const oLen = vi.needOffset(`${struct}.len`);
  const oTextLen = vi.needOffset(`${struct}.text_len`);
  const oDictLen = vi.needOffset(`${struct}.dict_len`);
  const oCaller = vi.offset(`${struct}.caller_id`);
  // facility, then flags:5/level:3, follow dict_len in every version of the struct.
  const oFacility = oDictLen + 2;
  const oLevel = oDictLen + 3;
  checkLayout(struct, hdrSize, [
    ["ts_nsec", oTs, 8],
    ["len", oLen, 2],
    ["text_len", oTextLen, 2],
    ["dict_len", oDictLen, 4],
    ["caller_id", oCaller ?? 0, oCaller === undefined ? 0 : 4],
  ]);

  const buf = kernel.readU64(vi.needSymbol("log_buf"));
  const bufLen = kernel.readU32(vi.needSymbol("log_buf_len"));
  const first = kernel.readU32(vi.needSymbol("log_first_idx"));
  const next = kernel.readU32(vi.needSymbol("log_next_idx"));
  if (bufLen === 0 || bufLen > 1 << 30 || first >= bufLen || next >= bufLen)
    throw new KdxError(`log_buf looks damaged: length ${bufLen}, first index ${first}, next index ${next}`);
  const data = readPartial(kernel, buf, bufLen);
  const records: LogRecord[] = [];
  const warnings: string[] = [];
  let idx = first;
  let seq = 0n;
  let lost = 0;
  for (let guard = 0; idx !== next && guard <= bufLen / hdrSize; guard++) {
    if (idx + hdrSize > bufLen || overlapsMissing(data, idx, idx + hdrSize)) {
      warnings.push(`log record header at index ${idx} is unreadable; the log stops here`);
      break;
    }
    const b = data.bytes;
    const len = u16(b, idx + oLen);
    if (len === 0) {
      idx = 0; // wrap marker
      continue;
    }
    const textLen = u16(b, idx + oTextLen);
    const dictLen = u16(b, idx + oDictLen);
    const textAt = idx + hdrSize;
    if (idx + len > bufLen || textAt + textLen + dictLen > bufLen) {
      warnings.push(`log record at index ${idx} runs past the buffer; the log stops here`);
      break;
    }
    if (overlapsMissing(data, textAt, textAt + textLen + dictLen)) lost++;
    else {
      const dict = dictLen ? latin1(b.subarray(textAt + textLen, textAt + textLen + dictLen)) : undefined;
      records.push({
        seq: seq,
        tsNsec: new DataView(b.buffer, b.byteOffset + idx + oTs, 8).getBigUint64(0, true),
        level: b[idx + oLevel] >> 5,
        facility: b[idx + oFacility],
        callerId: oCaller !== undefined ? u32(b, idx + oCaller) : undefined,
        text: b.subarray(textAt, textAt + textLen),
        dict,
      });
    }
    seq++;
    idx += len;
  }
  if (lost) warnings.push(`${lost} log records lost: their pages are not in the dump (${data.firstError})`);
  return { format: "log_buf", records, warnings };
}
