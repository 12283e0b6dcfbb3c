import { type Context, Hono } from "hono";
import { ErrorCode, errorBody } from "../../contracts/error.schema";
import { INTERNAL_AUTH_HEADER } from "../../contracts/internal-auth";
import { InternalHeaders } from "../../contracts/upload.schema";
import { jsonError } from "../http/errors";
import { bodyRefused } from "../http/json-body";
import { requireSession, type SessionVariables } from "../session/require-session";

type UploadsEnv = { Bindings: Env; Variables: SessionVariables };

/** tus request headers the origin needs; everything else (cookies, the session token) stays here. */
const FORWARDED = [
  "tus-resumable",
  "upload-length",
  "upload-offset",
  "upload-metadata",
  "upload-defer-length",
  "content-type",
  "content-length",
  "x-http-method-override",
];

/**
 * `/v1/uploads/*`: tus uploads and `GET /v1/uploads/{id}/status`, proxied to the origin's
 * `/uploads/*` with the session's user and the internal secret. Only signed-in accounts upload,
 * and only while their sign-in lasts. The body streams through; the
 * edge never buffers a video. CORS preflights go through without a session.
 */
export const uploadsRoute = new Hono<UploadsEnv>()
  .options("/v1/uploads", forward)
  .options("/v1/uploads/*", forward)
  .use("/v1/uploads", requireSession({ account: true, live: true }))
  .use("/v1/uploads/*", requireSession({ account: true, live: true }))
  .all("/v1/uploads", forward)
  .all("/v1/uploads/*", forward);

async function forward(c: Context<UploadsEnv>): Promise<Response> {
  // The origin's S3 store has no concatenation: tus would answer 501, a server error for what is
  // the client's choice of protocol extension.
  if (c.req.header("upload-concat") !== undefined) {
    const message = "Upload-Concat: concatenation is not supported; upload the file in one piece";
    return jsonError(c, 400, ErrorCode.InvalidField, message);
  }
  const url = new URL(c.req.url);
  const target = new URL(`/uploads${url.pathname.slice("/v1/uploads".length)}`, c.env.ORIGIN_URL);
  const headers = new Headers();
  for (const name of FORWARDED) {
    const value = c.req.header(name);
    if (value !== undefined) headers.set(name, value);
  }
  headers.set(INTERNAL_AUTH_HEADER, c.env.ORIGIN_SHARED_SECRET);
  headers.set(InternalHeaders.uploadBase, `${url.origin}/v1/uploads`);
  const session = c.get("session");
  if (session) headers.set(InternalHeaders.userId, session.userId);
  const hasBody = c.req.method === "POST" || c.req.method === "PATCH";
  try {
    const response = await fetch(target, {
      method: c.req.method,
      headers,
      // A viewer who goes away mid-upload cancels the origin's request too (enable_request_signal).
      signal: c.req.raw.signal,
      ...(hasBody ? { body: c.req.raw.body } : {}),
    });
    if (needsErrorShape(c.req.method, response)) return inErrorShape(response);
    return new Response(response.body, response);
  } catch {
    if (c.req.raw.signal.aborted) return bodyRefused(c, "aborted", 0);
    return jsonError(c, 502, ErrorCode.Unexpected, "uploads: origin unavailable");
  }
}

/** A 4xx that @tus/server wrote itself, as plain text; HEAD answers carry no body at all. */
function needsErrorShape(method: string, response: Response): boolean {
  if (method === "HEAD" || response.status < 400 || response.status >= 500) return false;
  return !(response.headers.get("content-type") ?? "").includes("application/json");
}

/**
 * The edge's error shape around tus's own refusal text (which names the header at fault, e.g.
 * `Tus-Resumable Required`), keeping the headers tus set, which tus clients read.
 */
async function inErrorShape(response: Response): Promise<Response> {
  const text = (await response.text()).trim();
  const code =
    response.status === 404
      ? ErrorCode.NotFound
      : response.status === 413
        ? ErrorCode.UploadTooLarge
        : ErrorCode.InvalidField;
  const headers = new Headers(response.headers);
  headers.set("content-type", "application/json");
  headers.delete("content-length");
  const message = `uploads: ${text || `refused with ${response.status}`}`;
  return new Response(JSON.stringify(errorBody(code, message)), {
    status: response.status,
    headers,
  });
}
