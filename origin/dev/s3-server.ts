import { mkdirSync } from "node:fs";
import S3rver from "s3rver";

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
  const server = new S3rver({
    address: "127.0.0.1",
    port: options.port ?? 0,
    directory: options.directory,
    silent: true,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [] })),
  });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () => server.close(),
  };
}
