import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListPartsCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createS3Client } from "../storage/s3.client";
import { LOCAL_S3_CREDENTIALS } from "./local-services";

const Bucket = inject("s3Bucket");
const s3 = createS3Client({
  endpoint: inject("s3Endpoint"),
  region: "auto",
  bucket: Bucket,
  ...LOCAL_S3_CREDENTIALS,
});
afterAll(() => s3.destroy());

describe("multipart calls added in front of s3rver", () => {
  it("lists uploaded parts in order, then aborts the upload", async () => {
    const Key = "multipart/list-parts.bin";
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    for (const PartNumber of [2, 1]) {
      await s3.send(
        new UploadPartCommand({
          Bucket,
          Key,
          UploadId,
          PartNumber,
          Body: Buffer.alloc(PartNumber * 100, PartNumber),
        }),
      );
    }
    const listed = await s3.send(new ListPartsCommand({ Bucket, Key, UploadId }));
    expect(listed.Parts?.map((p) => [p.PartNumber, p.Size])).toEqual([
      [1, 100],
      [2, 200],
    ]);
    expect(listed.Parts?.every((p) => /^"[0-9a-f]{32}"$/.test(p.ETag ?? ""))).toBe(true);

    await s3.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId }));
    await expect(s3.send(new ListPartsCommand({ Bucket, Key, UploadId }))).rejects.toMatchObject({
      name: "NoSuchUpload",
    });
  });
});
