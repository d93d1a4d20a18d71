/**
 * VMCOREINFO: the KEY=VALUE text the kernel leaves for dump tools (kernel/crash_core.c). Typed accessors
 * for its families: SYMBOL(x) and addresses in hex; SIZE, OFFSET, LENGTH, NUMBER in decimal (NUMBER may be
 * negative: phys_base is printed as a signed long).
 */
import { KdxError } from "../util/errors.ts";

export class MissingVmcoreinfoError extends KdxError {
  override name = "MissingVmcoreinfoError";
}

/** A VMCOREINFO value that is not the number its key promises: damage, named as such. */
export class BadVmcoreinfoError extends KdxError {
  override name = "BadVmcoreinfoError";
}

function hexValue(key: string, v: string): bigint {
  if (!/^(0x)?[0-9a-fA-F]{1,16}$/.test(v))
    throw new BadVmcoreinfoError(`VMCOREINFO ${key}=${JSON.stringify(v)} is not a hex address`);
  return BigInt(v.startsWith("0x") ? v : `0x${v}`);
}

function decValue(key: string, v: string): bigint {
  if (!/^-?[0-9]{1,20}$/.test(v))
    throw new BadVmcoreinfoError(`VMCOREINFO ${key}=${JSON.stringify(v)} is not a number`);
  return BigInt(v);
}

export class VmcoreInfo {
  readonly entries: ReadonlyMap<string, string>;

  constructor(readonly text: string) {
    const m = new Map<string, string>();
    for (const line of text.split("\n")) {
      const eq = line.indexOf("=");
      if (eq > 0) m.set(line.slice(0, eq), line.slice(eq + 1).trim());
    }
    this.entries = m;
  }

  get(key: string): string | undefined {
    return this.entries.get(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  private need(key: string): string {
    const v = this.entries.get(key);
    if (v === undefined) throw new MissingVmcoreinfoError(`VMCOREINFO has no ${key}`);
    return v;
  }

  get osrelease(): string | undefined {
    return this.get("OSRELEASE");
  }

  get pageSize(): number {
    const v = this.get("PAGESIZE");
    return v === undefined ? 4096 : Number(decValue("PAGESIZE", v));
  }

  /** KASLR offset of the kernel image (0 when the kernel was not randomised). */
  get kernelOffset(): bigint {
    const v = this.get("KERNELOFFSET");
    return v ? hexValue("KERNELOFFSET", v) : 0n;
  }

  /** CRASHTIME, seconds since the epoch, when kdump recorded it. */
  get crashTime(): number | undefined {
    const v = this.get("CRASHTIME");
    return v ? Number(decValue("CRASHTIME", v)) : undefined;
  }

  symbol(name: string): bigint | undefined {
    const v = this.get(`SYMBOL(${name})`);
    return v ? hexValue(`SYMBOL(${name})`, v) : undefined;
  }

  needSymbol(name: string): bigint {
    return hexValue(`SYMBOL(${name})`, this.need(`SYMBOL(${name})`));
  }

  size(name: string): number | undefined {
    return this.small(`SIZE(${name})`);
  }

  offset(member: string): number | undefined {
    return this.small(`OFFSET(${member})`);
  }

  needOffset(member: string): number {
    this.need(`OFFSET(${member})`);
    return this.small(`OFFSET(${member})`)!;
  }

  needSize(name: string): number {
    this.need(`SIZE(${name})`);
    return this.small(`SIZE(${name})`)!;
  }

  length(name: string): number | undefined {
    return this.small(`LENGTH(${name})`);
  }

  /** NUMBER(x) as a bigint, so 64-bit values and negative ones stay exact. */
  number(name: string): bigint | undefined {
    const v = this.get(`NUMBER(${name})`);
    return v === undefined ? undefined : decValue(`NUMBER(${name})`, v);
  }

  /** Sizes, offsets and lengths: small non-negative numbers, or the data is damaged. */
  private small(key: string): number | undefined {
    const v = this.get(key);
    if (v === undefined) return undefined;
    const n = decValue(key, v);
    if (n < 0n || n > 1n << 32n) throw new BadVmcoreinfoError(`VMCOREINFO ${key}=${v} is out of range`);
    return Number(n);
  }
}

/**
 * Check that fields named by VMCOREINFO offsets fit inside their struct (sizes also from VMCOREINFO), so
 * damaged values fail here, by name, rather than as reads out of bounds later.
 */
export function checkLayout(
  struct: string,
  size: number,
  fields: [name: string, offset: number, width: number][],
): void {
  if (size <= 0 || size > 1 << 16)
    throw new BadVmcoreinfoError(`VMCOREINFO SIZE(${struct})=${size} is implausible`);
  for (const [name, offset, width] of fields)
    if (offset + width > size)
      throw new BadVmcoreinfoError(
        `VMCOREINFO puts ${struct}.${name} at offset ${offset}, past the struct's ${size} bytes: the dump's VMCOREINFO is damaged`,
      );
}
