import type { WebAuthnCredential } from "@simplewebauthn/server";
import { isoBase64URL } from "@simplewebauthn/server/helpers";
import type { Redis } from "@upstash/redis/cloudflare";
import { AuthKeys } from "../../contracts/keyspace";

/** Challenges are single-use and short-lived: a ceremony takes seconds, not minutes. */
const CHALLENGE_TTL_SECONDS = 300;

export type Ceremony =
  | { purpose: "register"; challenge: string; userId: string }
  | { purpose: "sign-in"; challenge: string };

export interface StoredPasskey {
  userId: string;
  credential: WebAuthnCredential;
}

/** Passkeys and their pending challenges. A user with at least one passkey is a named account. */
export class PasskeyStore {
  constructor(private readonly redis: Redis) {}

  async putChallenge(ceremony: Ceremony): Promise<string> {
    const id = crypto.randomUUID();
    await this.redis.set(AuthKeys.challenge(id), JSON.stringify(ceremony), {
      ex: CHALLENGE_TTL_SECONDS,
    });
    return id;
  }

  /** The challenge, consumed: a replayed ceremony finds nothing. */
  async takeChallenge(id: string): Promise<Ceremony | null> {
    const raw = await this.redis.getdel<Ceremony | string>(AuthKeys.challenge(id));
    if (raw === null) return null;
    return typeof raw === "string" ? (JSON.parse(raw) as Ceremony) : raw;
  }

  async add(userId: string, credential: WebAuthnCredential): Promise<void> {
    await this.redis
      .multi()
      .hset(AuthKeys.passkey(credential.id), {
        user: userId,
        public_key: isoBase64URL.fromBuffer(credential.publicKey),
        counter: String(credential.counter),
        transports: JSON.stringify(credential.transports ?? []),
      })
      .sadd(AuthKeys.account(userId), credential.id)
      .exec();
  }

  async get(credentialId: string): Promise<StoredPasskey | null> {
    const hash = await this.redis.hgetall<Record<string, unknown>>(AuthKeys.passkey(credentialId));
    if (!hash?.user || !hash.public_key) return null;
    const transports =
      typeof hash.transports === "string" ? JSON.parse(hash.transports) : hash.transports;
    return {
      userId: String(hash.user),
      credential: {
        id: credentialId,
        publicKey: isoBase64URL.toBuffer(String(hash.public_key)),
        counter: Number(hash.counter ?? 0),
        transports: Array.isArray(transports) ? transports.map(String) : [],
      },
    };
  }

  async setCounter(credentialId: string, counter: number): Promise<void> {
    await this.redis.hset(AuthKeys.passkey(credentialId), { counter: String(counter) });
  }

  async credentialIds(userId: string): Promise<string[]> {
    return (await this.redis.smembers(AuthKeys.account(userId))).map(String);
  }
}
