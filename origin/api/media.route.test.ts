import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, inject, it } from "vitest";
import { INTERNAL_AUTH_HEADER } from "../../contracts/internal-auth";
import { fixtureSegment, ORIGIN_FIXTURE_VIDEO } from "../../testing/contracts/media.fixtures";
import { testS3Config } from "../dev/test-s3";
import { createS3Client } from "../storage/s3.client";
import { mediaRoute } from "./media.route";

const bucket = inject("s3Bucket");
const s3 = createS3Client(testS3Config());
const secret = "media-test-secret";
const app = mediaRoute({ s3, bucket, sharedSecret: secret });
const internal = { [INTERNAL_AUTH_HEADER]: secret };

afterAll(() => s3.destroy());

describe("GET /media/* on the origin", () => {
  it("serves an object from the S3 store with its type, ETag and immutable caching", async () => {
    const key = "videos/origin-test/v2/240p/seg-00000.ts";
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "0123456789" }));
    const response = await app.request(`/media/${key}`, { headers: internal });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("video/mp2t");
    expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(response.headers.get("etag")).toMatch(/^".+"$/);
    expect(await response.text()).toBe("0123456789");
  });

  it("answers a Range with 206 and the slice", async () => {
    const key = `videos/${ORIGIN_FIXTURE_VIDEO}/v1/240p/seg-00001.ts`;
    const response = await app.request(`/media/${key}`, {
      headers: { ...internal, range: "bytes=10-29" },
    });
    expect(response.status).toBe(206);
    const whole = fixtureSegment("240p/seg-00001.ts");
    expect(response.headers.get("content-range")).toBe(`bytes 10-29/${whole.length}`);
    expect(await response.text()).toBe(whole.slice(10, 30));
  });

  it("refuses callers without the shared secret, bad keys and unknown objects", async () => {
    const key = `videos/${ORIGIN_FIXTURE_VIDEO}/v1/master.m3u8`;
    expect((await app.request(`/media/${key}`)).status).toBe(401);
    expect(
      (await app.request(`/media/${key}`, { headers: { [INTERNAL_AUTH_HEADER]: "wrong" } })).status,
    ).toBe(401);
    expect(
      (await app.request("/media/videos/x/v1/..%2f..%2fsecret.ts", { headers: internal })).status,
    ).toBe(400);
    expect((await app.request("/media/originals/big.mp4", { headers: internal })).status).toBe(400);
    const missing = await app.request("/media/videos/nope/v1/master.m3u8", { headers: internal });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "MEDIA.NOT_FOUND" } });
  });
});
