import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { sameSecret } from "../../contracts/internal-auth";
import { parseCommand, type RedisCommand } from "./command";
import { type Outcome, type RedisExecutor, RedisUnavailableError } from "./redis-executor";
import { encodeReply, encodingFromHeader, type ResponseEncoding } from "./reply-encoding";

export interface BridgeOptions {
  executor: RedisExecutor;
  /** The bearer token clients must send, as `UPSTASH_REDIS_REST_TOKEN` holds it. */
  token: string;
  /** Upstash refuses request bodies over its plan's limit; 1 MiB matches the free tier. */
  maxBodyBytes?: number;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function toJson(outcome: Outcome, encoding: ResponseEncoding) {
  return "error" in outcome
    ? { error: outcome.error }
    : { result: encodeReply(outcome.reply, encoding) };
}

function parseBatch(body: unknown): Parsed<RedisCommand[]> {
  if (!Array.isArray(body) || body.length === 0) {
    return { ok: false, error: "ERR expected a non-empty JSON array of commands" };
  }
  const commands: RedisCommand[] = [];
  for (const [index, raw] of body.entries()) {
    const parsed = parseCommand(raw, `command ${index}`);
    if (!parsed.ok) return { ok: false, error: parsed.error };
    commands.push(parsed.command);
  }
  return { ok: true, value: commands };
}

async function readJson(request: Request): Promise<Parsed<unknown>> {
  const text = await request.text();
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, error: "ERR request body is not valid JSON" };
  }
}

/**
 * The Upstash Redis REST protocol over a real Redis server: `POST /` runs one command,
 * `POST /pipeline` runs many in order, `POST /multi-exec` runs many atomically. Errors use
 * Upstash's own `{error: string}` body, since that is what `@upstash/redis` parses.
 */
export function createBridgeApp(options: BridgeOptions): Hono {
  const { executor, token } = options;
  const app = new Hono();
  const fail = (status: ContentfulStatusCode, error: string) =>
    new Response(JSON.stringify({ error }), {
      status,
      headers: { "content-type": "application/json" },
    });

  app.use(
    "*",
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 1024 * 1024,
      onError: () => fail(413, "ERR request body too large"),
    }),
  );

  app.use("*", async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const [scheme, presented] = header.split(" ");
    if (scheme?.toLowerCase() !== "bearer" || !sameSecret(presented ?? "", token)) {
      return fail(401, "Unauthorized: missing or wrong bearer token");
    }
    await next();
  });

  app.onError((error) => {
    if (error instanceof RedisUnavailableError) return fail(503, `ERR ${error.message}`);
    return fail(500, "ERR internal bridge error");
  });

  app.post("/", async (c) => {
    const body = await readJson(c.req.raw);
    if (!body.ok) return fail(400, body.error);
    const parsed = parseCommand(body.value, "command");
    if (!parsed.ok) return fail(400, parsed.error);
    const outcome = await executor.run(parsed.command);
    const encoding = encodingFromHeader(c.req.header("upstash-encoding"));
    return "error" in outcome ? fail(400, outcome.error) : c.json(toJson(outcome, encoding));
  });

  app.post("/pipeline", async (c) => {
    const body = await readJson(c.req.raw);
    if (!body.ok) return fail(400, body.error);
    const batch = parseBatch(body.value);
    if (!batch.ok) return fail(400, batch.error);
    const encoding = encodingFromHeader(c.req.header("upstash-encoding"));
    const outcomes = await executor.pipeline(batch.value);
    return c.json(outcomes.map((outcome) => toJson(outcome, encoding)));
  });

  app.post("/multi-exec", async (c) => {
    const body = await readJson(c.req.raw);
    if (!body.ok) return fail(400, body.error);
    const batch = parseBatch(body.value);
    if (!batch.ok) return fail(400, batch.error);
    const encoding = encodingFromHeader(c.req.header("upstash-encoding"));
    const outcomes = await executor.transaction(batch.value);
    if (!Array.isArray(outcomes)) return fail(400, outcomes.error);
    return c.json(outcomes.map((outcome) => toJson(outcome, encoding)));
  });

  app.notFound(() => fail(404, "ERR unknown endpoint: use POST /, /pipeline or /multi-exec"));

  return app;
}
