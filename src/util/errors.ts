/** Errors a user can act on: each names what failed and what was expected. Printed without a stack trace. */
export class KdxError extends Error {
  override name = "KdxError";
}

/** A command line that does not make sense. */
export class UsageError extends KdxError {
  override name = "UsageError";
}

/** Input that is not what it claims or needs to be. */
export class FormatError extends KdxError {
  override name = "FormatError";
  constructor(
    readonly file: string,
    message: string,
    readonly offset?: number,
  ) {
    super(`${file}${offset !== undefined ? ` (offset ${offset})` : ""}: ${message}`);
  }
}

/**
 * Why a read of the dead kernel's memory failed. crash says "page excluded" for pages the dump level
 * filtered out; that is a different answer from memory that never existed, or a dump cut short.
 */
export type MissingReason = "hole" | "excluded" | "truncated" | "corrupt";

const REASON_TEXT: Record<MissingReason, string> = {
  hole: "not in the dump: no memory there",
  excluded: "page excluded from the dump by its dump level",
  truncated: "page missing: the dump file is truncated",
  corrupt: "page unreadable: the dump's data for it is damaged",
};

/** A read of physical memory the dump cannot answer. */
export class MemoryError extends KdxError {
  override name = "MemoryError";
  constructor(
    readonly address: bigint,
    readonly reason: MissingReason,
    detail?: string,
  ) {
    super(
      `physical address 0x${address.toString(16)}: ${REASON_TEXT[reason]}${detail ? ` (${detail})` : ""}`,
    );
  }
}

/** A kernel virtual address with no mapping in the dead kernel's page tables. */
export class TranslationError extends KdxError {
  override name = "TranslationError";
  constructor(
    readonly address: bigint,
    detail: string,
  ) {
    super(`virtual address 0x${address.toString(16)}: ${detail}`);
  }
}

/** A symbol the kernel does not have (or that the symbols given do not name). */
export class MissingSymbolError extends KdxError {
  override name = "MissingSymbolError";
  constructor(
    readonly symbol: string,
    source: string,
  ) {
    super(`the kernel has no symbol ${symbol} (symbols from ${source})`);
  }
}

/**
 * Kernel data that does not hold together: a list that loops or never ends, a pointer that leads nowhere,
 * a count that cannot be. Says what was being walked and where.
 */
export class CorruptionError extends KdxError {
  override name = "CorruptionError";
  constructor(
    readonly what: string,
    readonly address: bigint,
    detail: string,
  ) {
    super(`${what} at 0x${address.toString(16)}: ${detail}`);
  }
}
