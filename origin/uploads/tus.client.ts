import { VIDEO_ID_HEADER } from "../../contracts/upload.schema";

/**
 * A minimal tus 1.0 client (creation, HEAD, PATCH) for the seed, the bench and the tests: it
 * speaks the same protocol a mobile client does, against the edge or the origin.
 */
export interface TusClientOptions {
  /** The collection URL, e.g. `http://127.0.0.1:8787/v1/uploads`. */
  endpoint: string;
  headers?: Record<string, string>;
}

export interface CreatedUpload {
  url: string;
  videoId: string;
}

export class TusError extends Error {
  override name = "TusError";
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`tus: HTTP ${status}: ${body.slice(0, 300)}`);
  }
}

const TUS = { "tus-resumable": "1.0.0" };

export async function createUpload(
  options: TusClientOptions,
  size: number,
  metadata: Record<string, string>,
): Promise<CreatedUpload> {
  const encoded = Object.entries(metadata)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString("base64")}`)
    .join(",");
  const response = await fetch(options.endpoint, {
    method: "POST",
    headers: {
      ...TUS,
      ...options.headers,
      "upload-length": String(size),
      ...(encoded ? { "upload-metadata": encoded } : {}),
    },
  });
  const location = response.headers.get("location");
  if (response.status !== 201 || !location) {
    throw new TusError(response.status, await response.text());
  }
  const url = new URL(location, options.endpoint).toString();
  return { url, videoId: url.slice(url.lastIndexOf("/") + 1) };
}

export async function uploadOffset(options: TusClientOptions, url: string): Promise<number> {
  const response = await fetch(url, { method: "HEAD", headers: { ...TUS, ...options.headers } });
  if (response.status !== 200) throw new TusError(response.status, "");
  return Number(response.headers.get("upload-offset"));
}

export interface PatchResult {
  offset: number;
  /** Present on the final PATCH: the video the bytes belong to (an earlier one if duplicate). */
  videoId?: string;
}

export async function patchChunk(
  options: TusClientOptions,
  url: string,
  offset: number,
  chunk: Uint8Array<ArrayBuffer>,
  signal?: AbortSignal,
): Promise<PatchResult> {
  const response = await fetch(url, {
    method: "PATCH",
    headers: {
      ...TUS,
      ...options.headers,
      "upload-offset": String(offset),
      "content-type": "application/offset+octet-stream",
    },
    body: chunk,
    ...(signal ? { signal } : {}),
  });
  if (response.status !== 204) throw new TusError(response.status, await response.text());
  const videoId = response.headers.get(VIDEO_ID_HEADER);
  return {
    offset: Number(response.headers.get("upload-offset")),
    ...(videoId ? { videoId } : {}),
  };
}

/** Uploads a whole buffer in chunks, resuming from the server's offset after any failure. */
export async function uploadFile(
  options: TusClientOptions,
  bytes: Uint8Array<ArrayBuffer>,
  metadata: Record<string, string>,
  chunkSize = 4 * 1024 * 1024,
): Promise<{ url: string; videoId: string }> {
  if (bytes.byteLength === 0) throw new TusError(400, "empty file");
  const created = await createUpload(options, bytes.byteLength, metadata);
  let offset = 0;
  let videoId = created.videoId;
  let failures = 0;
  while (offset < bytes.byteLength) {
    try {
      const result = await patchChunk(
        options,
        created.url,
        offset,
        bytes.subarray(offset, offset + chunkSize),
      );
      offset = result.offset;
      if (result.videoId) videoId = result.videoId;
    } catch (error) {
      if (++failures > 5) throw error;
      offset = await uploadOffset(options, created.url);
    }
  }
  return { url: created.url, videoId };
}
