import { resolve } from "node:path";
import { defineConfig } from "vitest/config";

/** `vitest run --config e2e/vitest.config.ts`: Chromium against the whole local stack. */
export default defineConfig({
  root: resolve(import.meta.dirname, ".."),
  test: {
    name: "e2e",
    environment: "node",
    include: ["e2e/**/*.e2e.ts"],
    globalSetup: ["e2e/stack.global-setup.ts"],
    // One browser, one stack, one file: the dashboard checks what the feed tests generated.
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 60_000,
  },
});
