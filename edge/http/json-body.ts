import type { Context } from "hono";
import * as v from "valibot";
import { describeIssue, ErrorCode } from "../../contracts/error.schema";
import { jsonError } from "./errors";

export type BodyResult<T> = { ok: true; value: T } | { ok: false; response: Response };

/**
 * Reads a JSON body of at most `maxBytes` and validates it: 413 when too large, 400
 * `REQUEST.MALFORMED_JSON` when it does not parse, 400 `REQUEST.INVALID_FIELD` naming the field.
 * The size is checked on the bytes read, not on Content-Length, which a client may omit or lie in.
 */
export async function readJsonBody<S extends v.GenericSchema>(
  c: Context,
  schema: S,
  maxBytes: number,
): Promise<BodyResult<v.InferOutput<S>>> {
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > maxBytes) {
    return { ok: false, response: tooLarge(c, maxBytes) };
  }
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.byteLength > maxBytes) return { ok: false, response: tooLarge(c, maxBytes) };
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

function tooLarge(c: Context, maxBytes: number): Response {
  return jsonError(c, 413, ErrorCode.BodyTooLarge, `request body exceeds ${maxBytes} bytes`);
}
