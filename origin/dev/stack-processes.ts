import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as v from "valibot";
import { HealthReportSchema } from "../../contracts/health.schema";
import { type ManagedChild, spawnManaged } from "./child-process";
import { LOCAL_BUCKET, LOCAL_S3_CREDENTIALS } from "./local-services";

// The processes of a local stack and how they are wired, shared by `npm run dev` and the
// browser tests' stack so both run the system the same way.
const repoRoot = resolve(import.meta.dirname, "../..");

export interface OriginWiring {
  redisUrl: string;
  s3Endpoint: string;
  bridgeToken: string;
  bridgePort: number;
  originPort: number;
  sharedSecret: string;
}

/** The environment every origin role reads (origin/config/config.ts), for the local servers. */
export function originEnvironment(
  wiring: OriginWiring,
  extra: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return {
    // Two api workers exercise the cluster without one process per core of a laptop; a shell
    // that sets ORIGIN_API_WORKERS decides.
    ORIGIN_API_WORKERS: "2",
    ...process.env,
    REDIS_URL: wiring.redisUrl,
    UPSTASH_REDIS_REST_TOKEN: wiring.bridgeToken,
    BRIDGE_PORT: String(wiring.bridgePort),
    ORIGIN_PORT: String(wiring.originPort),
    ORIGIN_SHARED_SECRET: wiring.sharedSecret,
    S3_ENDPOINT: wiring.s3Endpoint,
    S3_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
    S3_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    S3_BUCKET: LOCAL_BUCKET,
    ...extra,
  };
}

/** One origin role as its own process, as it runs in production. */
export function spawnRole(name: string, env: NodeJS.ProcessEnv): ManagedChild {
  return spawnManaged(
    name,
    process.execPath,
    ["--import", "tsx", join(repoRoot, "origin/main.ts"), name],
    env,
  );
}

export interface EdgeWiring {
  port: number;
  inspectorPort: number;
  /** Where wrangler keeps Durable Object and R2 state, and where the env file is written. */
  stateDir: string;
  /** Vars and secrets of wrangler.toml, written to an env file so secrets stay off argv. */
  vars: Record<string, string>;
  extraArgs?: string[];
}

/** `wrangler dev` for the edge Worker on loopback. */
export function spawnEdge(wiring: EdgeWiring): ManagedChild {
  const envFile = join(wiring.stateDir, "edge.env");
  const lines = Object.entries(wiring.vars).map(([name, value]) => `${name}=${value}`);
  writeFileSync(envFile, `${lines.join("\n")}\n`, { mode: 0o600 });
  return spawnManaged(
    "edge",
    process.execPath,
    [
      join(repoRoot, "node_modules/wrangler/bin/wrangler.js"),
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      String(wiring.port),
      "--env-file",
      envFile,
      "--persist-to",
      join(wiring.stateDir, "wrangler"),
      "--show-interactive-dev-session=false",
      "--inspector-port",
      String(wiring.inspectorPort),
      ...(wiring.extraArgs ?? []),
    ],
    { ...process.env, WRANGLER_SEND_METRICS: "false" },
  );
}

/** Resolves once `url` answers a health report with every dependency up. */
export async function waitForHealthy(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      const report = v.parse(HealthReportSchema, await response.json());
      if (report.status === "ok") return;
      last = JSON.stringify(report.checks);
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not become healthy: ${last}`);
}
