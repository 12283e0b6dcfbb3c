import type { SessionResponse } from "../../contracts/session.schema";
import { issueSessionToken } from "./session-token";
import type { SignIn } from "./sign-ins";

/** What every route that signs someone in answers: an access token and the next refresh token. */
export async function sessionResponse(
  secret: string,
  signIn: SignIn,
  refreshToken: string,
): Promise<SessionResponse> {
  const { token, session } = await issueSessionToken(secret, {
    userId: signIn.userId,
    region: signIn.region,
    sessionId: signIn.familyId,
    account: signIn.account,
  });
  return {
    token,
    refresh_token: refreshToken,
    user_id: session.userId,
    region: session.region,
    session_id: session.sessionId,
    account: session.account,
    expires_at: new Date(session.expiresAt * 1000).toISOString(),
  };
}
