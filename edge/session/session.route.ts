import { Hono } from "hono";
import { CreateSessionRequestSchema, type SessionResponse } from "../../contracts/session.schema";
import { readJsonBody } from "../http/json-body";
import { issueSessionToken } from "./session-token";

const MAX_BODY_BYTES = 1024;

export const sessionRoute = new Hono<{ Bindings: Env }>().post("/v1/sessions", async (c) => {
  const body = await readJsonBody(c, CreateSessionRequestSchema, MAX_BODY_BYTES);
  if (!body.ok) return body.response;
  const { token, session } = await issueSessionToken(c.env.SIGNING_SECRET, {
    userId: body.value.user_id,
    region: body.value.region,
  });
  const response: SessionResponse = {
    token,
    user_id: session.userId,
    region: session.region,
    session_id: session.sessionId,
    expires_at: new Date(session.expiresAt * 1000).toISOString(),
  };
  return c.json(response, 201);
});
