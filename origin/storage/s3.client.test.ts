import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { afterAll, describe, expect, inject, it } from "vitest";
import { testS3Config } from "../dev/test-s3";
import { createS3Client } from "./s3.client";

const bucket = inject("s3Bucket");
const s3 = createS3Client(testS3Config());

afterAll(() => s3.destroy());

describe("S3 client against the loopback S3 server", () => {
  it("puts an object and reads it back whole and by byte range", async () => {
    const body = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "videos/v1/240p/seg-000.ts",
        Body: body,
        ContentType: "video/mp2t",
      }),
    );
    const whole = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: "videos/v1/240p/seg-000.ts" }),
    );
    expect(whole.ContentType).toBe("video/mp2t");
    expect(Buffer.from(await whole.Body!.transformToByteArray())).toEqual(body);

    const part = await s3.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: "videos/v1/240p/seg-000.ts",
        Range: "bytes=100-199",
      }),
    );
    expect(part.ContentRange).toBe("bytes 100-199/4096");
    expect(Buffer.from(await part.Body!.transformToByteArray())).toEqual(body.subarray(100, 200));
  });

  it("uploads a large object in parts with lib-storage", async () => {
    const body = Buffer.alloc(11 * 1024 * 1024, 7);
    body.write("end-marker", body.length - 10);
    await new Upload({
      client: s3,
      params: { Bucket: bucket, Key: "originals/big.mp4", Body: body },
      partSize: 5 * 1024 * 1024,
    }).done();
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "originals/big.mp4" }));
    expect(head.ContentLength).toBe(body.length);
    const tail = await s3.send(
      new GetObjectCommand({
        Bucket: bucket,
        Key: "originals/big.mp4",
        Range: `bytes=${body.length - 10}-${body.length - 1}`,
      }),
    );
    expect(Buffer.from(await tail.Body!.transformToByteArray()).toString()).toBe("end-marker");
  });

  it("reports a missing key as NoSuchKey", async () => {
    await expect(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: "videos/none/master.m3u8" })),
    ).rejects.toMatchObject({ name: "NoSuchKey" });
  });
});
