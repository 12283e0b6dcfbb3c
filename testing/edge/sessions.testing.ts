import { SELF } from "cloudflare:test";
import type { SessionResponse } from "../../contracts/session.schema";
import { SoftwareAuthenticator } from "./software.authenticator";

/**
 * Sessions through the Worker as a client gets them: an anonymous viewer, and a named account made
 * by registering a passkey from a software authenticator.
 */
export const EDGE = "http://edge.test";

export async function post(path: string, body: unknown, token?: string): Promise<Response> {
  return SELF.fetch(`${EDGE}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
}

export async function anonymous(region = "eu"): Promise<SessionResponse> {
  const response = await post("/v1/sessions", { region });
  if (response.status !== 201) throw new Error(`session: ${response.status}`);
  return (await response.json()) as SessionResponse;
}

/** An anonymous viewer who then registers a passkey: the account session and its authenticator. */
export async function account(region = "eu"): Promise<{
  session: SessionResponse;
  authenticator: SoftwareAuthenticator;
  anonymous: SessionResponse;
}> {
  const first = await anonymous(region);
  const authenticator = await SoftwareAuthenticator.create();
  const options = (await (await post("/v1/passkeys/register/options", {}, first.token)).json()) as {
    challenge_id: string;
    options: Parameters<SoftwareAuthenticator["register"]>[0];
  };
  const credential = await authenticator.register(options.options, EDGE);
  const registered = await post(
    "/v1/passkeys/register",
    { challenge_id: options.challenge_id, credential },
    first.token,
  );
  if (registered.status !== 201) {
    throw new Error(`passkey register: ${registered.status} ${await registered.text()}`);
  }
  return { session: (await registered.json()) as SessionResponse, authenticator, anonymous: first };
}
