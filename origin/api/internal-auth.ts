import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import * as v from "valibot";
import { readBodyUpTo } from "../../contracts/body-bytes";
import { describeIssue, ErrorCode, errorBody } from "../../contracts/error.schema";
import { INTERNAL_AUTH_HEADER, sameSecret } from "../../contracts/internal-auth";

/**
 * Refuses, with 401, any request that does not carry ORIGIN_SHARED_SECRET in
 * `x-edgefeed-internal`: the origin's routes are for the edge, never for clients.
 */
export function requireInternal(sharedSecret: string) {
  return createMiddleware(async function requireInternalHandler(c, next) {
    if (!sameSecret(c.req.header(INTERNAL_AUTH_HEADER) ?? "", sharedSecret)) {
      return c.json(
        errorBody(ErrorCode.InternalUnauthorized, `${INTERNAL_AUTH_HEADER}: missing or wrong`),
        401,
      );
    }
    await next();
  });
}

export type InternalBody<T> = { ok: true; value: T } | { ok: false; response: Response };

/**
 * The largest internal JSON body: a rank request at its contract's limits (2,000 exclusions of
 * 64-character ids, about 140 KB) fits. Bigger is a bug or an attack, refused before it is
 * buffered.
 */
export const MAX_INTERNAL_BODY_BYTES = 256 * 1024;

/**
 * Parses and validates an internal call's JSON body: 413 past the size limit (checked while it
 * streams), 400 naming the field when it is wrong.
 */
export async function readInternalJson<S extends v.GenericSchema>(
  c: Context,
  schema: S,
  maxBytes = MAX_INTERNAL_BODY_BYTES,
): Promise<InternalBody<v.InferOutput<S>>> {
  const read = await readBodyUpTo(c.req.raw, maxBytes);
  if (!read.ok) {
    const response =
      read.reason === "too-large"
        ? c.json(errorBody(ErrorCode.BodyTooLarge, `body: exceeds ${maxBytes} bytes`), 413)
        : c.json(errorBody(ErrorCode.RequestAborted, "body: the client went away"), 400);
    return { ok: false, response };
  }
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(read.bytes));
  } catch {
    body = undefined;
  }
  if (body === undefined) {
    return {
      ok: false,
      response: c.json(errorBody(ErrorCode.MalformedJson, "body: must be JSON"), 400),
    };
  }
  const parsed = v.safeParse(schema, body);
  if (!parsed.success) {
    return {
      ok: false,
      response: c.json(errorBody(ErrorCode.InvalidField, describeIssue(parsed.issues)), 400),
    };
  }
  return { ok: true, value: parsed.output };
}
