import { Hono } from "hono";
import { ErrorCode } from "../contracts/error.schema";
import { healthRoute } from "./health/health.route";
import { jsonError } from "./http/errors";
import { sessionRoute } from "./session/session.route";

/** The edge's routes. Each capability lives in its own folder and mounts here. */
export function createApp(): Hono<{ Bindings: Env }> {
  const app = new Hono<{ Bindings: Env }>();
  app.route("/", healthRoute);
  app.route("/", sessionRoute);
  app.notFound((c) =>
    jsonError(c, 404, ErrorCode.NotFound, `no route for ${c.req.method} ${c.req.path}`),
  );
  app.onError((error, c) => {
    console.error("edge: unhandled error", error);
    return jsonError(c, 500, ErrorCode.Unexpected, "unexpected edge error");
  });
  return app;
}
