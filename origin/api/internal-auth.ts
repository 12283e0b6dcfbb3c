import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import * as v from "valibot";
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

/** Parses and validates an internal call's JSON body: 400 naming the field when it is wrong. */
export async function readInternalJson<S extends v.GenericSchema>(
  c: Context,
  schema: S,
): Promise<InternalBody<v.InferOutput<S>>> {
  const body = await c.req.json<unknown>().catch(() => undefined);
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
