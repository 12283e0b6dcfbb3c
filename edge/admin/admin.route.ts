import { Hono } from "hono";
import { redisFromEnv } from "../../worker-lib/redis.client";
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
  .get("/admin", (c) => c.env.ASSETS.fetch(c.req.raw))
  .get("/admin/*", (c) => c.env.ASSETS.fetch(c.req.raw));
