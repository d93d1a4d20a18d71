/**
 * VMCOREINFO: the KEY=VALUE text the kernel leaves for dump tools (kernel/crash_core.c). Typed accessors
 * for its families: SYMBOL(x) and addresses in hex; SIZE, OFFSET, LENGTH, NUMBER in decimal (NUMBER may be
 * negative: phys_base is printed as a signed long).
 */
import { KdxError } from "../util/errors.ts";

export class MissingVmcoreinfoError extends KdxError {
  override name = "MissingVmcoreinfoError";
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
    return Number(this.get("PAGESIZE") ?? 4096);
  }

  /** KASLR offset of the kernel image (0 when the kernel was not randomised). */
  get kernelOffset(): bigint {
    const v = this.get("KERNELOFFSET");
    return v ? BigInt(`0x${v}`) : 0n;
  }

  /** CRASHTIME, seconds since the epoch, when kdump recorded it. */
  get crashTime(): number | undefined {
    const v = this.get("CRASHTIME");
    return v ? Number(v) : undefined;
  }

  symbol(name: string): bigint | undefined {
    const v = this.get(`SYMBOL(${name})`);
    return v ? BigInt(`0x${v}`) : undefined;
  }

  needSymbol(name: string): bigint {
    return BigInt(`0x${this.need(`SYMBOL(${name})`)}`);
  }

  size(name: string): number | undefined {
    return num(this.get(`SIZE(${name})`));
  }

  offset(member: string): number | undefined {
    return num(this.get(`OFFSET(${member})`));
  }

  needOffset(member: string): number {
    return Number(this.need(`OFFSET(${member})`));
  }

  needSize(name: string): number {
    return Number(this.need(`SIZE(${name})`));
  }

  length(name: string): number | undefined {
    return num(this.get(`LENGTH(${name})`));
  }

  /** NUMBER(x) as a bigint, so 64-bit values and negative ones stay exact. */
  number(name: string): bigint | undefined {
    const v = this.get(`NUMBER(${name})`);
    return v === undefined ? undefined : BigInt(v);
  }
}

function num(v: string | undefined): number | undefined {
  return v === undefined ? undefined : Number(v);
}
