/**
 * A typed view of the dead kernel's memory, in the spirit of drgn's Object: a type and an address;
 * members by name or path, pointers followed, arrays indexed, bitfields, container_of.
 *
 *   const task = kobject(kernel, "struct task_struct", addr);
 *   task.member("comm").string();  task.member("se.exec_start").value();  task.member("parent").deref()
 *
 * Lists, trees and per-CPU variables are walked by the helpers (kernel/helpers/), which hand these out.
 */
import { KdxError } from "../../util/errors.ts";
import type { Kernel } from "../kernel.ts";
import type { Btf, BtfType } from "./btf.ts";

export class KernelObject {
  constructor(
    readonly kernel: Kernel,
    readonly btf: Btf,
    readonly typeId: number,
    readonly address: bigint,
    /** For a bitfield member: where in the first byte it starts, and its width. */
    private readonly bits?: { offset: number; size: number },
  ) {}

  get type(): BtfType {
    return this.btf.resolve(this.typeId);
  }

  get typeName(): string {
    return this.btf.typeName(this.typeId);
  }

  get size(): number {
    return this.btf.sizeof(this.typeId);
  }

  /** A member by name or dotted path (anonymous structs and unions looked into, as C does). */
  member(path: string): KernelObject {
    const t = this.type;
    if (t.kind === "ptr") return this.deref().member(path);
    const m = this.btf.member(t.id, path);
    const byte = Math.floor(m.bitOffset / 8);
    return new KernelObject(
      this.kernel,
      this.btf,
      m.type,
      this.address + BigInt(byte),
      m.bitSize ? { offset: m.bitOffset % 8, size: m.bitSize } : undefined,
    );
  }

  /** The object a pointer points to (error on NULL). */
  deref(): KernelObject {
    const t = this.type;
    if (t.kind !== "ptr") throw new KdxError(`${this.typeName} is not a pointer`);
    const target = this.kernel.readU64(this.address);
    if (target === 0n) throw new KdxError(`NULL ${this.typeName} at 0x${this.address.toString(16)}`);
    return new KernelObject(this.kernel, this.btf, t.type ?? 0, target);
  }

  /** Element i of an array, or of the memory a pointer points to. */
  index(i: number): KernelObject {
    const t = this.type;
    if (t.kind === "array") {
      if (i < 0 || i >= t.array!.length) throw new KdxError(`index ${i} outside ${this.typeName}`);
      return new KernelObject(
        this.kernel,
        this.btf,
        t.array!.type,
        this.address + BigInt(i * this.btf.sizeof(t.array!.type)),
      );
    }
    if (t.kind === "ptr") {
      const base = this.kernel.readU64(this.address);
      return new KernelObject(
        this.kernel,
        this.btf,
        t.type ?? 0,
        base + BigInt(i * this.btf.sizeof(t.type ?? 0)),
      );
    }
    throw new KdxError(`${this.typeName} cannot be indexed`);
  }

  /** The object `i` places after this one, in an array of its type (&obj[i] in C: a global array BTF does not type). */
  element(i: number): KernelObject {
    return new KernelObject(this.kernel, this.btf, this.typeId, this.address + BigInt(i * this.size));
  }

  /** An integer, enum, bool or pointer's value (pointers as their address). */
  value(): bigint {
    const t = this.type;
    const size = t.kind === "ptr" ? 8 : t.size;
    if (!size || size > 8 || !["int", "enum", "enum64", "ptr"].includes(t.kind))
      throw new KdxError(`${this.typeName} has no scalar value`);
    const b = this.kernel.read(this.address, this.bits ? 8 : size);
    let v = 0n;
    for (let k = b.length - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[k]);
    if (this.bits) return (v >> BigInt(this.bits.offset)) & ((1n << BigInt(this.bits.size)) - 1n);
    const signed = t.kind === "int" ? t.int!.signed : t.kind !== "ptr";
    return signed ? BigInt.asIntN(size * 8, v) : v;
  }

  /** A char array or char pointer as a string (to its NUL). */
  string(max = 4096): string {
    const t = this.type;
    if (t.kind === "array") return this.kernel.readCString(this.address, Math.min(t.array!.length, max));
    if (t.kind === "ptr") return this.kernel.readCString(this.kernel.readU64(this.address), max);
    throw new KdxError(`${this.typeName} is not a string`);
  }

  /** The struct containing this one as its member `path` (container_of). */
  containerOf(type: string, path: string): KernelObject {
    const outer = kobject(this.kernel, type, 0n);
    return kobject(
      this.kernel,
      type,
      this.address - BigInt(outer.btf.member(outer.typeId, path).bitOffset / 8),
    );
  }
}

/** "struct task_struct" (or a typedef name) at an address. */
export function kobject(kernel: Kernel, type: string, address: bigint): KernelObject {
  const m = /^(struct|union|enum)\s+(\S+)$/.exec(type.trim());
  const hit = m
    ? kernel.findType(m[2], [m[1] as "struct" | "union" | "enum"])
    : kernel.findType(type.trim(), ["typedef", "struct", "union", "int"]);
  if (!hit) throw new KdxError(`no type ${type} in the kernel's BTF`);
  return new KernelObject(kernel, hit.btf, hit.type.id, address);
}
