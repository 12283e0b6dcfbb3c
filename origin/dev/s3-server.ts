import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import S3rver from "s3rver";
import { withMultipartListing } from "./s3-multipart";

export interface S3ServerOptions {
  directory: string;
  buckets: string[];
  port?: number;
}

export interface RunningS3 {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * An S3-compatible server on loopback (s3rver, objects on the local file system), so the origin
 * uses the same `@aws-sdk/client-s3` calls locally that it uses against R2's S3 endpoint.
 */
export async function startS3Server(options: S3ServerOptions): Promise<RunningS3> {
  mkdirSync(options.directory, { recursive: true });
  const s3rver = new S3rver({
    directory: options.directory,
    silent: true,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [] })),
  });
  await s3rver.configureBuckets();
  // Our own listener in front of s3rver's handler adds the multipart calls tus resumes with.
  const server = createServer(withMultipartListing(options.directory, s3rver.callback()));
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
