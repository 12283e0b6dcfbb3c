import type { AuthenticationResponseJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from "@simplewebauthn/server";
import { type Context, Hono } from "hono";
import { ErrorCode } from "../../contracts/error.schema";
import {
  PasskeyRegisterRequestSchema,
  PasskeySignInRequestSchema,
} from "../../contracts/session.schema";
import { redisFromEnv } from "../../worker-lib/redis.client";
import { jsonError } from "../http/errors";
import { readJsonBody } from "../http/json-body";
import { refuseOverMintBudget } from "../session/mint-limit";
import { requireSession, type SessionVariables } from "../session/require-session";
import { sessionResponse } from "../session/session-response";
import { SignIns } from "../session/sign-ins";
import { PasskeyStore } from "./passkey-store";

type PasskeysEnv = { Bindings: Env; Variables: SessionVariables };

const MAX_BODY_BYTES = 16 * 1024;
const RP_NAME = "edgefeed";

/** The relying party is the site the viewer is on: its host is the RP ID, its origin the origin. */
function relyingParty(c: Context): { rpID: string; origin: string } {
  const url = new URL(c.req.url);
  return { rpID: url.hostname, origin: url.origin };
}

function invalid(c: Context, message: string): Response {
  return jsonError(c, 400, ErrorCode.PasskeyInvalid, message);
}

/**
 * Passkeys (WebAuthn, `@simplewebauthn/server`). An anonymous viewer registers one and becomes a
 * named account under the same user id, so their history and seen-filter stay theirs; signing in
 * with it on another device starts a new sign-in for that user. Each ceremony is two calls:
 * `…/options` hands out a single-use challenge, the second call verifies the authenticator's answer.
 */
export const passkeysRoute = new Hono<PasskeysEnv>()
  .post("/v1/passkeys/register/options", requireSession({ live: true }), async (c) => {
    const { rpID } = relyingParty(c);
    const store = new PasskeyStore(redisFromEnv(c.env));
    const userId = c.var.session.userId;
    const options = await generateRegistrationOptions({
      rpName: RP_NAME,
      rpID,
      userName: userId,
      userID: new Uint8Array(new TextEncoder().encode(userId)),
      attestationType: "none",
      excludeCredentials: (await store.credentialIds(userId)).map((id) => ({ id })),
      authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
    });
    const challengeId = await store.putChallenge({
      purpose: "register",
      challenge: options.challenge,
      userId,
    });
    return c.json({ challenge_id: challengeId, options });
  })
  .post("/v1/passkeys/register", requireSession({ live: true }), async (c) => {
    const body = await readJsonBody(c, PasskeyRegisterRequestSchema, MAX_BODY_BYTES);
    if (!body.ok) return body.response;
    const redis = redisFromEnv(c.env);
    const store = new PasskeyStore(redis);
    const session = c.var.session;
    const ceremony = await store.takeChallenge(body.value.challenge_id);
    if (ceremony?.purpose !== "register" || ceremony.userId !== session.userId) {
      return invalid(c, "challenge_id: unknown, used or expired; ask for new options");
    }
    const { rpID, origin } = relyingParty(c);
    let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verified = await verifyRegistrationResponse({
        response: body.value.credential as unknown as RegistrationResponseJSON,
        expectedChallenge: ceremony.challenge,
        expectedOrigin: origin,
        expectedRPID: rpID,
        requireUserVerification: false,
      });
    } catch (error) {
      return invalid(c, `credential: ${error instanceof Error ? error.message : "not verified"}`);
    }
    if (!verified.verified) return invalid(c, "credential: not verified");
    await store.add(session.userId, verified.registrationInfo.credential);
    // The anonymous sign-in ends and an account sign-in for the same user replaces it.
    const signIns = new SignIns(redis);
    await signIns.end(session.sessionId);
    const { signIn, refreshToken } = await signIns.start({
      userId: session.userId,
      region: session.region,
      account: true,
    });
    return c.json(await sessionResponse(c.env.SIGNING_SECRET, signIn, refreshToken), 201);
  })
  .post("/v1/passkeys/sign-in/options", async (c) => {
    const refused = await refuseOverMintBudget(c);
    if (refused) return refused;
    const { rpID } = relyingParty(c);
    const options = await generateAuthenticationOptions({ rpID, userVerification: "preferred" });
    const challengeId = await new PasskeyStore(redisFromEnv(c.env)).putChallenge({
      purpose: "sign-in",
      challenge: options.challenge,
    });
    return c.json({ challenge_id: challengeId, options });
  })
  .post("/v1/passkeys/sign-in", async (c) => {
    const body = await readJsonBody(c, PasskeySignInRequestSchema, MAX_BODY_BYTES);
    if (!body.ok) return body.response;
    const redis = redisFromEnv(c.env);
    const store = new PasskeyStore(redis);
    const ceremony = await store.takeChallenge(body.value.challenge_id);
    if (ceremony?.purpose !== "sign-in") {
      return invalid(c, "challenge_id: unknown, used or expired; ask for new options");
    }
    const passkey = await store.get(body.value.credential.id);
    if (!passkey) return invalid(c, "credential.id: no account has this passkey");
    const { rpID, origin } = relyingParty(c);
    let verified: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
    try {
      verified = await verifyAuthenticationResponse({
        response: body.value.credential as unknown as AuthenticationResponseJSON,
        expectedChallenge: ceremony.challenge,
        expectedOrigin: origin,
        expectedRPID: rpID,
        credential: passkey.credential,
        requireUserVerification: false,
      });
    } catch (error) {
      return invalid(c, `credential: ${error instanceof Error ? error.message : "not verified"}`);
    }
    if (!verified.verified) return invalid(c, "credential: not verified");
    await store.setCounter(passkey.credential.id, verified.authenticationInfo.newCounter);
    const { signIn, refreshToken } = await new SignIns(redis).start({
      userId: passkey.userId,
      region: body.value.region,
      account: true,
    });
    return c.json(await sessionResponse(c.env.SIGNING_SECRET, signIn, refreshToken), 201);
  });
