import type { Redis } from "ioredis";
import { isBlocking, type RedisCommand } from "./command";
import { LuaFlagCompat } from "./lua-flags";
import type { RawReply } from "./reply-encoding";

export type Outcome = { reply: RawReply } | { error: string };

/** Thrown when Redis itself cannot be reached, as opposed to a command that Redis rejected. */
export class RedisUnavailableError extends Error {
  override name = "RedisUnavailableError";
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ioredis reports replies that Redis rejected as ReplyError; anything else (closed socket,
// offline queue disabled) means the server is not there.
function isReplyError(error: unknown): boolean {
  return error instanceof Error && error.name === "ReplyError";
}

function unavailable(error: unknown): RedisUnavailableError {
  return new RedisUnavailableError(`redis unavailable: ${errorMessage(error)}`);
}

/** Runs commands on a real Redis server through ioredis, replies as raw buffers. */
export class RedisExecutor {
  private readonly lua = new LuaFlagCompat();

  constructor(private readonly redis: Redis) {}

  async run(requested: RedisCommand): Promise<Outcome> {
    const { command, reply: override } = this.lua.prepare(requested);
    // A blocking command parks its connection; it gets one of its own.
    const connection = isBlocking(command) ? await this.ownConnection() : this.redis;
    try {
      const reply = (await connection.callBuffer(command.name, ...command.args)) as RawReply;
      return { reply: override ?? reply };
    } catch (error) {
      if (isReplyError(error)) return { error: errorMessage(error) };
      throw unavailable(error);
    } finally {
      if (connection !== this.redis) connection.disconnect();
    }
  }

  /**
   * Commands in order on one connection; each succeeds or fails on its own. A pipeline holding a
   * blocking command gets a connection of its own, or it would stall every other request.
   */
  async pipeline(commands: RedisCommand[]): Promise<Outcome[]> {
    const prepared = commands.map((command) => this.lua.prepare(command));
    const connection = prepared.some(({ command }) => isBlocking(command))
      ? await this.ownConnection()
      : this.redis;
    const pipeline = connection.pipeline();
    for (const { command } of prepared) pipeline.callBuffer(command.name, ...command.args);
    try {
      return this.collect(await this.exec(() => pipeline.exec()), prepared);
    } finally {
      if (connection !== this.redis) connection.disconnect();
    }
  }

  /**
   * MULTI/EXEC: all or nothing. Redis runs blocking commands inside a transaction without
   * blocking, so a transaction never needs its own connection. A command Redis refuses to queue aborts the whole transaction
   * (EXECABORT), which is returned as a single error.
   */
  async transaction(commands: RedisCommand[]): Promise<Outcome[] | { error: string }> {
    const multi = this.redis.multi();
    const prepared = commands.map((command) => this.lua.prepare(command));
    for (const { command } of prepared) multi.callBuffer(command.name, ...command.args);
    try {
      return this.collect(await multi.exec(), prepared);
    } catch (error) {
      if (isReplyError(error) || errorMessage(error).startsWith("EXECABORT")) {
        return { error: errorMessage(error) };
      }
      throw unavailable(error);
    }
  }

  private async ownConnection(): Promise<Redis> {
    const connection = this.redis.duplicate({ lazyConnect: true });
    try {
      await connection.connect();
    } catch (error) {
      connection.disconnect();
      throw unavailable(error);
    }
    return connection;
  }

  private async exec(
    run: () => Promise<[Error | null, unknown][] | null>,
  ): Promise<[Error | null, unknown][] | null> {
    try {
      return await run();
    } catch (error) {
      throw unavailable(error);
    }
  }

  private collect(
    results: [Error | null, unknown][] | null,
    prepared: { reply?: Buffer }[],
  ): Outcome[] {
    if (results === null) throw new RedisUnavailableError("redis unavailable: no reply");
    return results.map(([error, reply], index) => {
      if (error === null) return { reply: prepared[index]?.reply ?? (reply as RawReply) };
      if (isReplyError(error)) return { error: errorMessage(error) };
      throw unavailable(error);
    });
  }
}
