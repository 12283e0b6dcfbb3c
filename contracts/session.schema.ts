import * as v from "valibot";

export const UserIdSchema = v.pipe(
  v.string("must be a string"),
  v.regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1–64 letters, digits, '_' or '-'"),
);

/** Regions are the keys of regional trending (`trending:{region}`), e.g. `eu`, `us-east`. */
export const RegionSchema = v.pipe(
  v.string("must be a string"),
  v.regex(/^[a-z]{2,8}(-[a-z0-9]{1,8})?$/, "must look like `eu` or `us-east`"),
);

/**
 * `POST /v1/sessions`: a new anonymous viewer. The server mints the user id; a body naming one
 * is refused (`user_id` is not a field), so no client can speak as a user it chose.
 */
export const CreateSessionRequestSchema = v.strictObject({ region: RegionSchema }, (issue) =>
  issue.expected === "never"
    ? "not a field of this request: the server chooses the user id"
    : "must be an object",
);

/** `POST /v1/sessions/refresh`: the refresh token of the last session response. */
export const RefreshRequestSchema = v.strictObject({
  refresh_token: v.pipe(
    v.string("must be a string"),
    v.regex(
      /^[A-Za-z0-9_-]{8,64}\.[A-Za-z0-9_-]{43}$/,
      "must be a refresh token from a session response",
    ),
  ),
});

/**
 * A session: a short-lived access `token` (Bearer) and a `refresh_token` that may be used once
 * for the next session. `account` says whether the user has signed in with a passkey.
 */
export const SessionResponseSchema = v.object({
  token: v.string(),
  refresh_token: v.string(),
  user_id: v.string(),
  region: v.string(),
  session_id: v.string(),
  account: v.boolean(),
  expires_at: v.string(),
});

/** A WebAuthn credential response as `@simplewebauthn/browser` returns it; the library checks the rest. */
const CredentialResponseSchema = v.looseObject({
  id: v.pipe(v.string("must be a string"), v.maxLength(1024, "must be at most 1024 characters")),
  rawId: v.string("must be a string"),
  type: v.literal("public-key", "must be public-key"),
  response: v.looseObject({ clientDataJSON: v.string("must be a string") }, "must be an object"),
});

/** `POST /v1/passkeys/register`: the new credential, for the signed-in anonymous user. */
export const PasskeyRegisterRequestSchema = v.strictObject({
  challenge_id: v.pipe(v.string("must be a string"), v.uuid("must be a challenge id")),
  credential: CredentialResponseSchema,
});

/** `POST /v1/passkeys/sign-in`: an assertion for a challenge from the options call. */
export const PasskeySignInRequestSchema = v.strictObject({
  challenge_id: v.pipe(v.string("must be a string"), v.uuid("must be a challenge id")),
  credential: CredentialResponseSchema,
  region: RegionSchema,
});

export type CreateSessionRequest = v.InferOutput<typeof CreateSessionRequestSchema>;
export type SessionResponse = v.InferOutput<typeof SessionResponseSchema>;
