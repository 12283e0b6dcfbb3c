import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { ErrorCode, errorBody } from "../../contracts/error.schema";
import { INTERNAL_AUTH_HEADER, sameSecret } from "../../contracts/internal-auth";
import { InternalHeaders, type UploadStatus, VIDEO_ID_HEADER } from "../../contracts/upload.schema";
import { type CatalogEntry, CatalogStore } from "../catalog/catalog.store";
import { createTusServer, type UploadsOptions } from "./tus.server";

export interface UploadsRouteOptions extends Omit<UploadsOptions, "path"> {
  /** The secret the edge sends in INTERNAL_AUTH_HEADER. */
  sharedSecret: string;
}

export const UPLOADS_PATH = "/uploads";

/**
 * `/uploads/*` on the origin: tus (POST/HEAD/PATCH/DELETE/OPTIONS) and
 * `GET /uploads/{id}/status`. Only the edge may call it (shared secret); the edge has already
 * checked the session and forwards its user, and only an upload's creator may touch it (403).
 * A finished upload cannot be terminated or patched (409); a terminated one leaves no catalog
 * entry.
 */
type OwnedUpload = { Variables: { entry: CatalogEntry } };

export function uploadsRoute(options: UploadsRouteOptions): Hono<OwnedUpload> {
  const app = new Hono<OwnedUpload>();
  const tus = createTusServer({ ...options, path: UPLOADS_PATH });
  const catalog = new CatalogStore(options.redis);

  const edgeOnly = createMiddleware(async function requireEdgeSecret(c, next) {
    const given = c.req.header(INTERNAL_AUTH_HEADER) ?? "";
    if (c.req.method !== "OPTIONS" && !sameSecret(given, options.sharedSecret)) {
      const message = `${INTERNAL_AUTH_HEADER}: missing or wrong`;
      return c.json(errorBody(ErrorCode.Unauthorized, message), 401);
    }
    await next();
  });
  // Every request about one upload (HEAD, PATCH, DELETE, status) is its creator's alone. Another
  // account learns only that the upload is not theirs, not its state.
  const ownerOnly = createMiddleware<OwnedUpload>(async function requireOwner(c, next) {
    if (c.req.method === "OPTIONS") return next();
    const id = c.req.param("id") ?? "";
    const entry = await catalog.get(id);
    if (!entry) return c.json(errorBody(ErrorCode.NotFound, `upload ${id} not found`), 404);
    if (entry.creator_id !== c.req.header(InternalHeaders.userId)) {
      const message = `upload ${id} belongs to another account`;
      return c.json(errorBody(ErrorCode.UploadForbidden, message), 403);
    }
    c.set("entry", entry);
    await next();
  });
  app.use(UPLOADS_PATH, edgeOnly);
  app.use(`${UPLOADS_PATH}/*`, edgeOnly);
  app.use(`${UPLOADS_PATH}/:id`, ownerOnly);
  app.use(`${UPLOADS_PATH}/:id/status`, ownerOnly);

  app.get(`${UPLOADS_PATH}/:id/status`, async (c) => {
    const id = c.req.param("id");
    const entry = c.var.entry;
    const body: UploadStatus = {
      id,
      status: entry.status,
      progress: entry.progress,
      ...(entry.reason && entry.status !== "live" ? { reason: entry.reason } : {}),
    };
    c.header(VIDEO_ID_HEADER, id);
    return c.json(body);
  });

  app.delete(`${UPLOADS_PATH}/:id`, async (c) => {
    const id = c.req.param("id");
    if (c.var.entry.status !== "uploading") {
      const message = `upload ${id} is finished (${c.var.entry.status}): it cannot be terminated`;
      return c.json(errorBody(ErrorCode.UploadFinished, message), 409);
    }
    const response = await tus.handleWeb(c.req.raw);
    // Terminated: no video will come of it, so its catalog entry goes with the bytes.
    if (response.status === 204) await catalog.remove(id);
    return response;
  });
  app.patch(`${UPLOADS_PATH}/:id`, async (c) => {
    // A finished upload's multipart upload is completed; tus would try to complete it again
    // on a repeated final PATCH (a client retrying a lost response) and answer 500.
    if (c.var.entry.status !== "uploading") {
      const id = c.req.param("id");
      const message = `upload ${id} is finished (${c.var.entry.status}): it takes no more bytes`;
      return c.json(errorBody(ErrorCode.UploadFinished, message), 409);
    }
    return tus.handleWeb(keepBytesOnDisconnect(c.req.raw));
  });
  app.all(UPLOADS_PATH, (c) => tus.handleWeb(c.req.raw));
  app.all(`${UPLOADS_PATH}/*`, (c) => tus.handleWeb(keepBytesOnDisconnect(c.req.raw)));
  return app;
}

/**
 * A PATCH whose connection drops mid-body ends its body instead of erroring it. `@tus/s3-store`
 * discards a chunk whose stream errors, including the incomplete part it had merged into it, so
 * an erroring body would throw away bytes received earlier; ended, they are stored and the
 * client resumes from the offset that HEAD reports, as tus intends.
 */
function keepBytesOnDisconnect(request: Request): Request {
  if (request.method !== "PATCH" || !request.body) return request;
  const reader = request.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch {
        controller.close();
      }
    },
    cancel: (reason) => reader.cancel(reason),
  });
  const init: RequestInit & { duplex: "half" } = { body, duplex: "half" };
  return new Request(request, init);
}
