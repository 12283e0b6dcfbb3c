import { PutObjectCommand } from "@aws-sdk/client-s3";
import { MEDIA_FIXTURES } from "../../testing/contracts/media.fixtures";
import type { S3Config } from "../config/config";
import { createS3Client } from "../storage/s3.client";

/**
 * Uploads the fixture HLS objects of `contracts/media.fixtures.ts` (video `fixture-origin`) to the
 * S3 store. The test stack runs this once so workerd tests can reach them only by origin-pull.
 */
export async function uploadMediaFixtures(config: S3Config): Promise<void> {
  const s3 = createS3Client(config);
  try {
    await Promise.all(
      MEDIA_FIXTURES.map((fixture) =>
        s3.send(
          new PutObjectCommand({
            Bucket: config.bucket,
            Key: fixture.key,
            Body: fixture.body,
            ContentType: fixture.contentType,
          }),
        ),
      ),
    );
  } finally {
    s3.destroy();
  }
}
