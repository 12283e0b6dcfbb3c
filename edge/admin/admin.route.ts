import { type Context, Hono } from "hono";
import { ErrorCode } from "../../contracts/error.schema";
import { redisFromEnv } from "../../worker-lib/redis.client";
import { jsonError } from "../http/errors";
import { type AdminEnv, requireAdmin, signIn, signOut } from "./admin-auth";
import { loadDashboard } from "./dashboard-data";

/**
 * The operators' dashboard: `/admin` (page), `/admin/*` (its static files, from
 * web/dist through the ASSETS binding) and `/admin/api/metrics` (its data), all behind the
 * admin token.
 */
export const adminRoute = new Hono<{ Bindings: AdminEnv }>()
  .post("/admin/sign-in", signIn)
  .post("/admin/sign-out", signOut)
  .use("/admin", requireAdmin())
  .use("/admin/*", requireAdmin())
  .get("/admin/api/metrics", async (c) => {
    // `?minutes=` picks the window: 5 minutes to a day, an hour by default.
    const minutes = Math.round(Number(c.req.query("minutes") ?? 60));
    const data = await loadDashboard(redisFromEnv(c.env), {
      partitions: Number(c.env.EVENT_PARTITIONS),
      windowMinutes: Number.isFinite(minutes) ? Math.min(1440, Math.max(5, minutes)) : 60,
    });
    c.header("cache-control", "no-store");
    return c.json(data);
  })
  .get("/admin", asset)
  .get("/admin/*", asset);

/** A dashboard file; a missing one is the edge's usual 404, not the asset server's empty body. */
async function asset(c: Context<{ Bindings: AdminEnv }>): Promise<Response> {
  const response = await c.env.ASSETS.fetch(c.req.raw);
  if (response.status !== 404) return response;
  return jsonError(c, 404, ErrorCode.NotFound, `path: no dashboard file ${c.req.path}`);
}
