/** One Redis command as the Upstash REST protocol carries it: a JSON array of name and arguments. */
export interface RedisCommand {
  name: string;
  args: string[];
}

export type ParseResult = { ok: true; command: RedisCommand } | { ok: false; error: string };

// Commands that change or depend on connection state cannot be honoured over stateless HTTP
// (every request may land on a different connection), and a few would take the server down.
const REFUSED = new Set([
  "AUTH",
  "CLIENT",
  "DISCARD",
  "EXEC",
  "HELLO",
  "MONITOR",
  "MULTI",
  "PSUBSCRIBE",
  "PSYNC",
  "PUNSUBSCRIBE",
  "QUIT",
  "REPLICAOF",
  "RESET",
  "SELECT",
  "SHUTDOWN",
  "SLAVEOF",
  "SSUBSCRIBE",
  "SUBSCRIBE",
  "SUNSUBSCRIBE",
  "SYNC",
  "UNSUBSCRIBE",
  "UNWATCH",
  "WATCH",
]);

const ALWAYS_BLOCKING = new Set([
  "BLMOVE",
  "BLMPOP",
  "BLPOP",
  "BRPOP",
  "BRPOPLPUSH",
  "BZMPOP",
  "BZPOPMAX",
  "BZPOPMIN",
  "WAIT",
  "WAITAOF",
]);

/**
 * Validates one command. `where` names its place in the request (for example `command 3`) so a
 * client with a long pipeline learns which entry is wrong.
 */
export function parseCommand(raw: unknown, where: string): ParseResult {
  if (!Array.isArray(raw) || raw.length === 0) {
    return { ok: false, error: `ERR ${where}: expected a non-empty JSON array [name, ...args]` };
  }
  const parts: string[] = [];
  for (const [index, value] of raw.entries()) {
    if (typeof value === "string") parts.push(value);
    else if (typeof value === "number" && Number.isFinite(value)) parts.push(String(value));
    else if (typeof value === "boolean") parts.push(value ? "1" : "0");
    else {
      return {
        ok: false,
        error: `ERR ${where}: element ${index} must be a string, a finite number or a boolean`,
      };
    }
  }
  const [first, ...args] = parts;
  const name = (first ?? "").toUpperCase();
  if (!/^[A-Z][A-Z0-9_.|-]*$/.test(name)) {
    return { ok: false, error: `ERR ${where}: element 0 must be a command name` };
  }
  if (REFUSED.has(name)) {
    return { ok: false, error: `ERR ${where}: ${name} is not supported over the REST API` };
  }
  return { ok: true, command: { name, args } };
}

/** Whether the command may park its connection, so it must not share one with other requests. */
export function isBlocking(command: RedisCommand): boolean {
  if (ALWAYS_BLOCKING.has(command.name)) return true;
  if (command.name === "XREAD" || command.name === "XREADGROUP") {
    return command.args.some((arg) => arg.toUpperCase() === "BLOCK");
  }
  return false;
}
