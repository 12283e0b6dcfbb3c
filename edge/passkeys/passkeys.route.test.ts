import { describe, expect, it } from "vitest";
import type { SessionResponse } from "../../contracts/session.schema";
import { account, anonymous, EDGE, post } from "../../testing/edge/sessions.testing";
import { SoftwareAuthenticator } from "../../testing/edge/software.authenticator";

type Options<T extends "register" | "assert"> = Parameters<SoftwareAuthenticator[T]>[0];

async function signInOptions(): Promise<{ challenge_id: string; options: Options<"assert"> }> {
  return (await (await post("/v1/passkeys/sign-in/options", {})).json()) as {
    challenge_id: string;
    options: Options<"assert">;
  };
}

const errorOf = async (response: Response) =>
  ((await response.json()) as { error: { code: string; message: string } }).error;

describe("passkeys", () => {
  it("turns an anonymous viewer into an account under the same user id", async () => {
    const { session, anonymous: before } = await account();
    expect(session).toMatchObject({ user_id: before.user_id, account: true });
    expect(session.session_id).not.toBe(before.session_id);
    // The anonymous sign-in ended with the registration.
    const old = await post("/v1/sessions/refresh", { refresh_token: before.refresh_token });
    expect(old.status).toBe(401);
  });

  it("signs the account in on another device as the same user", async () => {
    const { session, authenticator } = await account();
    const { challenge_id, options } = await signInOptions();
    const credential = await authenticator.assert(options, EDGE);
    const signedIn = await post("/v1/passkeys/sign-in", { challenge_id, credential, region: "us" });
    expect(signedIn.status).toBe(201);
    expect(await signedIn.json()).toMatchObject({
      user_id: session.user_id,
      region: "us",
      account: true,
    } satisfies Partial<SessionResponse>);
    // A challenge is single-use: the same answer again is refused.
    const replayed = await post("/v1/passkeys/sign-in", { challenge_id, credential, region: "us" });
    expect(replayed.status).toBe(400);
    expect((await errorOf(replayed)).message).toMatch(/^challenge_id: unknown, used or expired/);
  });

  it("refuses an answer for another site, an unknown passkey and a forged signature", async () => {
    const { authenticator } = await account();
    const phishing = await signInOptions();
    const elsewhere = await authenticator.assert(phishing.options, "http://evil.test");
    const refused = await post("/v1/passkeys/sign-in", {
      challenge_id: phishing.challenge_id,
      credential: elsewhere,
      region: "eu",
    });
    expect(refused.status).toBe(400);
    const wrongSite = await errorOf(refused);
    expect(wrongSite.code).toBe("AUTH.PASSKEY_INVALID");
    expect(wrongSite.message).toMatch(/^credential: .*origin/i);

    const stranger = await SoftwareAuthenticator.create();
    const unknown = await signInOptions();
    const unknownAnswer = await post("/v1/passkeys/sign-in", {
      challenge_id: unknown.challenge_id,
      credential: await stranger.assert(unknown.options, EDGE),
      region: "eu",
    });
    expect((await errorOf(unknownAnswer)).message).toBe(
      "credential.id: no account has this passkey",
    );

    // The stranger's key signs for the registered credential id: the signature does not verify.
    const forged = await signInOptions();
    const answer = await stranger.assert(forged.options, EDGE);
    const impostor = { ...answer, id: authenticator.id, rawId: authenticator.id };
    const forgedAnswer = await post("/v1/passkeys/sign-in", {
      challenge_id: forged.challenge_id,
      credential: impostor,
      region: "eu",
    });
    expect(forgedAnswer.status).toBe(400);
    expect((await errorOf(forgedAnswer)).code).toBe("AUTH.PASSKEY_INVALID");
  });

  it("names a malformed credential and needs a session to register", async () => {
    const viewer = await anonymous();
    const bad = await post(
      "/v1/passkeys/register",
      { challenge_id: crypto.randomUUID(), credential: { id: "x", rawId: "x", type: "password" } },
      viewer.token,
    );
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).message).toMatch(/^credential\.type: /);
    expect((await post("/v1/passkeys/register/options", {})).status).toBe(401);
  });

  it("refuses uploads from anonymous viewers with 403", async () => {
    const viewer = await anonymous();
    const response = await post("/v1/uploads", {}, viewer.token);
    expect(response.status).toBe(403);
    expect((await errorOf(response)).code).toBe("AUTH.ACCOUNT_REQUIRED");
  });
});
