/** Stable codes for everything an index can reject. */
export type IndexErrorCode =
  | "INDEX.DIMENSION_MISMATCH"
  | "INDEX.NON_FINITE_VALUE"
  | "INDEX.UNKNOWN_LABEL"
  | "INDEX.DUPLICATE_LABEL"
  | "INDEX.CAPACITY_EXHAUSTED"
  | "INDEX.INVALID_ARGUMENT"
  | "INDEX.SNAPSHOT_CORRUPT"
  | "INDEX.SNAPSHOT_VERSION";

/**
 * @example
 * try { index.add(7, vector) } catch (e) {
 *   if (e instanceof IndexError && e.code === "INDEX.CAPACITY_EXHAUSTED") index.resize(index.capacity * 2)
 * }
 */
export class IndexError extends Error {
  override readonly name = "IndexError";

  constructor(
    readonly code: IndexErrorCode,
    message: string,
  ) {
    super(message);
  }
}
