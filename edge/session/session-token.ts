import { sign, verify } from "hono/jwt";
import * as v from "valibot";
import { RegionSchema, UserIdSchema } from "../../contracts/session.schema";

/** Who is calling: carried in a signed, expiring token, never taken from the request itself. */
export interface Session {
  userId: string;
  region: string;
  sessionId: string;
  expiresAt: number;
}

const ClaimsSchema = v.object({
  sub: UserIdSchema,
  region: RegionSchema,
  sid: v.string(),
  exp: v.number(),
});

export const SESSION_TTL_SECONDS = 7 * 24 * 3600;

/** HS256 JWT over the user, region and session id; `exp` makes it expire. */
export async function issueSessionToken(
  secret: string,
  claims: { userId: string; region: string },
  now = Math.floor(Date.now() / 1000),
): Promise<{ token: string; session: Session }> {
  const session: Session = {
    userId: claims.userId,
    region: claims.region,
    sessionId: crypto.randomUUID(),
    expiresAt: now + SESSION_TTL_SECONDS,
  };
  const token = await sign(
    {
      sub: session.userId,
      region: session.region,
      sid: session.sessionId,
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
      expiresAt: claims.exp,
    };
  } catch {
    return null;
  }
}
