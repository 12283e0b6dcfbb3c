import { randomUUID } from "node:crypto";
import fc from "fast-check";
import type { Hono } from "hono";
import type { Redis } from "ioredis";
import { expect } from "vitest";
import { INTERNAL_AUTH_HEADER } from "../../../contracts/internal-auth";

/** What UserIdSchema and RegionSchema accept, restated so a loosened contract fails the fuzz. */
export const VALID_USER_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const VALID_REGION = /^[a-z]{2,8}(-[a-z0-9]{1,8})?$/;

/** A per-run key prefix and a token every generated id carries, so runs never collide. */
export function fuzzRun(name: string) {
  const token = `fz${randomUUID().replaceAll("-", "").slice(0, 10)}`;
  return { token, prefix: `${name}-${token}-` };
}

/** User ids that carry the run's token: valid ones, and garbage around it. */
export const taggedUserId = (token: string) =>
  fc.oneof(
    fc
      .string({ unit: fc.constantFrom(..."abcXYZ019_-".split("")), maxLength: 20 })
      .map((tail) => `${token}${tail}`),
    fc
      .constantFrom("../../\u0000x", ":", "*", " ", "/", "\r\n", "é", "{", "x".repeat(70))
      .map((garbage) => `${token}${garbage}`),
  );

export const validRegion = fc.oneof(
  fc.constantFrom("eu", "us-east", "ap-south1"),
  fc.stringMatching(/^[a-z]{2,8}(-[a-z0-9]{1,8})?$/),
);

/**
 * The internal secret header as the fuzz sends it: right, missing, wrong, near-right. Header
 * values are printable ASCII; anything else is refused by `new Request` before any route runs.
 */
export function secretHeader(secret: string) {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant<string | undefined>(secret) },
    fc.constant<string | undefined>(undefined),
    fc.constantFrom(
      "",
      secret.slice(0, -1),
      `${secret}x`,
      secret.toUpperCase(),
      `${secret},${secret}`,
      "\t",
    ),
    fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)) }),
  );
}

/** Whether the origin should take a header value as the secret: Headers trims what it is given. */
export const isSecret = (given: string | undefined, secret: string) => given?.trim() === secret;

export function postJson(
  app: Hono,
  path: string,
  body: string,
  secret: string | undefined,
  contentType: string | undefined = "application/json",
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (secret !== undefined) headers[INTERNAL_AUTH_HEADER] = secret;
  if (contentType !== undefined) headers["content-type"] = contentType;
  return Promise.resolve(app.request(path, { method: "POST", headers, body }));
}

/**
 * The keys, members and fields the run left under its prefix (and anywhere with its token) must
 * all name valid users and regions: an invalid one would mean garbage reached a key name.
 */
export async function expectOnlyValidIds(redis: Redis, prefix: string, token: string) {
  const keys = new Set<string>();
  for (const pattern of [`${prefix}*`, `*${token}*`]) {
    let cursor = "0";
    do {
      const [next, batch] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      for (const key of batch) keys.add(key);
      cursor = next;
    } while (cursor !== "0");
  }
  const fixed = new Set(["ranker:due", "ranker:active", "ranker:regions", "ranker:region-set"]);
  for (const key of keys) {
    const local = key.startsWith(prefix) ? key.slice(prefix.length) : key;
    if (fixed.has(local)) continue;
    const coalesce = /^ranker:coalesce:(.*)$/s.exec(local);
    expect(coalesce, `unexpected key ${JSON.stringify(key)}`).not.toBeNull();
    expect(coalesce?.[1], `key ${JSON.stringify(key)}`).toMatch(VALID_USER_ID);
  }
  for (const zset of ["ranker:due", "ranker:active"]) {
    for (const member of await redis.zrange(`${prefix}${zset}`, 0, -1)) {
      expect(member, `${zset} member`).toMatch(VALID_USER_ID);
    }
  }
  const regions = await redis.hgetall(`${prefix}ranker:regions`);
  for (const [user, region] of Object.entries(regions)) {
    expect(user, "ranker:regions field").toMatch(VALID_USER_ID);
    expect(region, "ranker:regions value").toMatch(VALID_REGION);
  }
  for (const region of await redis.smembers(`${prefix}ranker:region-set`)) {
    expect(region, "ranker:region-set member").toMatch(VALID_REGION);
  }
  return keys.size;
}
