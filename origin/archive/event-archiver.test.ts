import { randomUUID } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { STREAM_FIELD } from "../../contracts/event.schema";
import { featureKeys } from "../../contracts/keyspace";
import { testS3Config } from "../dev/test-s3";
import { createS3Client } from "../storage/s3.client";
import { EventArchiver } from "./event-archiver";

const redis = new Redis(inject("redisUrl"));
const bucket = inject("s3Bucket");
const s3 = createS3Client(testS3Config());

afterAll(() => {
  redis.disconnect();
  s3.destroy();
});

describe("event archiver", () => {
  it("writes each completed minute once, as gzip NDJSON under lake/events/date=…", async () => {
    const prefix = `t:${randomUUID()}:`;
    const keys = featureKeys(prefix);
    const archiver = new EventArchiver({ redis, s3, bucket, keys, partitions: 2, prefix });
    const minute = Date.UTC(2026, 0, 2, 3, 4);
    const ids = [`${minute}-0`, `${minute + 10}-0`, `${minute + 59_999}-0`, `${minute + 60_000}-0`];
    for (const [i, id] of ids.entries()) {
      await redis.xadd(keys.stream(1), id, STREAM_FIELD, JSON.stringify({ n: i }));
    }
    const written = await archiver.archiveComplete();
    // The second minute has no later entry yet: it may still grow, so it waits.
    expect(written).toEqual([
      `lake/events/date=2026-01-02/p=1/${minute}_${ids[0]}_${ids[2]}.ndjson.gz`,
    ]);
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: written[0] }));
    const text = gunzipSync(Buffer.from(await object.Body!.transformToByteArray())).toString();
    expect(
      text
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line)),
    ).toEqual([
      { id: ids[0], e: '{"n":0}' },
      { id: ids[1], e: '{"n":1}' },
      { id: ids[2], e: '{"n":2}' },
    ]);
    expect(await archiver.archiveComplete()).toEqual([]);

    await redis.xadd(keys.stream(1), `${minute + 120_000}-0`, STREAM_FIELD, "{}");
    // Mark the stored segment, then replay a crash after the upload but before the position
    // moved: the segment is found at its key and adopted, not written again.
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: written[0], Body: "marker" }));
    await redis.hdel(`${prefix}archive:positions`, "1");
    const again = await archiver.archiveComplete();
    expect(again).toEqual([
      written[0],
      `lake/events/date=2026-01-02/p=1/${minute + 60_000}_${ids[3]}_${ids[3]}.ndjson.gz`,
    ]);
    const kept = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: written[0] }));
    expect(await kept.Body!.transformToString()).toBe("marker");
  });

  it("marks the events of users flagged as bots and keeps them", async () => {
    const prefix = `t:${randomUUID()}:`;
    const keys = featureKeys(prefix);
    const archiver = new EventArchiver({ redis, s3, bucket, keys, partitions: 1, prefix });
    await redis.set(keys.spamUser("bot"), "1");
    const minute = Date.UTC(2026, 0, 3, 4, 5);
    const event = (user: string) => JSON.stringify({ user_id: user, event: { type: "like" } });
    await redis.xadd(keys.stream(0), `${minute}-0`, STREAM_FIELD, event("bot"));
    await redis.xadd(keys.stream(0), `${minute + 1}-0`, STREAM_FIELD, event("ann"));
    await redis.xadd(keys.stream(0), `${minute + 60_000}-0`, STREAM_FIELD, event("ann"));
    const [key] = await archiver.archiveComplete();
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const text = gunzipSync(Buffer.from(await object.Body!.transformToByteArray())).toString();
    expect(
      text
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line)),
    ).toEqual([
      { id: `${minute}-0`, e: event("bot"), flagged: true },
      { id: `${minute + 1}-0`, e: event("ann") },
    ]);
  });
});
