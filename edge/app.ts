import { Hono } from "hono";
import { ErrorCode } from "../contracts/error.schema";
import { adminRoute } from "./admin/admin.route";
import { countEventOutcomes } from "./admin/events-metrics.middleware";
import { eventsRoute } from "./events/events.route";
import { feedRoute } from "./feed/feed.route";
import { healthRoute } from "./health/health.route";
import { jsonError } from "./http/errors";
import { mediaRoute } from "./media/media.route";
import { flushMetrics } from "./metrics/metrics.middleware";
import { passkeysRoute } from "./passkeys/passkeys.route";
import { sessionRoute } from "./session/session.route";
import { uploadsRoute } from "./uploads/uploads.route";

/** The edge's routes. Each capability lives in its own folder and mounts here. */
export function createApp(): Hono<{ Bindings: Env }> {
  const app = new Hono<{ Bindings: Env }>();
  app.use(flushMetrics());
  app.use("/v1/events", countEventOutcomes());
  app.route("/", healthRoute);
  app.route("/", sessionRoute);
  app.route("/", passkeysRoute);
  app.route("/", eventsRoute);
  app.route("/", feedRoute);
  app.route("/", mediaRoute);
  app.route("/", uploadsRoute);
  app.route("/", adminRoute);
  app.notFound((c) =>
    jsonError(c, 404, ErrorCode.NotFound, `no route for ${c.req.method} ${c.req.path}`),
  );
  app.onError((error, c) => {
    console.error("edge: unhandled error", error);
    return jsonError(c, 500, ErrorCode.Unexpected, "unexpected edge error");
  });
  return app;
}
