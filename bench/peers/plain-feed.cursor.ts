// The feed peer's cursor: edge/feed/feed-cursor.ts's format and work (HMAC-SHA256 by WebCrypto,
// importing the key per call, over the same purpose-labelled payload), so a cursor costs the peer
// what it costs the edge. A copy, not an import: that module runs on Node, but its base64url
// decoder returns a Uint8Array<ArrayBufferLike>, which the DOM lib of the Node programs
// (bench/tsconfig.json) refuses as a BufferSource, and the bench does not edit edge/ code.

import { sameSecret } from "../../contracts/internal-auth";

const PURPOSE = "edgefeed.feed-cursor.v1.";
const encoder = new TextEncoder();

async function mac(secret: string, payload: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const signature = await crypto.subtle.sign("HMAC", key, encoder.encode(PURPOSE + payload));
  return Buffer.from(signature).toString("base64url");
}

export async function signCursor(
  secret: string,
  claims: { userId: string; pageId: string },
): Promise<string> {
  const payload = Buffer.from(JSON.stringify({ u: claims.userId, p: claims.pageId })).toString(
    "base64url",
  );
  return `${payload}.${await mac(secret, payload)}`;
}

/** The cursor's claims when its MAC matches (compared in constant time), else null. */
export async function verifyCursor(
  secret: string,
  cursor: string,
): Promise<{ userId: string; pageId: string } | null> {
  const [payload, given, ...rest] = cursor.split(".");
  if (!payload || !given || rest.length > 0) return null;
  if (!sameSecret(given, await mac(secret, payload))) return null;
  const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  if (typeof claims !== "object" || claims === null || !("u" in claims) || !("p" in claims)) {
    return null;
  }
  const { u, p } = claims;
  return typeof u === "string" && typeof p === "string" ? { userId: u, pageId: p } : null;
}
