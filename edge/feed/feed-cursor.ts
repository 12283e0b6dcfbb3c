/**
 * `next_cursor`: base64url(JSON {u, p}) + "." + base64url(HMAC-SHA256). `u` binds the cursor to
 * its user, `p` is the page it points after. The MAC input is prefixed with a purpose label so a
 * cursor can never be mistaken for any other value signed with SIGNING_SECRET.
 */
const PURPOSE = "edgefeed.feed-cursor.v1.";

export interface CursorClaims {
  userId: string;
  pageId: string;
}

const encoder = new TextEncoder();

/**
 * The imported key per secret, kept for the isolate's life: importing it cost more than the MAC
 * itself, twice per feed page. A rotated secret is a new entry; the map holds one or two.
 */
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      encoder.encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    keys.set(secret, key);
  }
  return key;
}

export async function signCursor(secret: string, claims: CursorClaims): Promise<string> {
  const payload = base64url(encoder.encode(JSON.stringify({ u: claims.userId, p: claims.pageId })));
  const mac = await crypto.subtle.sign(
    "HMAC",
    await hmacKey(secret),
    encoder.encode(PURPOSE + payload),
  );
  return `${payload}.${base64url(new Uint8Array(mac))}`;
}

/** The cursor's claims when its MAC verifies (constant-time, by WebCrypto), else null. */
export async function verifyCursor(secret: string, cursor: string): Promise<CursorClaims | null> {
  const [payload, mac, ...rest] = cursor.split(".");
  if (!payload || !mac || rest.length > 0) return null;
  const signature = fromBase64url(mac);
  if (!signature) return null;
  const valid = await crypto.subtle.verify(
    "HMAC",
    await hmacKey(secret),
    signature,
    encoder.encode(PURPOSE + payload),
  );
  if (!valid) return null;
  const json = fromBase64url(payload);
  try {
    const raw: unknown = JSON.parse(new TextDecoder().decode(json ?? new Uint8Array()));
    if (
      typeof raw === "object" &&
      raw !== null &&
      "u" in raw &&
      "p" in raw &&
      typeof raw.u === "string" &&
      typeof raw.p === "string"
    ) {
      return { userId: raw.u, pageId: raw.p };
    }
  } catch {
    // A payload the key signed always parses; falling through only guards a key compromise.
  }
  return null;
}

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array<ArrayBuffer> | null {
  try {
    const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
}
