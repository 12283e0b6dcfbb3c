import { startOrigin } from "./api/origin.server";
import { ConfigError, loadConfig } from "./config/config";
import { startBridge } from "./redis-bridge/bridge.server";

/**
 * One entry for every origin role, `tsx origin/main.ts <role>`, so that in production each role
 * runs as its own process and scales on its own.
 */
const roles = {
  bridge: async () => {
    const config = loadConfig();
    const bridge = await startBridge({
      redisUrl: config.redisUrl,
      token: config.bridgeToken,
      port: config.bridgePort,
    });
    console.log(`bridge: Upstash REST on ${bridge.url} → ${config.redisUrl}`);
    return bridge.stop;
  },
  api: async () => {
    const origin = await startOrigin(loadConfig());
    console.log(`api: origin on ${origin.url}`);
    return origin.stop;
  },
} satisfies Record<string, () => Promise<() => Promise<void>>>;

type Role = keyof typeof roles;

function isRole(name: string | undefined): name is Role {
  return name !== undefined && Object.hasOwn(roles, name);
}

async function main(): Promise<void> {
  const name = process.argv[2];
  if (!isRole(name)) {
    console.error(`usage: tsx origin/main.ts <${Object.keys(roles).join("|")}>`);
    process.exit(2);
  }
  try {
    const stop = await roles[name]();
    const shutdown = () => {
      stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.once("SIGINT", shutdown);
    process.once("SIGTERM", shutdown);
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
}

await main();
