import { Redis } from "@upstash/redis/cloudflare";

export type RedisEnv = Pick<Env, "UPSTASH_REDIS_REST_URL" | "UPSTASH_REDIS_REST_TOKEN">;

/**
 * The edge reaches Redis only over HTTP: Upstash in production, the origin's REST bridge
 * locally. Retries are off because every caller on the serve path has its own fallback and
 * must not wait through the client's exponential backoff.
 */
export function redisFromEnv(env: RedisEnv): Redis {
  return new Redis({
    url: env.UPSTASH_REDIS_REST_URL,
    token: env.UPSTASH_REDIS_REST_TOKEN,
    retry: false,
  });
}
