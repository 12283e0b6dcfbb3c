import { createHash } from "node:crypto";
import type { RedisCommand } from "./command";

// Flags Upstash's server accepts in a `#!lua flags=` shebang but Redis rejects ("Unexpected
// flag in script shebang"). @upstash/ratelimit marks every script `allow-key-locking`.
const UPSTASH_ONLY_FLAGS = new Set(["allow-key-locking"]);

const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

function stripUpstashFlags(script: string): string {
  const match = /^#!lua(?<rest>[^\n]*)/.exec(script);
  const rest = match?.groups?.rest;
  if (rest === undefined) return script;
  const kept = rest.replace(/flags=(?<flags>\S*)/, (_, flags: string) => {
    const known = flags.split(",").filter((flag) => flag !== "" && !UPSTASH_ONLY_FLAGS.has(flag));
    return `flags=${known.join(",")}`;
  });
  return `#!lua${kept}${script.slice(match![0].length)}`;
}

/**
 * Lets scripts written for Upstash run on Redis. A rewritten script has a different SHA1 from
 * the one the client computed, so the SHA the client knows is mapped to the one Redis knows;
 * after a bridge restart the map is empty, EVALSHA answers NOSCRIPT and clients fall back to
 * EVAL, exactly as after a Redis restart.
 */
export class LuaFlagCompat {
  private readonly redisShaFor = new Map<string, string>();

  /** The command to send to Redis, and the reply to return instead of Redis's, if any. */
  prepare(command: RedisCommand): { command: RedisCommand; reply?: Buffer } {
    const { name, args } = command;
    if ((name === "EVAL" || name === "EVAL_RO") && args[0] !== undefined) {
      return { command: { name, args: [this.register(args[0]), ...args.slice(1)] } };
    }
    if (name === "SCRIPT" && args[0]?.toUpperCase() === "LOAD" && args[1] !== undefined) {
      this.register(args[1]);
      return {
        command: { name, args: [args[0], stripUpstashFlags(args[1])] },
        reply: Buffer.from(sha1(args[1])),
      };
    }
    if ((name === "EVALSHA" || name === "EVALSHA_RO") && args[0] !== undefined) {
      const mapped = this.redisShaFor.get(args[0].toLowerCase());
      if (mapped) return { command: { name, args: [mapped, ...args.slice(1)] } };
    }
    return { command };
  }

  private register(script: string): string {
    const stripped = stripUpstashFlags(script);
    if (stripped !== script) this.redisShaFor.set(sha1(script), sha1(stripped));
    return stripped;
  }
}
