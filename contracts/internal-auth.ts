/**
 * The header that carries ORIGIN_SHARED_SECRET on every internal edge → origin call: the UserFeed
 * object's `POST /v1/rank`, the edge's `POST /internal/feed/refresh`, media pulls from
 * `GET /media/*` and the tus proxy to `/uploads/*`. The origin refuses any request without it.
 */
export const INTERNAL_AUTH_HEADER = "x-edgefeed-internal";

/**
 * Whether a presented secret equals the expected one, in time that depends only on the presented
 * one's length: the loop never stops early and never runs to the expected one's length, so
 * neither where they differ nor how long the secret is leaks. Used by every secret check: internal
 * calls at the origin, the admin token at the edge, the dev bridge's bearer token. Plain string
 * arithmetic, so it is the same function in workerd, Node and the browser.
 */
export function sameSecret(given: string, expected: string): boolean {
  let difference = given.length ^ expected.length;
  for (let i = 0; i < given.length; i++) {
    // Past the end (or for an empty secret) charCodeAt gives NaN, which `^` treats as 0; the
    // length check above has already told them apart.
    difference |= given.charCodeAt(i) ^ expected.charCodeAt(i % expected.length);
  }
  return difference === 0;
}

/** The token of an `Authorization: Bearer <token>` header, or undefined for any other header. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1];
}
