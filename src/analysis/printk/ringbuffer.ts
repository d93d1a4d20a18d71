/**
 * The lockless printk_ringbuffer (Linux 5.10 and later; kernel/printk/printk_ringbuffer.h), located and
 * decoded from VMCOREINFO alone: a ring of descriptors (state + id, text block position), a parallel ring
 * of printk_info (seq, timestamp, length, caller, dev_printk_info), and the text data ring.
 */

import type { Kernel } from "../../kernel/kernel.ts";
import { overlapsMissing, readPartial } from "../../kernel/partial-read.ts";
import { checkLayout } from "../../kernel/vmcoreinfo.ts";
import { cstring, u16, u32 } from "../../util/bytes.ts";
import { KdxError } from "../../util/errors.ts";
import type { KernelLog, LogRecord } from "./records.ts";

const ID_MASK = (1n << 62n) - 1n;
const STATE_COMMITTED = 1n;
const STATE_FINALIZED = 2n;
/** Ring sizes beyond these are damage, not configuration (log_buf_len tops out at 2^25 or so). */
const MAX_COUNT_BITS = 24;
const MAX_SIZE_BITS = 31;

export function hasPrintkRingbuffer(kernel: Kernel): boolean {
  return kernel.vmcoreinfo.symbol("prb") !== undefined;
}

export function readPrintkRingbuffer(kernel: Kernel): KernelLog {
  const vi = kernel.vmcoreinfo;
  const o = {
    descRing: vi.needOffset("printk_ringbuffer.desc_ring"),
    textRing: vi.needOffset("printk_ringbuffer.text_data_ring"),
    countBits: vi.needOffset("prb_desc_ring.count_bits"),
    descs: vi.needOffset("prb_desc_ring.descs"),
    infos: vi.needOffset("prb_desc_ring.infos"),
    headId: vi.needOffset("prb_desc_ring.head_id"),
    tailId: vi.needOffset("prb_desc_ring.tail_id"),
    descSize: vi.needSize("prb_desc"),
    stateVar: vi.needOffset("prb_desc.state_var"),
    textBlk: vi.needOffset("prb_desc.text_blk_lpos"),
    begin: vi.needOffset("prb_data_blk_lpos.begin"),
    next: vi.needOffset("prb_data_blk_lpos.next"),
    infoSize: vi.needSize("printk_info"),
    seq: vi.needOffset("printk_info.seq"),
    ts: vi.needOffset("printk_info.ts_nsec"),
    textLen: vi.needOffset("printk_info.text_len"),
    callerId: vi.offset("printk_info.caller_id"),
    devInfo: vi.offset("printk_info.dev_info"),
    subsystem: vi.offset("dev_printk_info.subsystem") ?? 0,
    subsystemLen: vi.length("printk_info_subsystem") ?? 16,
    device: vi.offset("dev_printk_info.device") ?? 16,
    deviceLen: vi.length("printk_info_device") ?? 48,
    sizeBits: vi.needOffset("prb_data_ring.size_bits"),
    data: vi.needOffset("prb_data_ring.data"),
    counter: vi.offset("atomic_long_t.counter") ?? 0,
  };
  // facility and flags:5/level:3 follow text_len (u16) in every kernel with this ring; VMCOREINFO has no entry.
  const levelAt = o.textLen + 3;
  const facilityAt = o.textLen + 2;

  const ringSize = vi.size("printk_ringbuffer") ?? o.textRing + 32;
  checkLayout("printk_ringbuffer", ringSize, [
    ["desc_ring.count_bits", o.descRing + o.countBits, 4],
    ["desc_ring.descs", o.descRing + o.descs, 8],
    ["desc_ring.infos", o.descRing + o.infos, 8],
    ["desc_ring.head_id", o.descRing + o.headId + o.counter, 8],
    ["desc_ring.tail_id", o.descRing + o.tailId + o.counter, 8],
    ["text_data_ring.size_bits", o.textRing + o.sizeBits, 4],
    ["text_data_ring.data", o.textRing + o.data, 8],
  ]);
  checkLayout("prb_desc", o.descSize, [
    ["state_var", o.stateVar + o.counter, 8],
    ["text_blk_lpos.begin", o.textBlk + o.begin, 8],
    ["text_blk_lpos.next", o.textBlk + o.next, 8],
  ]);
  checkLayout("printk_info", o.infoSize, [
    ["seq", o.seq, 8],
    ["ts_nsec", o.ts, 8],
    ["text_len", o.textLen, 4],
    ["caller_id", o.callerId ?? 0, 4],
    ["dev_info.subsystem", (o.devInfo ?? 0) + o.subsystem, o.devInfo === undefined ? 0 : o.subsystemLen],
    ["dev_info.device", (o.devInfo ?? 0) + o.device, o.devInfo === undefined ? 0 : o.deviceLen],
  ]);
  const prb = kernel.readU64(vi.needSymbol("prb"));
  const head = kernel.read(prb, ringSize);
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const countBits = u32(head, o.descRing + o.countBits);
  const sizeBits = u32(head, o.textRing + o.sizeBits);
  if (countBits > MAX_COUNT_BITS || sizeBits > MAX_SIZE_BITS)
    throw new KdxError(
      `printk_ringbuffer at 0x${prb.toString(16)} looks damaged: ${countBits} descriptor bits, ${sizeBits} text bits`,
    );
  const count = 1 << countBits;
  const textSize = 2 ** sizeBits;
  const descsVa = dv.getBigUint64(o.descRing + o.descs, true);
  const infosVa = dv.getBigUint64(o.descRing + o.infos, true);
  const dataVa = dv.getBigUint64(o.textRing + o.data, true);
  const headId = dv.getBigUint64(o.descRing + o.headId + o.counter, true);
  const tailId = dv.getBigUint64(o.descRing + o.tailId + o.counter, true);

  const descs = readPartial(kernel, descsVa, count * o.descSize);
  const infos = readPartial(kernel, infosVa, count * o.infoSize);
  const text = readPartial(kernel, dataVa, textSize);
  const warnings: string[] = [];
  if (descs.missing.length === 1 && descs.missing[0][1] - descs.missing[0][0] === descs.bytes.length)
    throw new KdxError(`the log's descriptor ring cannot be read: ${descs.firstError}`);

  const records: LogRecord[] = [];
  let lost = 0;
  let span = (headId - tailId) & ID_MASK;
  if (span >= BigInt(count)) {
    warnings.push(
      `descriptor ids ${tailId}..${headId} span more than the ring's ${count} entries; reading the last ${count}`,
    );
    span = BigInt(count - 1);
  }
  const first = (headId - span) & ID_MASK;
  for (let i = 0n; i <= span; i++) {
    const id = (first + i) & ID_MASK;
    const slot = Number(id % BigInt(count));
    const d = slot * o.descSize;
    const inf = slot * o.infoSize;
    if (overlapsMissing(descs, d, d + o.descSize) || overlapsMissing(infos, inf, inf + o.infoSize)) {
      lost++;
      continue;
    }
    const ddv = new DataView(descs.bytes.buffer, descs.bytes.byteOffset + d, o.descSize);
    const stateVar = ddv.getBigUint64(o.stateVar + o.counter, true);
    if ((stateVar & ID_MASK) !== id) continue;
    const state = stateVar >> 62n;
    if (state !== STATE_COMMITTED && state !== STATE_FINALIZED) continue;
    let begin = Number(ddv.getBigUint64(o.textBlk + o.begin, true) % BigInt(textSize));
    const next = Number(ddv.getBigUint64(o.textBlk + o.next, true) % BigInt(textSize));
    const ib = infos.bytes;
    const idv = new DataView(ib.buffer, ib.byteOffset + inf, o.infoSize);
    const rec: LogRecord = {
      seq: idv.getBigUint64(o.seq, true),
      tsNsec: idv.getBigUint64(o.ts, true),
      level: ib[inf + levelAt] >> 5,
      facility: ib[inf + facilityAt],
      callerId: o.callerId !== undefined ? u32(ib, inf + o.callerId) : undefined,
      text: undefined,
    };
    if (o.devInfo !== undefined) {
      const s = cstring(ib, inf + o.devInfo + o.subsystem, o.subsystemLen);
      const dev = cstring(ib, inf + o.devInfo + o.device, o.deviceLen);
      if (s) rec.subsystem = s;
      if (dev) rec.device = dev;
    }
    if (begin !== next) {
      let len = u16(ib, inf + o.textLen);
      if (begin > next) begin = 0; // the block wrapped: its data starts at the ring's beginning
      begin += 8; // skip the block's descriptor id
      if (next - begin < len) len = Math.max(0, next - begin);
      if (overlapsMissing(text, begin, begin + len)) {
        lost++;
        continue;
      }
      rec.text = text.bytes.subarray(begin, begin + len);
    }
    records.push(rec);
  }
  if (lost > 0)
    warnings.push(
      `${lost} log record${lost === 1 ? "" : "s"} lost: their pages are not in the dump (${text.firstError ?? infos.firstError ?? descs.firstError})`,
    );
  return { format: "printk_ringbuffer", records, warnings };
}
