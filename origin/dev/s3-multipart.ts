import { readdir, readFile, rm, stat } from "node:fs/promises";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { join } from "node:path";

/**
 * s3rver 3.7.1 answers ListParts and AbortMultipartUpload with MethodNotAllowed, and
 * `@tus/s3-store` calls ListParts on every PATCH to find the offset to resume from. This handler
 * answers those two calls from the folder where s3rver keeps an open multipart upload's parts
 * (`{bucket}/._S3rver_uploads/{uploadId}/{n}` plus `{n}.md5`, written after the part) and hands
 * every other request to s3rver unchanged. Loopback development only: these two calls skip
 * s3rver's signature check.
 */
export function withMultipartListing(directory: string, s3rver: RequestListener): RequestListener {
  return (req, res) => {
    const call = multipartCall(req);
    if (!call) {
      s3rver(req, res);
      return;
    }
    const uploadDir = join(directory, call.bucket, "._S3rver_uploads", call.uploadId);
    const handled =
      req.method === "GET" ? listParts(uploadDir, call, res) : abortUpload(uploadDir, call, res);
    handled.catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  };
}

interface MultipartCall {
  bucket: string;
  key: string;
  uploadId: string;
  marker: number;
}

function multipartCall(req: IncomingMessage): MultipartCall | undefined {
  if (req.method !== "GET" && req.method !== "DELETE") return undefined;
  const url = new URL(req.url ?? "/", "http://s3.local");
  const uploadId = url.searchParams.get("uploadId");
  if (!uploadId || !/^[0-9a-f]+$/.test(uploadId)) return undefined;
  const [, bucket, ...key] = url.pathname.split("/");
  if (!bucket || key.length === 0) return undefined;
  return {
    bucket: decodeURIComponent(bucket),
    key: key.map(decodeURIComponent).join("/"),
    uploadId,
    marker: Number(url.searchParams.get("part-number-marker") ?? 0),
  };
}

async function listParts(dir: string, call: MultipartCall, res: ServerResponse): Promise<void> {
  const names = await readdir(dir).catch(() => undefined);
  if (!names) return noSuchUpload(call, res);
  // A part counts once its .md5 exists: s3rver writes that after the part's last byte.
  const numbers = names
    .filter((name) => /^[0-9]+\.md5$/.test(name))
    .map((name) => Number.parseInt(name, 10))
    .filter((n) => n > call.marker)
    .sort((a, b) => a - b);
  const parts = await Promise.all(
    numbers.map(async (n) => {
      const [info, md5] = await Promise.all([
        stat(join(dir, String(n))),
        readFile(join(dir, `${n}.md5`), "utf8"),
      ]);
      return `<Part><PartNumber>${n}</PartNumber><LastModified>${info.mtime.toISOString()}</LastModified><ETag>"${md5.trim()}"</ETag><Size>${info.size}</Size></Part>`;
    }),
  );
  const last = numbers.at(-1) ?? call.marker;
  res.writeHead(200, { "content-type": "application/xml" });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Bucket>${xml(call.bucket)}</Bucket><Key>${xml(call.key)}</Key><UploadId>${call.uploadId}</UploadId><PartNumberMarker>${call.marker}</PartNumberMarker><NextPartNumberMarker>${last}</NextPartNumberMarker><MaxParts>10000</MaxParts><IsTruncated>false</IsTruncated>${parts.join("")}</ListPartsResult>`,
  );
}

async function abortUpload(dir: string, call: MultipartCall, res: ServerResponse): Promise<void> {
  const exists = await stat(dir).then(
    () => true,
    () => false,
  );
  if (!exists) return noSuchUpload(call, res);
  await rm(dir, { recursive: true, force: true });
  res.writeHead(204);
  res.end();
}

function noSuchUpload(call: MultipartCall, res: ServerResponse): void {
  res.writeHead(404, { "content-type": "application/xml" });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified multipart upload does not exist.</Message><UploadId>${call.uploadId}</UploadId></Error>`,
  );
}

function xml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
