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
