import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { CatalogStore } from "../catalog/catalog.store";
import { LOCAL_S3_CREDENTIALS } from "./local-services";
import { type SeedProgress, seedDemoCatalog } from "./seed-demo";

const redisUrl = inject("redisUrl");
const redis = new Redis(redisUrl);
afterAll(() => redis.disconnect());

describe("demo catalog seed", () => {
  it("generates clips, uploads them through tus and waits until they are live", async () => {
    const seen: SeedProgress[] = [];
    const options = {
      redisUrl,
      s3: {
        endpoint: inject("s3Endpoint"),
        region: "auto",
        bucket: inject("s3Bucket"),
        ...LOCAL_S3_CREDENTIALS,
      },
      count: 2,
      transcodeStream: `uploads-seed-${randomUUID()}`,
      onProgress: (p: SeedProgress) => seen.push(p),
    };
    const ids = await seedDemoCatalog(options);
    expect(ids).toHaveLength(2);
    expect(seen.at(-1)).toEqual({ total: 2, uploaded: 2, live: 2, rejected: 0, failed: 0 });
    const catalog = new CatalogStore(redis);
    const first = await catalog.get(ids[0] ?? "");
    expect(first).toMatchObject({
      status: "live",
      creator_id: "demo-creator-1",
      hashtags: ["dance", "music"],
    });

    // Generated clips are deterministic, so seeding again dedups to the same videos.
    expect(await seedDemoCatalog({ ...options, count: 1 })).toEqual([ids[0]]);
  }, 60_000);
});
