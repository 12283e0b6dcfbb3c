import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // One global setup for both projects, run in plain Node: a real redis-server, the
    // S3-compatible server, the Upstash REST bridge and the origin API on free loopback ports.
    globalSetup: ["origin/dev/test-stack.global-setup.ts"],
    projects: [
      {
        // Worker, Durable Object and shared Worker helper (worker-lib/) code inside workerd, with
        // the bindings of wrangler.toml; the URLs of the servers started for the run replace its
        // vars. Test helpers under testing/ are plain imports of the tests, not tests themselves.
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                UPSTASH_REDIS_REST_URL: inject("bridgeUrl"),
                UPSTASH_REDIS_REST_TOKEN: inject("bridgeToken"),
                ORIGIN_URL: inject("originUrl"),
                ORIGIN_SHARED_SECRET: "test-origin-secret",
                SIGNING_SECRET: "test-signing-secret",
                ADMIN_TOKEN: "test-admin-token",
                // Every test's requests come from one address; the limit's own test tightens it.
                SESSIONS_RATE_LIMIT: "1000000",
              },
            },
          })),
        ],
        test: {
          name: "workerd",
          include: [
            "edge/**/*.test.ts",
            "durable-objects/**/*.test.ts",
            "worker-lib/**/*.test.ts",
            "wasm/**/*.workerd.test.ts",
          ],
        },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["origin/**/*.test.ts", "contracts/**/*.test.ts", "wasm/**/*.test.ts"],
          exclude: ["**/*.workerd.test.ts", "**/node_modules/**"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
