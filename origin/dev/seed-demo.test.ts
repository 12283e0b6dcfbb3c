import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { CatalogStore } from "../catalog/catalog.store";
import { LOCAL_S3_CREDENTIALS } from "./local-services";
import { type SeedProgress, seedDemoCatalog, startDemoSeed } from "./seed-demo";

const redisUrl = inject("redisUrl");
const redis = new Redis(redisUrl);
const cacheDir = mkdtempSync(join(tmpdir(), "edgefeed-demo-clips-"));
afterAll(() => {
  redis.disconnect();
  rmSync(cacheDir, { recursive: true, force: true });
});

const options = {
  redisUrl,
  s3: {
    endpoint: inject("s3Endpoint"),
    region: "auto",
    bucket: inject("s3Bucket"),
    ...LOCAL_S3_CREDENTIALS,
  },
  cacheDir,
  catalog: { seconds: [3, 3], shortSide: 240 } as const,
  transcodeStream: `uploads-seed-${randomUUID()}`,
};

describe("demo catalog seed", () => {
  it("renders clips, uploads them through tus and waits until they are live", async () => {
    const seen: SeedProgress[] = [];
    const ids = await seedDemoCatalog({ ...options, count: 3, onProgress: (p) => seen.push(p) });
    expect(ids).toHaveLength(3);
    expect(seen.at(-1)).toEqual({
      total: 3,
      rendered: 3,
      uploaded: 3,
      live: 3,
      rejected: 0,
      failed: 0,
    });
    const catalog = new CatalogStore(redis);
    // Topics take turns, each with its own hashtags, creators and sounds.
    expect(await catalog.get(ids[0] ?? "")).toMatchObject({
      status: "live",
      creator_id: "maya-moves",
      hashtags: ["dance", "choreo", "kpop"],
      audio_id: expect.stringMatching(/^snd-/),
    });
    expect((await catalog.get(ids[1] ?? ""))?.hashtags[0]).toBe("cooking");
    expect(readdirSync(cacheDir).filter((f) => f.endsWith(".mp4"))).toHaveLength(3);

    // The renders are cached and the uploads dedup: a second seed gives the same videos.
    const again = startDemoSeed({ ...options, count: 2, readyCount: 1 });
    await again.ready;
    expect(await again.done).toEqual(ids.slice(0, 2));
    expect(readdirSync(cacheDir).filter((f) => f.endsWith(".mp4"))).toHaveLength(3);
  }, 120_000);

  it("stops when asked, with the videos uploaded until then", async () => {
    const seed = startDemoSeed({ ...options, count: 30, concurrency: 1 });
    await seed.stop();
    const ids = await seed.done;
    expect(ids.length).toBeLessThan(30);
  }, 60_000);
});
