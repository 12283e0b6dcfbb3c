import * as fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  anyBody,
  applyMutation,
  badAuthorization,
  expectContract,
  fuzz,
  hostileString,
  type Mutation,
  notAString,
  request,
  stringNotMatching,
  timeoutFor,
  wrongValue,
} from "../../testing/edge/fuzz.testing";
import { account, anonymous, EDGE } from "../../testing/edge/sessions.testing";
import { SoftwareAuthenticator } from "../../testing/edge/software.authenticator";

type Options<T extends "register" | "assert"> = Parameters<SoftwareAuthenticator[T]>[0];

const REGION = /^[a-z]{2,8}(-[a-z0-9]{1,8})?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BOUNDS = { numRuns: 100, timeLimitMs: 12_000 };

const json = (token?: string) => ({
  "content-type": "application/json",
  authorization: token ? `Bearer ${token}` : undefined,
});

async function options<T extends "register" | "assert">(
  path: string,
  token?: string,
): Promise<{ challenge_id: string; options: Options<T> }> {
  const response = await request("POST", path, { headers: json(token), body: "{}" });
  expect(response.status).toBe(200);
  return (await response.json()) as { challenge_id: string; options: Options<T> };
}

/** Base64url that is not what the authenticator signed: decodes, but verifies as nothing. */
const base64urlGarbage = fc
  .base64String({ minLength: 4, maxLength: 200 })
  .map((s) => s.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""));

interface Broken {
  mutation: Mutation;
  /** What the refusal's message must name. */
  field: string;
}

/** Mutations of a real credential body, each invalid at a known place, and the name it must get. */
function brokenAt(
  deepFields: string[],
  extra: Record<string, fc.Arbitrary<unknown>>,
): fc.Arbitrary<Broken> {
  const wrong = (path: string, value: fc.Arbitrary<unknown>, field = path) =>
    value.map((v): Broken => ({ mutation: { path, kind: "wrong", value: v }, field }));
  const missing = (path: string): fc.Arbitrary<Broken> =>
    fc.constant({ mutation: { path, kind: "missing" }, field: path });
  return fc.oneof(
    wrong("challenge_id", fc.oneof(notAString, stringNotMatching(UUID))),
    // Well-formed, but no options call handed it out.
    wrong("challenge_id", fc.uuid()),
    missing("challenge_id"),
    wrong(
      "credential",
      wrongValue.filter((x) => typeof x !== "object" || x === null || Array.isArray(x)),
    ),
    missing("credential"),
    wrong("credential.id", fc.oneof(notAString, fc.string({ minLength: 1025, maxLength: 1100 }))),
    wrong("credential.rawId", notAString),
    wrong(
      "credential.type",
      fc.oneof(
        notAString,
        hostileString.filter((s) => s !== "public-key"),
      ),
    ),
    wrong("credential.response", fc.oneof(fc.constant(null), hostileString, fc.integer())),
    wrong("credential.response.clientDataJSON", notAString),
    // Past the schema, into @simplewebauthn: the message names the credential as a whole.
    ...deepFields.map((path) =>
      wrong(path, fc.oneof(base64urlGarbage, hostileString), "credential"),
    ),
    ...Object.entries(extra).map(([path, value]) => wrong(path, value)),
  );
}

let viewer: string;

describe("passkey routes under fuzz", () => {
  beforeAll(async () => {
    viewer = (await anonymous()).token;
  });

  it(
    "POST /v1/passkeys/register/options refuses bad tokens and answers any body within the contract",
    async () => {
      await fuzz(
        "POST /v1/passkeys/register/options",
        fc.tuple(fc.oneof(badAuthorization, fc.constant("viewer")), anyBody),
        async ([authorization, body]) => {
          const headers = authorization === "viewer" ? json(viewer) : { ...json(), authorization };
          const response = await request("POST", "/v1/passkeys/register/options", {
            headers,
            body,
          });
          if (authorization === "viewer") {
            expect(response.status).toBe(200);
            await response.arrayBuffer();
          } else {
            expect(response.status).toBe(401);
            await expectContract(response, "authorization");
          }
        },
        { numRuns: 100, timeLimitMs: 8_000 },
      );
    },
    timeoutFor(8_000),
  );

  it(
    "POST /v1/passkeys/register refuses every broken registration, naming what broke",
    async () => {
      const authenticator = await SoftwareAuthenticator.create();
      const broken = brokenAt(
        ["credential.response.clientDataJSON", "credential.response.attestationObject"],
        {},
      );
      const extraKey = fc
        .string({ minLength: 1, maxLength: 10 })
        // A dot would read as a path into the body; the key must stay one top-level key.
        .filter((k) => !k.includes(".") && !["challenge_id", "credential", "__proto__"].includes(k))
        .map((key): Broken => ({ mutation: { path: key, kind: "wrong", value: 1 }, field: key }));
      await fuzz(
        "POST /v1/passkeys/register",
        fc.oneof(
          anyBody.map((raw) => ({ raw, broken: null })),
          fc.oneof(broken, extraKey).map((b) => ({ raw: null, broken: b })),
        ),
        async ({ raw, broken: b }) => {
          let body = raw;
          if (b) {
            const given = await options<"register">("/v1/passkeys/register/options", viewer);
            const credential = await authenticator.register(given.options, EDGE);
            body = JSON.stringify(
              applyMutation({ challenge_id: given.challenge_id, credential }, b.mutation),
            );
          }
          const response = await request("POST", "/v1/passkeys/register", {
            headers: json(viewer),
            body: body ?? "",
          });
          expect(response.status).toBeGreaterThanOrEqual(400);
          await expectContract(response, b?.field);
        },
        BOUNDS,
      );
    },
    timeoutFor(BOUNDS.timeLimitMs),
  );

  it(
    "POST /v1/passkeys/sign-in/options answers any body and header with a challenge",
    async () => {
      await fuzz(
        "POST /v1/passkeys/sign-in/options",
        fc.tuple(anyBody, badAuthorization),
        async ([body, authorization]) => {
          const response = await request("POST", "/v1/passkeys/sign-in/options", {
            headers: { ...json(), authorization },
            body,
          });
          expect(response.status).toBe(200);
          expect(await response.json()).toMatchObject({
            challenge_id: expect.stringMatching(UUID),
          });
        },
        { numRuns: 100, timeLimitMs: 8_000 },
      );
    },
    timeoutFor(8_000),
  );

  it(
    "POST /v1/passkeys/sign-in refuses every broken assertion, naming what broke",
    async () => {
      const { authenticator } = await account();
      const broken = brokenAt(
        [
          "credential.response.clientDataJSON",
          "credential.response.authenticatorData",
          "credential.response.signature",
        ],
        {
          region: fc.oneof(notAString, stringNotMatching(REGION)),
          // A credential id no account registered.
          "credential.id": fc.oneof(
            base64urlGarbage.map((id) => `fz${id}`),
            hostileString.filter((id) => id.length > 0),
          ),
        },
      );
      await fuzz(
        "POST /v1/passkeys/sign-in",
        fc.oneof(
          anyBody.map((raw) => ({ raw, broken: null as Broken | null, valid: false })),
          broken.map((b) => ({ raw: null, broken: b as Broken | null, valid: false })),
          // The unbroken answer signs in: the mutations above are what the refusals are about.
          fc.constant({ raw: null, broken: null as Broken | null, valid: true }),
        ),
        async ({ raw, broken: b, valid }) => {
          let body = raw;
          if (b || valid) {
            const given = await options<"assert">("/v1/passkeys/sign-in/options");
            const credential = await authenticator.assert(given.options, EDGE);
            const answer = { challenge_id: given.challenge_id, credential, region: "eu" };
            body = JSON.stringify(b ? applyMutation(answer, b.mutation) : answer);
          }
          const response = await request("POST", "/v1/passkeys/sign-in", {
            headers: json(),
            body: body ?? "",
          });
          if (valid) {
            expect(response.status).toBe(201);
            await response.arrayBuffer();
            return;
          }
          expect(response.status).toBeGreaterThanOrEqual(400);
          await expectContract(response, b?.field);
        },
        BOUNDS,
      );
    },
    timeoutFor(BOUNDS.timeLimitMs),
  );
});
