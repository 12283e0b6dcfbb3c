import { Redis } from "@upstash/redis/cloudflare";

export type RedisEnv = Pick<Env, "UPSTASH_REDIS_REST_URL" | "UPSTASH_REDIS_REST_TOKEN">;

/**
 * The edge reaches Redis only over HTTP: Upstash in production, the origin's REST bridge
 * locally. Retries are off because every caller on the serve path has its own fallback and
 * must not wait through the client's exponential backoff.
 */
export function redisFromEnv(env: RedisEnv): Redis {
  return new Redis(connection(env));
}

/**
 * The same client without the conveniences the serve path pays for on every reply: base64
 * response encoding (decoded string by string) and automatic deserialization (a JSON.parse tried,
 * and mostly thrown, on every string). Replies arrive as Redis sends them: HGETALL and HMGET as
 * flat arrays, numbers as strings. The UserFeed object's reads took ~2 ms a page with both on.
 */
export function rawRedisFromEnv(env: RedisEnv): Redis {
  return new Redis({
    ...connection(env),
    responseEncoding: false,
    automaticDeserialization: false,
  });
}

function connection(env: RedisEnv) {
  return {
    url: env.UPSTASH_REDIS_REST_URL,
    token: env.UPSTASH_REDIS_REST_TOKEN,
    retry: false as const,
  };
}
