import { sign, verify } from "hono/jwt";
import * as v from "valibot";
import { RegionSchema, UserIdSchema } from "../../contracts/session.schema";

/** Who is calling: carried in a signed, expiring token, never taken from the request itself. */
export interface Session {
  userId: string;
  region: string;
  /** The sign-in (refresh-token family) this access token belongs to; signing out ends it. */
  sessionId: string;
  /** Signed in with a passkey, not only an anonymous viewer. */
  account: boolean;
  expiresAt: number;
}

const ClaimsSchema = v.object({
  sub: UserIdSchema,
  region: RegionSchema,
  sid: v.string(),
  acct: v.optional(v.boolean(), false),
  exp: v.number(),
});

/**
 * Access tokens live minutes: the feed and event paths trust them without a lookup, so this is
 * how long a signed-out token keeps reading a feed. Uploads also check the sign-in is live.
 */
export const ACCESS_TTL_SECONDS = 15 * 60;

export interface TokenClaims {
  userId: string;
  region: string;
  sessionId?: string;
  account?: boolean;
}

/** HS256 JWT over the user, region, sign-in and account flag; `exp` makes it expire. */
export async function issueSessionToken(
  secret: string,
  claims: TokenClaims,
  now = Math.floor(Date.now() / 1000),
): Promise<{ token: string; session: Session }> {
  const session: Session = {
    userId: claims.userId,
    region: claims.region,
    sessionId: claims.sessionId ?? crypto.randomUUID(),
    account: claims.account ?? false,
    expiresAt: now + ACCESS_TTL_SECONDS,
  };
  const token = await sign(
    {
      sub: session.userId,
      region: session.region,
      sid: session.sessionId,
      acct: session.account,
      iat: now,
      exp: session.expiresAt,
    },
    secret,
    "HS256",
  );
  return { token, session };
}

/** The session a token stands for, or null when it is forged, altered, expired or malformed. */
export async function verifySessionToken(secret: string, token: string): Promise<Session | null> {
  try {
    const claims = v.parse(ClaimsSchema, await verify(token, secret, "HS256"));
    return {
      userId: claims.sub,
      region: claims.region,
      sessionId: claims.sid,
      account: claims.acct,
      expiresAt: claims.exp,
    };
  } catch {
    return null;
  }
}
