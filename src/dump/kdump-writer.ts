/**
 * Writing makedumpfile's kdump-compressed format, laid out as makedumpfile lays it out so crash,
 * makedumpfile and kdx read it alike: header block, sub-header with the ELF notes (VMCOREINFO among them),
 * both bitmaps, one descriptor per dumpable page in page-frame order, then the page data. With shared zero
 * pages (dump level bit 1), one zero page is written first and every all-zero page's descriptor points at it.
 */
import type { PageBitmap } from "../util/bitmap.ts";
import type { Compression } from "./codecs/index.ts";
import { type ElfNote, NT_PRSTATUS, serializeNotes, vmcoreinfoExtent } from "./elf-notes.ts";
import type { OutputSink } from "./flattened-stream.ts";
import {
  compressionFlag,
  DESC_SIZE,
  DH_INCOMPLETE,
  HEADER_SIZE,
  HEADER_VERSION,
  KDUMP_SIGNATURE,
  SUB_HEADER_SIZE,
} from "./kdump-format.ts";

export interface KdumpHeaderFields {
  /** sysname, nodename, release, version, machine, domainname. */
  utsname: [string, string, string, string, string, string];
  /** Seconds since the epoch: when the kernel crashed, as VMCOREINFO's CRASHTIME says. */
  timestamp: number;
  compression: Compression | undefined;
  /** Write one zero page first for all-zero pages to point at (makedumpfile does so at dump level bit 1). */
  shareZeroPages: boolean;
  pageSize: number;
  dumpLevel: number;
  physBase: bigint;
  notes: ElfNote[];
}

const BUFFER = 1 << 20;

/** Positional writes of each region, in the order makedumpfile's -F emits them. */
export class KdumpWriter {
  private readonly descStart: number;
  private readonly dataStart: number;
  private readonly flag: number;
  private readonly descBuf = new Uint8Array(BUFFER);
  private readonly descView = new DataView(this.descBuf.buffer);
  private descFill = 0;
  private descAt: number;
  private readonly dataBuf = new Uint8Array(BUFFER);
  private dataFill = 0;
  private dataAt: number;
  private zeroAt = -1;
  private pagesLeft: number;
  private missing = 0;
  /** Bytes written a second time: the header, rewritten clean. */
  rewrittenBytes = 0;
  private readonly header: Uint8Array;

  constructor(
    private readonly sink: OutputSink,
    private readonly fields: KdumpHeaderFields,
    present: PageBitmap,
    dumpable: PageBitmap,
  ) {
    const ps = fields.pageSize;
    const bitmapBytes = Math.ceil(present.pages / 8);
    const bitmapBlocks = 2 * Math.ceil(bitmapBytes / ps);
    const notes = serializeNotes(fields.notes);
    const subHdrBlocks = Math.ceil((SUB_HEADER_SIZE + notes.length) / ps);
    const bitmapAt = (1 + subHdrBlocks) * ps;
    this.descStart = bitmapAt + bitmapBlocks * ps;
    this.pagesLeft = dumpable.count();
    this.dataStart = this.descStart + this.pagesLeft * DESC_SIZE;
    this.descAt = this.descStart;
    this.dataAt = this.dataStart;
    this.flag = fields.compression ? compressionFlag(fields.compression) : 0;

    this.header = this.makeHeader(present.pages, subHdrBlocks, bitmapBlocks);
    // The header goes out marked incomplete, and is rewritten clean only when every page is in: a dump cut
    // off by a full disk, a signal or a crash says so even when nothing more could be written.
    sink.write(0, this.markedIncomplete());
    const noteAt = ps + SUB_HEADER_SIZE;
    sink.write(noteAt, notes);
    sink.write(ps, this.makeSubHeader(present.pages, noteAt, notes.length));
    sink.write(bitmapAt, present.bytes);
    sink.write(bitmapAt + (bitmapBlocks / 2) * ps, dumpable.bytes);

    if (fields.shareZeroPages) {
      this.zeroAt = this.dataAt;
      this.appendData(new Uint8Array(ps));
    }
  }

  /** The next dumpable page: `data` compressed with the file's method, or the page itself when `raw`. */
  addPage(data: Uint8Array, raw: boolean): void {
    this.addDesc(this.dataAt, data.length, raw ? 0 : this.flag);
    this.appendData(data);
  }

  /**
   * The next dumpable page is one the input lacks: a descriptor of zeros (no data), which readers take for
   * a page that is missing, not excluded; the header stays marked incomplete.
   */
  addMissingPage(): void {
    this.addDesc(0, 0, 0);
    this.missing++;
  }

  /** The next dumpable page is all zeros: point it at the shared zero page. */
  addZeroPage(): void {
    if (this.zeroAt < 0) throw new Error("addZeroPage without shareZeroPages");
    this.addDesc(this.zeroAt, this.fields.pageSize, 0);
  }

  /** Flush everything; every dumpable page must have been added. */
  finish(): void {
    if (this.pagesLeft !== 0) throw new Error(`kdump writer finished with ${this.pagesLeft} pages missing`);
    this.flushDesc();
    this.flushData();
    if (this.missing === 0) {
      this.sink.write(0, this.header);
      this.rewrittenBytes = this.header.length;
    }
  }

  /** Write out what was given and mark the header incomplete (DUMP_DH_COMPRESSED_INCOMPLETE). */
  abandon(): void {
    this.flushDesc();
    this.flushData();
    this.sink.write(0, this.markedIncomplete());
  }

  private markedIncomplete(): Uint8Array {
    const h = this.header.slice();
    const dv = new DataView(h.buffer);
    dv.setUint32(424, dv.getUint32(424, true) | DH_INCOMPLETE, true);
    return h;
  }

  private addDesc(offset: number, size: number, flags: number): void {
    if (this.pagesLeft-- <= 0) throw new Error("more pages than the bitmap marks dumpable");
    if (this.descFill + DESC_SIZE > BUFFER) this.flushDesc();
    const at = this.descFill;
    this.descView.setBigInt64(at, BigInt(offset), true);
    this.descView.setUint32(at + 8, size, true);
    this.descView.setUint32(at + 12, flags, true);
    this.descView.setBigUint64(at + 16, 0n, true);
    this.descFill += DESC_SIZE;
  }

  private appendData(data: Uint8Array): void {
    if (this.dataFill + data.length > BUFFER) this.flushData();
    this.dataBuf.set(data, this.dataFill);
    this.dataFill += data.length;
    this.dataAt += data.length;
  }

  private flushDesc(): void {
    if (!this.descFill) return;
    this.sink.write(this.descAt, this.descBuf.subarray(0, this.descFill));
    this.descAt += this.descFill;
    this.descFill = 0;
  }

  private flushData(): void {
    if (!this.dataFill) return;
    this.sink.write(this.dataAt - this.dataFill, this.dataBuf.subarray(0, this.dataFill));
    this.dataFill = 0;
  }

  private makeHeader(maxMapnr: number, subHdrBlocks: number, bitmapBlocks: number): Uint8Array {
    const f = this.fields;
    const h = new Uint8Array(HEADER_SIZE);
    const dv = new DataView(h.buffer);
    const enc = new TextEncoder();
    h.set(enc.encode(KDUMP_SIGNATURE));
    dv.setInt32(8, HEADER_VERSION, true);
    f.utsname.forEach((s, i) => {
      h.set(enc.encode(s).subarray(0, 64), 12 + i * 65);
    });
    dv.setBigInt64(408, BigInt(f.timestamp), true);
    dv.setUint32(424, this.flag, true);
    dv.setInt32(428, f.pageSize, true);
    dv.setInt32(432, subHdrBlocks, true);
    dv.setUint32(436, bitmapBlocks, true);
    dv.setUint32(440, Math.min(maxMapnr, 0xffffffff), true);
    dv.setInt32(460, f.notes.filter((n) => n.type === NT_PRSTATUS && n.name === "CORE").length, true);
    return h;
  }

  private makeSubHeader(maxMapnr: number, noteAt: number, noteSize: number): Uint8Array {
    const f = this.fields;
    const s = new Uint8Array(SUB_HEADER_SIZE);
    const dv = new DataView(s.buffer);
    dv.setBigUint64(0, BigInt.asUintN(64, f.physBase), true);
    dv.setInt32(8, f.dumpLevel, true);
    const vmcoreinfo = vmcoreinfoExtent(f.notes);
    if (vmcoreinfo) {
      dv.setBigUint64(32, BigInt(noteAt + vmcoreinfo.offset), true);
      dv.setBigUint64(40, BigInt(vmcoreinfo.size), true);
    }
    dv.setBigUint64(48, BigInt(noteAt), true);
    dv.setBigUint64(56, BigInt(noteSize), true);
    dv.setBigUint64(96, BigInt(maxMapnr), true);
    return s;
  }
}
