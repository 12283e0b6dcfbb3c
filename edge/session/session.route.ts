import { Hono } from "hono";
import { ErrorCode } from "../../contracts/error.schema";
import { CreateSessionRequestSchema, RefreshRequestSchema } from "../../contracts/session.schema";
import { redisFromEnv } from "../../worker-lib/redis.client";
import { jsonError } from "../http/errors";
import { readJsonBody } from "../http/json-body";
import { refuseOverMintBudget } from "./mint-limit";
import { requireSession, type SessionVariables } from "./require-session";
import { sessionResponse } from "./session-response";
import { mintUserId, SignIns } from "./sign-ins";

const MAX_BODY_BYTES = 1024;

/**
 * Sessions. `POST /v1/sessions`: a new anonymous viewer with a server-minted id (rate-limited
 * per client address). `POST /v1/sessions/refresh`: the next access and refresh token; a reused
 * refresh token revokes its sign-in. `POST /v1/sessions/sign-out`: ends the caller's sign-in.
 */
export const sessionRoute = new Hono<{ Bindings: Env; Variables: SessionVariables }>()
  .post("/v1/sessions", async (c) => {
    const body = await readJsonBody(c, CreateSessionRequestSchema, MAX_BODY_BYTES);
    if (!body.ok) return body.response;
    const refused = await refuseOverMintBudget(c);
    if (refused) return refused;
    const { signIn, refreshToken } = await new SignIns(redisFromEnv(c.env)).start({
      userId: mintUserId(),
      region: body.value.region,
      account: false,
    });
    return c.json(await sessionResponse(c.env.SIGNING_SECRET, signIn, refreshToken), 201);
  })
  .post("/v1/sessions/refresh", async (c) => {
    const body = await readJsonBody(c, RefreshRequestSchema, MAX_BODY_BYTES);
    if (!body.ok) return body.response;
    const rotation = await new SignIns(redisFromEnv(c.env)).rotate(body.value.refresh_token);
    if (!rotation.ok) {
      const message =
        rotation.reason === "reused"
          ? "refresh_token: already used; this sign-in is revoked on every device"
          : "refresh_token: signed out, expired or unknown";
      return jsonError(c, 401, ErrorCode.RefreshInvalid, message);
    }
    return c.json(
      await sessionResponse(c.env.SIGNING_SECRET, rotation.signIn, rotation.refreshToken),
      200,
    );
  })
  .post("/v1/sessions/sign-out", requireSession(), async (c) => {
    await new SignIns(redisFromEnv(c.env)).end(c.var.session.sessionId);
    return c.body(null, 204);
  });
