// The services behind the edge for bench/feed-serve.bench.ts, in their own process so that the
// S3 server, the REST bridge and the origin never share an event loop with the load generator
// (a busy loop there would show up as edge latency). Prints one `READY {json}` line with the
// URLs and stops everything when its stdin closes.

import { startOrigin } from "../origin/api/origin.server";
import { localOriginConfig, startLocalServices } from "../origin/dev/local-services";

export interface BenchStack {
  redisUrl: string;
  bridgeUrl: string;
  bridgeToken: string;
  s3Endpoint: string;
  originUrl: string;
  originSecret: string;
}

const BRIDGE_TOKEN = "bench-bridge-token";
const ORIGIN_SECRET = "bench-origin-secret";

const services = await startLocalServices(BRIDGE_TOKEN);
const origin = await startOrigin(localOriginConfig(services, ORIGIN_SECRET), 0);
const stack: BenchStack = {
  redisUrl: services.redis.url,
  bridgeUrl: services.bridge.url,
  bridgeToken: BRIDGE_TOKEN,
  s3Endpoint: services.s3.endpoint,
  originUrl: origin.url,
  originSecret: ORIGIN_SECRET,
};
console.log(`READY ${JSON.stringify(stack)}`);
process.stdin.resume();
process.stdin.once("end", async () => {
  await origin.stop();
  await services.stop();
  process.exit(0);
});
