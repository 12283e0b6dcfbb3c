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

/** `POST /v1/sessions`: the demo login; a production deployment puts real sign-in in front. */
export const CreateSessionRequestSchema = v.strictObject({
  user_id: UserIdSchema,
  region: RegionSchema,
});

export const SessionResponseSchema = v.object({
  token: v.string(),
  user_id: v.string(),
  region: v.string(),
  session_id: v.string(),
  expires_at: v.string(),
});

export type CreateSessionRequest = v.InferOutput<typeof CreateSessionRequestSchema>;
export type SessionResponse = v.InferOutput<typeof SessionResponseSchema>;
