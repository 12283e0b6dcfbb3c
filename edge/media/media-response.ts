import { ErrorCode, errorBody } from "../../contracts/error.schema";
import { IMMUTABLE_CACHE_CONTROL } from "../../contracts/media.schema";
import type { MediaHit } from "./media-store";

export const TIER_HEADER = "x-edgefeed-tier";

type ByteRange = { start: number; end: number } | "unsatisfiable" | null;

/**
 * A single `bytes=` range (RFC 9110 §14.1.2) against an object of `size` bytes. Multiple ranges
 * and malformed headers yield null, which serves the whole object, as the RFC permits.
 */
export function parseRange(header: string | null, size: number): ByteRange {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match) return null;
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return null;
  if (first === "") {
    const suffix = Number(last);
    // An empty object has no last byte to count back from (RFC 9110 §14.1.2).
    if (suffix === 0 || size === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return "unsatisfiable";
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  return end < start ? null : { start, end };
}

/** The client's response for a media hit: 200, 206 for a Range, 304 on a matching ETag, or 416. */
export function mediaResponse(request: Request, hit: MediaHit): Response {
  const headers = new Headers({
    "content-type": hit.contentType,
    "cache-control": IMMUTABLE_CACHE_CONTROL,
    "accept-ranges": "bytes",
    [TIER_HEADER]: hit.tier,
  });
  if (hit.etag) headers.set("etag", hit.etag);
  const ifNoneMatch = request.headers.get("if-none-match");
  if (hit.etag && ifNoneMatch?.split(/\s*,\s*/).includes(hit.etag)) {
    return new Response(null, { status: 304, headers });
  }
  const size = hit.body.byteLength;
  const range = parseRange(request.headers.get("range"), size);
  if (range === "unsatisfiable") {
    headers.set("content-range", `bytes */${size}`);
    // Like every other 4xx (and the origin's own 416), the refusal says why in the error shape.
    headers.set("content-type", "application/json");
    const message = `range: ${request.headers.get("range")} is outside the object's ${size} bytes`;
    return Response.json(errorBody(ErrorCode.InvalidField, message), {
      status: 416,
      headers,
    });
  }
  if (range) {
    headers.set("content-range", `bytes ${range.start}-${range.end}/${size}`);
    return new Response(hit.body.slice(range.start, range.end + 1), { status: 206, headers });
  }
  return new Response(hit.body, { status: 200, headers });
}
