import { type Context, Hono } from "hono";
import * as v from "valibot";
import { describeIssue, ErrorCode } from "../../contracts/error.schema";
import { redisFromEnv } from "../../worker-lib/redis.client";
import { jsonError } from "../http/errors";
import { type AdminEnv, requireAdmin, signIn, signOut } from "./admin-auth";
import { loadDashboard } from "./dashboard-data";
import { DEFAULT_WINDOW, WINDOW_NAMES } from "./dashboard-window";

const DashboardQuerySchema = v.object({
  window: v.optional(
    v.picklist(WINDOW_NAMES, `must be one of ${WINDOW_NAMES.join(", ")}`),
    DEFAULT_WINDOW,
  ),
});

/**
 * The operators' dashboard: `/admin` (page), `/admin/*` (its static files, from
 * web/dist through the ASSETS binding) and `/admin/api/metrics?window=15m|1h|24h` (its data, an
 * hour by default), all behind the admin token.
 */
export const adminRoute = new Hono<{ Bindings: AdminEnv }>()
  .post("/admin/sign-in", signIn)
  .post("/admin/sign-out", signOut)
  .use("/admin", requireAdmin())
  .use("/admin/*", requireAdmin())
  .get("/admin/api/metrics", async (c) => {
    const query = v.safeParse(DashboardQuerySchema, c.req.query());
    if (!query.success) {
      return jsonError(c, 400, ErrorCode.InvalidField, describeIssue(query.issues));
    }
    const data = await loadDashboard(redisFromEnv(c.env), {
      partitions: Number(c.env.EVENT_PARTITIONS),
      window: query.output.window,
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
