import type { Redis } from "@upstash/redis/cloudflare";
import { AuthKeys } from "../../contracts/keyspace";
import { randomToken, sha256Hex } from "../../worker-lib/secret-token";

/** A sign-in lasts this long without a refresh; each refresh extends it. */
export const SIGN_IN_TTL_SECONDS = 30 * 24 * 3600;

/** One sign-in of one user on one device: a family of refresh tokens, one current at a time. */
export interface SignIn {
  familyId: string;
  userId: string;
  region: string;
  account: boolean;
}

export type Rotation =
  | { ok: true; signIn: SignIn; refreshToken: string }
  | { ok: false; reason: "unknown" | "reused" };

// The current token's hash is compared and replaced in one step, so two refreshes racing with
// the same token cannot both succeed: the loser is a reuse and ends the family.
const ROTATE_LUA = `
local current = redis.call('HGET', KEYS[1], 'current')
if not current then return {0} end
if current ~= ARGV[1] then
  redis.call('DEL', KEYS[1])
  return {-1}
end
redis.call('HSET', KEYS[1], 'current', ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[3])
local fields = redis.call('HMGET', KEYS[1], 'user', 'region', 'account')
return {1, fields[1], fields[2], fields[3]}
`;

/** A user id no client chose: 16 url-safe characters of randomness. */
export function mintUserId(): string {
  return `u-${randomToken(12)}`;
}

/**
 * Refresh tokens, stored only as hashes: `{family}.{secret}`, where the family names the sign-in.
 * Rotation hands out the next token and retires the last; presenting a retired one means it was
 * copied, so the whole family is revoked (the thief's copy and the owner's alike).
 */
export class SignIns {
  constructor(private readonly redis: Redis) {}

  async start(claims: Omit<SignIn, "familyId">): Promise<{ signIn: SignIn; refreshToken: string }> {
    const familyId = crypto.randomUUID();
    const refreshToken = `${familyId}.${randomToken(32)}`;
    await this.redis
      .multi()
      .hset(AuthKeys.family(familyId), {
        user: claims.userId,
        region: claims.region,
        account: claims.account ? "1" : "0",
        current: await sha256Hex(refreshToken),
      })
      .expire(AuthKeys.family(familyId), SIGN_IN_TTL_SECONDS)
      .exec();
    return { signIn: { familyId, ...claims }, refreshToken };
  }

  async rotate(refreshToken: string): Promise<Rotation> {
    const familyId = refreshToken.slice(0, refreshToken.indexOf("."));
    const next = `${familyId}.${randomToken(32)}`;
    const [status, user, region, account] = await this.redis
      .createScript<(string | number | null)[]>(ROTATE_LUA)
      .exec(
        [AuthKeys.family(familyId)],
        [await sha256Hex(refreshToken), await sha256Hex(next), String(SIGN_IN_TTL_SECONDS)],
      );
    if (Number(status) === 0) return { ok: false, reason: "unknown" };
    if (Number(status) === -1) return { ok: false, reason: "reused" };
    return {
      ok: true,
      signIn: {
        familyId,
        userId: String(user),
        region: String(region),
        account: String(account) === "1",
      },
      refreshToken: next,
    };
  }

  async end(familyId: string): Promise<void> {
    await this.redis.del(AuthKeys.family(familyId));
  }

  async isLive(familyId: string): Promise<boolean> {
    return (await this.redis.exists(AuthKeys.family(familyId))) === 1;
  }
}
