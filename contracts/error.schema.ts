import * as v from "valibot";

/**
 * Stable error codes, `AREA.REASON`. Clients switch on the code; the message is for people and
 * names the offending field.
 */
export const ErrorCode = {
  BodyTooLarge: "REQUEST.BODY_TOO_LARGE",
  RequestAborted: "REQUEST.ABORTED",
  MalformedJson: "REQUEST.MALFORMED_JSON",
  InvalidField: "REQUEST.INVALID_FIELD",
  NotFound: "ROUTE.NOT_FOUND",
  Unauthorized: "AUTH.UNAUTHORIZED",
  RefreshInvalid: "AUTH.REFRESH_INVALID",
  AccountRequired: "AUTH.ACCOUNT_REQUIRED",
  PasskeyInvalid: "AUTH.PASSKEY_INVALID",
  SessionsRateLimited: "AUTH.RATE_LIMITED",
  UploadTooLarge: "UPLOAD.TOO_LARGE",
  UploadForbidden: "UPLOAD.FORBIDDEN",
  UploadFinished: "UPLOAD.FINISHED",
  Unexpected: "INTERNAL.UNEXPECTED",
  FeedCursorInvalid: "FEED.CURSOR_INVALID",
  FeedCursorForbidden: "FEED.CURSOR_FORBIDDEN",
  FeedUnavailable: "FEED.UNAVAILABLE",
  MediaBadPath: "MEDIA.BAD_PATH",
  MediaNotFound: "MEDIA.NOT_FOUND",
  MediaUnavailable: "MEDIA.UNAVAILABLE",
  InternalUnauthorized: "INTERNAL.UNAUTHORIZED",
  EventsTooMany: "EVENTS.TOO_MANY",
  RateLimited: "EVENTS.RATE_LIMITED",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ErrorBodySchema = v.object({
  error: v.object({ code: v.string(), message: v.string() }),
});

export type ErrorBody = v.InferOutput<typeof ErrorBodySchema>;

export function errorBody(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

/** Turns the first valibot issue into a message that names the field, e.g. `events[2].type: …`. */
export function describeIssue(issues: readonly v.BaseIssue<unknown>[]): string {
  const issue = issues[0];
  if (!issue) return "invalid input";
  const path = v.getDotPath(issue);
  return path ? `${path}: ${issue.message}` : issue.message;
}
