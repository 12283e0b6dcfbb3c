// The Worker as the feed-serve bench runs it: wrangler's dev server (workerd), in memory, started
// from the repository's wrangler.toml with the env files given. Shared by the bench's own
// instances and the hit-ratio replay's.

import { join, resolve } from "node:path";
import { unstable_startWorker } from "wrangler";
import { freePort } from "../origin/dev/free-port";

export const wranglerConfig = join(resolve(import.meta.dirname, ".."), "wrangler.toml");

/** A started Worker, healthy; the inspector only when profiling. */
export async function startEdge(envFiles: string[], inspector = false) {
  // Without the inspector proxy, which otherwise traces every request.
  const edge = await unstable_startWorker({
    config: wranglerConfig,
    envFiles,
    dev: {
      inspector: inspector ? { hostname: "127.0.0.1", port: await freePort() } : false,
      server: { hostname: "127.0.0.1", port: await freePort() },
      // In memory, each instance its own cache, R2 and objects: the figures are about the serve
      // path, not this machine's disk.
      persist: false,
      logLevel: "warn",
      watch: false,
      remote: false,
    },
  });
  await edge.ready;
  await waitForEdge((await edge.url).origin);
  return edge;
}

async function waitForEdge(url: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {
      // wrangler is still starting workerd.
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not become healthy`);
}
