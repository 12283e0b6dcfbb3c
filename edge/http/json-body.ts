import type { Context } from "hono";
import * as v from "valibot";
import { readBodyUpTo } from "../../contracts/body-bytes";
import { describeIssue, ErrorCode } from "../../contracts/error.schema";
import { jsonError } from "./errors";

export type BodyResult<T> = { ok: true; value: T } | { ok: false; response: Response };

/**
 * Reads a JSON body of at most `maxBytes` and validates it: 413 when too large, 400
 * `REQUEST.MALFORMED_JSON` when it does not parse, 400 `REQUEST.INVALID_FIELD` naming the field.
 * The size is checked while the bytes arrive, not only on Content-Length, which a client may omit
 * or lie in.
 */
export async function readJsonBody<S extends v.GenericSchema>(
  c: Context,
  schema: S,
  maxBytes: number,
): Promise<BodyResult<v.InferOutput<S>>> {
  const body = await readBodyUpTo(c.req.raw, maxBytes);
  if (!body.ok) return { ok: false, response: bodyRefused(c, body.reason, maxBytes) };
  const { bytes } = body;
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {
      ok: false,
      response: jsonError(c, 400, ErrorCode.MalformedJson, "request body is not valid JSON"),
    };
  }
  const parsed = v.safeParse(schema, raw);
  if (!parsed.success) {
    return {
      ok: false,
      response: jsonError(c, 400, ErrorCode.InvalidField, describeIssue(parsed.issues)),
    };
  }
  return { ok: true, value: parsed.output };
}

/** 413 for a body past the limit; an aborted one is logged as such, and its answer goes nowhere. */
export function bodyRefused(
  c: Context,
  reason: "too-large" | "aborted",
  maxBytes: number,
): Response {
  if (reason === "too-large") {
    return jsonError(c, 413, ErrorCode.BodyTooLarge, `request body exceeds ${maxBytes} bytes`);
  }
  console.info(`edge: client aborted ${c.req.method} ${c.req.path} mid-body`);
  return jsonError(c, 400, ErrorCode.RequestAborted, "request body: the client went away");
}
