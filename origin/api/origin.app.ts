import { HeadBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { Hono } from "hono";
import type { Redis } from "ioredis";
import { ErrorCode, errorBody } from "../../contracts/error.schema";
import { healthReport, probe } from "../../contracts/health.schema";
import { createOriginMetrics, metricsRoute } from "../metrics";
import { type UploadsRouteOptions, uploadsRoute } from "../uploads/uploads.route";
import { internalRefreshRoute, type RefreshRouteOptions } from "./internal-refresh.route";
import { type MediaRouteOptions, mediaRoute } from "./media.route";
import { type RankRouteOptions, rankRoute } from "./rank.route";

export interface OriginDeps {
  redis: Redis;
  s3: S3Client;
  bucket: string;
  /** tus uploads under `/uploads`; absent in apps that don't take uploads. */
  uploads?: UploadsRouteOptions;
  /** The edge's origin-pull under `/media`; absent in apps that don't serve media. */
  serveMedia?: MediaRouteOptions;
  /** `/internal/feed/refresh` and `/v1/rank`; absent in apps that don't rank. */
  ranking?: { refresh: RefreshRouteOptions; rank: Omit<RankRouteOptions, "latency"> };
  /** The bearer token `/metrics` asks for; absent, the route is off. */
  metricsToken?: string;
}

/** The origin's HTTP API. Routes for media, ranking and uploads mount here as they land. */
export function createOriginApp(deps: OriginDeps): Hono {
  const app = new Hono();
  const metrics = createOriginMetrics({ redis: deps.redis });
  app.use(metrics.middleware);
  app.route("/", metricsRoute(metrics, deps.metricsToken));

  app.get("/healthz", async (c) => {
    const [redis, storage] = await Promise.all([
      probe(() => deps.redis.ping()),
      probe(() => deps.s3.send(new HeadBucketCommand({ Bucket: deps.bucket }))),
    ]);
    const report = healthReport("origin", { redis, storage });
    return c.json(report, report.status === "ok" ? 200 : 503);
  });

  if (deps.uploads) app.route("/", uploadsRoute(deps.uploads));
  if (deps.serveMedia) app.route("/", mediaRoute(deps.serveMedia));
  if (deps.ranking) {
    app.route("/", internalRefreshRoute(deps.ranking.refresh));
    app.route("/", rankRoute({ ...deps.ranking.rank, latency: metrics.rankerSeconds }));
  }

  app.notFound((c) =>
    c.json(errorBody(ErrorCode.NotFound, `no route for ${c.req.method} ${c.req.path}`), 404),
  );
  app.onError((error, c) => {
    console.error("origin: unhandled error", error);
    return c.json(errorBody(ErrorCode.Unexpected, "unexpected origin error"), 500);
  });

  return app;
}
