/**
 * BTF, the kernel's compact type information (include/uapi/linux/btf.h): every struct, union, enum,
 * typedef and pointer of the kernel, carried in its own image (.BTF, between __start_BTF and __stop_BTF)
 * on every mainstream kernel since about 5.x. Parsed once into arrays; names indexed for lookup.
 */
import { KdxError } from "../../util/errors.ts";

export const BTF_KINDS = [
  "void",
  "int",
  "ptr",
  "array",
  "struct",
  "union",
  "enum",
  "fwd",
  "typedef",
  "volatile",
  "const",
  "restrict",
  "func",
  "func_proto",
  "var",
  "datasec",
  "float",
  "decl_tag",
  "type_tag",
  "enum64",
] as const;
export type BtfKind = (typeof BTF_KINDS)[number];

export interface BtfMember {
  name: string;
  type: number;
  /** Offset from the start of the struct, in bits. */
  bitOffset: number;
  /** Width of a bitfield, 0 for a whole member. */
  bitSize: number;
}

export interface BtfType {
  id: number;
  kind: BtfKind;
  name: string;
  /** Byte size for int, struct, union, enum, float, datasec. */
  size?: number;
  /** The referenced type for ptr, typedef, qualifiers, func, var, decl_tag. */
  type?: number;
  members?: BtfMember[];
  enumerators?: { name: string; value: bigint }[];
  array?: { type: number; indexType: number; length: number };
  int?: { signed: boolean; char: boolean; bool: boolean; bitOffset: number; bits: number };
  params?: { name: string; type: number }[];
}

export class BtfError extends KdxError {
  override name = "BtfError";
}

const MAGIC = 0xeb9f;

/** Bytes a record of each kind carries after its 12-byte header, by its vlen. */
const EXTRA: Partial<Record<BtfKind, (vlen: number) => number>> = {
  int: () => 4,
  array: () => 12,
  struct: (n) => 12 * n,
  union: (n) => 12 * n,
  enum: (n) => 8 * n,
  enum64: (n) => 12 * n,
  func_proto: (n) => 8 * n,
  var: () => 4,
  datasec: (n) => 12 * n,
  decl_tag: () => 4,
};

export class Btf {
  /**
   * This BTF's own types, decoded when first asked for: a kernel has a hundred thousand, a command needs a
   * few hundred. A split BTF's ids continue from its base's `count`.
   */
  private readonly decoded: (BtfType | undefined)[] = [];
  /** Where each own type's record starts in `data`, and its name. */
  private readonly offsets: number[] = [];
  private readonly names: string[] = [];
  private readonly firstId: number;
  private readonly base?: Btf;
  private readonly dv: DataView;
  private readonly strLen: number;
  private readonly byName = new Map<string, number[]>();

  /** Where this BTF's own strings start in the combined string space (split BTF continues its base's). */
  private readonly strBase: number;
  private readonly strings: (off: number) => string;

  /**
   * `base`: for a module's split BTF, the kernel's: type ids and string offsets continue from it, and its
   * types are visible here too.
   */
  constructor(data: Uint8Array, source: string, base?: Btf) {
    // A split BTF looks its base up rather than copying it: each module would otherwise copy the kernel's
    // hundred thousand types and names.
    this.base = base;
    this.firstId = base ? base.count : 0;
    this.source = source;
    if (data.length < 24) throw new BtfError(`${source}: ${data.length} bytes is too short for BTF`);
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.dv = dv;
    if (dv.getUint16(0, true) !== MAGIC) throw new BtfError(`${source}: no BTF magic 0xeb9f`);
    const hdrLen = dv.getUint32(4, true);
    const typeOff = hdrLen + dv.getUint32(8, true);
    const typeLen = dv.getUint32(12, true);
    const strOff = hdrLen + dv.getUint32(16, true);
    const strLen = dv.getUint32(20, true);
    if (typeOff + typeLen > data.length || strOff + strLen > data.length)
      throw new BtfError(`${source}: BTF sections run past its ${data.length} bytes`);
    const decoder = new TextDecoder();
    const strBase = base ? base.strBase + base.strLen : 0;
    // Names are C identifiers: when the whole section is ASCII, decode it once and slice it (byte offsets
    // are then character offsets); otherwise decode each name on its own.
    const section = data.subarray(strOff, strOff + strLen);
    let isAscii = true;
    for (let i = 0; i < section.length && isAscii; i++) isAscii = section[i] < 0x80;
    const ascii = isAscii ? decoder.decode(section) : undefined;
    const local = (off: number): string => {
      if (off >= strLen) throw new BtfError(`${source}: string offset ${off} outside the string section`);
      if (ascii !== undefined) {
        const nul = ascii.indexOf("\0", off);
        return ascii.slice(off, nul === -1 ? strLen : nul);
      }
      let end = strOff + off;
      while (end < strOff + strLen && data[end] !== 0) end++;
      return decoder.decode(data.subarray(strOff + off, end));
    };
    this.strBase = strBase;
    this.strLen = strLen;
    this.strings = (off: number): string =>
      base && off < strBase ? base.strings(off) : local(off - strBase);
    if (!base) {
      this.offsets.push(-1);
      this.names.push("void");
      this.decoded.push({ id: 0, kind: "void", name: "void" });
    }
    // One pass over the records: where each is, its kind and name (checked), and the name index.
    let p = typeOff;
    const end = typeOff + typeLen;
    while (p < end) {
      const id = this.count;
      if (p + 12 > end) throw new BtfError(`${source}: type ${id} runs past the type section`);
      const info = dv.getUint32(p + 4, true);
      const kindNo = (info >>> 24) & 0x1f;
      const kind = BTF_KINDS[kindNo];
      if (!kind || kindNo === 0) throw new BtfError(`${source}: type ${id} has unknown kind ${kindNo}`);
      const name = this.strings(dv.getUint32(p, true));
      const length = 12 + (EXTRA[kind]?.(info & 0xffff) ?? 0);
      if (p + length > end) throw new BtfError(`${source}: type ${id} runs past the type section`);
      this.offsets.push(p);
      this.names.push(name);
      if (name) {
        const ids = this.byName.get(name);
        if (ids) ids.push(id);
        else this.byName.set(name, [id]);
      }
      p += length;
    }
    if (this.count < 2) throw new BtfError(`${source}: BTF with no types`);
  }

  /** The record of an own type, decoded. */
  private decode(id: number): BtfType {
    const dv = this.dv;
    let p = this.offsets[id - this.firstId];
    const u32 = (at: number) => dv.getUint32(at, true);
    const str = this.strings;
    const info = u32(p + 4);
    const kind = BTF_KINDS[(info >>> 24) & 0x1f];
    const vlen = info & 0xffff;
    const kindFlag = info >>> 31 === 1;
    const t: BtfType = { id, kind, name: this.names[id - this.firstId] };
    const sizeOrType = u32(p + 8);
    p += 12;
    switch (kind) {
      case "int": {
        const e = u32(p);
        t.size = sizeOrType;
        const enc = (e >>> 24) & 0xf;
        t.int = {
          signed: (enc & 1) !== 0,
          char: (enc & 2) !== 0,
          bool: (enc & 4) !== 0,
          bitOffset: (e >>> 16) & 0xff,
          bits: e & 0xff,
        };
        break;
      }
      case "array":
        t.array = { type: u32(p), indexType: u32(p + 4), length: u32(p + 8) };
        break;
      case "struct":
      case "union":
        t.size = sizeOrType;
        t.members = [];
        for (let i = 0; i < vlen; i++, p += 12) {
          const off = u32(p + 8);
          t.members.push({
            name: str(u32(p)),
            type: u32(p + 4),
            bitOffset: kindFlag ? off & 0xffffff : off,
            bitSize: kindFlag ? off >>> 24 : 0,
          });
        }
        break;
      case "enum":
        t.size = sizeOrType;
        t.enumerators = [];
        for (let i = 0; i < vlen; i++, p += 8) {
          const v = u32(p + 4);
          t.enumerators.push({ name: str(u32(p)), value: BigInt(kindFlag ? v : v | 0) });
        }
        break;
      case "enum64":
        t.size = sizeOrType;
        t.enumerators = [];
        for (let i = 0; i < vlen; i++, p += 12) {
          const v = (BigInt(u32(p + 8)) << 32n) | BigInt(u32(p + 4));
          t.enumerators.push({ name: str(u32(p)), value: kindFlag ? v : BigInt.asIntN(64, v) });
        }
        break;
      case "func_proto":
        t.type = sizeOrType;
        t.params = [];
        for (let i = 0; i < vlen; i++, p += 8) t.params.push({ name: str(u32(p)), type: u32(p + 4) });
        break;
      case "datasec":
      case "float":
        t.size = sizeOrType;
        break;
      default:
        // ptr, fwd, typedef, volatile, const, restrict, func, var, decl_tag, type_tag: a reference.
        t.type = sizeOrType;
    }
    return t;
  }

  readonly source: string;

  get count(): number {
    return this.firstId + this.offsets.length;
  }

  type(id: number): BtfType {
    if (id < this.firstId) {
      if (!this.base || id < 0) throw new BtfError(`no BTF type ${id}`);
      return this.base.type(id);
    }
    const own = id - this.firstId;
    if (!(own < this.offsets.length)) throw new BtfError(`no BTF type ${id}`);
    let t = this.decoded[own];
    if (!t) {
      t = this.decode(id);
      this.decoded[own] = t;
    }
    return t;
  }

  /** The ids named `name`, the base's first. */
  private idsNamed(name: string): number[] | undefined {
    const own = this.byName.get(name);
    const inBase = this.base?.idsNamed(name);
    return inBase && own ? [...inBase, ...own] : (inBase ?? own);
  }

  /** A named type, preferring a complete definition (a struct over its forward declaration). */
  find(name: string, kind?: BtfKind): BtfType | undefined {
    const ids = this.idsNamed(name);
    if (!ids) return undefined;
    let best: BtfType | undefined;
    for (const id of ids) {
      const t = this.type(id);
      if (kind && t.kind !== kind) continue;
      if (t.kind === "fwd" && best) continue;
      if (!best || best.kind === "fwd") best = t;
    }
    return best;
  }

  /** Through typedefs and qualifiers to the type that has a shape. */
  resolve(id: number): BtfType {
    let t = this.type(id);
    for (let guard = 0; guard < 64; guard++) {
      if (!["typedef", "volatile", "const", "restrict", "type_tag"].includes(t.kind)) return t;
      t = this.type(t.type ?? 0);
    }
    throw new BtfError(`BTF type ${id}: a typedef loop`);
  }

  sizeof(id: number): number {
    const t = this.resolve(id);
    if (t.kind === "ptr") return 8;
    if (t.kind === "array") return t.array!.length * this.sizeof(t.array!.type);
    if (t.size !== undefined) return t.size;
    throw new BtfError(`${this.typeName(id)} has no size`);
  }

  /**
   * A member by path ("se.exec_start", "thread_info.cpu"), looking into anonymous structs and unions as C
   * does: the bit offset from the start of `structId` and the member's type.
   */
  private readonly members = new Map<string, { bitOffset: number; bitSize: number; type: number }>();

  member(structId: number, path: string): { bitOffset: number; bitSize: number; type: number } {
    // Analyses ask for the same few members of every task, page or module: each path is looked up once.
    const key = `${structId}:${path}`;
    let hit = this.members.get(key);
    if (!hit) {
      hit = this.lookupMember(structId, path);
      this.members.set(key, hit);
    }
    return hit;
  }

  private lookupMember(structId: number, path: string): { bitOffset: number; bitSize: number; type: number } {
    let t = this.resolve(structId);
    let bitOffset = 0;
    let found: BtfMember | undefined;
    for (const part of path.split(".")) {
      if (t.kind !== "struct" && t.kind !== "union")
        throw new BtfError(`${this.typeName(t.id)} has no members (looking for ${part})`);
      const hit = this.findMember(t, part);
      if (!hit) throw new BtfError(`${this.typeName(t.id)} has no member ${part}`);
      bitOffset += hit.bitOffset;
      found = hit.member;
      t = this.resolve(found.type);
    }
    return { bitOffset, bitSize: found!.bitSize, type: found!.type };
  }

  private findMember(t: BtfType, name: string): { member: BtfMember; bitOffset: number } | undefined {
    for (const m of t.members ?? []) {
      if (m.name === name) return { member: m, bitOffset: m.bitOffset };
      if (!m.name) {
        const inner = this.resolve(m.type);
        if (inner.kind === "struct" || inner.kind === "union") {
          const hit = this.findMember(inner, name);
          if (hit) return { member: hit.member, bitOffset: m.bitOffset + hit.bitOffset };
        }
      }
    }
    return undefined;
  }

  private aggregate(name: string): BtfType | undefined {
    return this.find(name, "struct") ?? this.find(name, "union");
  }

  /**
   * Whether the struct (or union) has the member path: how kdx tells kernels apart (task_struct.__state
   * since 5.14, state before), never by the release string.
   */
  has(structName: string, path: string): boolean {
    const s = this.aggregate(structName);
    if (!s) return false;
    try {
      this.member(s.id, path);
      return true;
    } catch (e) {
      if (e instanceof BtfError) return false;
      throw e;
    }
  }

  /** Byte offset of a (non-bitfield) member. */
  offsetof(structName: string, path: string): number {
    const s = this.aggregate(structName);
    if (!s) throw new BtfError(`BTF has no struct ${structName}`);
    return this.member(s.id, path).bitOffset / 8;
  }

  /** The type as C spells it: "struct task_struct *", "char [16]", "unsigned int". */
  typeName(id: number): string {
    const t = this.type(id);
    switch (t.kind) {
      case "void":
        return "void";
      case "ptr":
        return `${this.typeName(t.type ?? 0)} *`;
      case "array":
        return `${this.typeName(t.array!.type)} [${t.array!.length}]`;
      case "struct":
      case "union":
      case "enum":
        return `${t.kind} ${t.name || "{...}"}`;
      case "enum64":
        return `enum ${t.name || "{...}"}`;
      case "fwd":
        return `struct ${t.name}`;
      case "const":
      case "volatile":
      case "restrict":
        return `${t.kind} ${this.typeName(t.type ?? 0)}`;
      case "func_proto":
        return `${this.typeName(t.type ?? 0)} (*)(${(t.params ?? []).map((p) => this.typeName(p.type)).join(", ")})`;
      default:
        return t.name || t.kind;
    }
  }
}
