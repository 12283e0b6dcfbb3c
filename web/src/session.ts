import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from "@simplewebauthn/browser";
import { startAuthentication, startRegistration } from "@simplewebauthn/browser";
import type { SessionResponse } from "../../contracts/session.schema";

const STORAGE_KEY = "edgefeed.session";
/** Refresh a minute early so a request never races the access token's expiry. */
const EXPIRY_MARGIN_MS = 60_000;

export type Session = SessionResponse;

/** What the feed and event clients need: a valid access token, and a fresh one after a 401. */
export interface TokenSource {
  token(): Promise<string>;
  renew(): Promise<string>;
  /** The last token, without waiting: for the keepalive flush of a page being hidden. */
  readonly current: Session;
}

async function call<T>(path: string, body: unknown, token?: string): Promise<T> {
  const response = await fetch(path, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  if (response.status === 204) return undefined as T;
  const answer = (await response.json()) as T | { error: { message: string } };
  if (!response.ok || (answer && typeof answer === "object" && "error" in answer)) {
    const message = (answer as { error?: { message: string } }).error?.message;
    throw new Error(message ?? `${path}: ${response.status}`);
  }
  return answer as T;
}

/**
 * This browser's viewer. The edge mints an anonymous user on first visit; the access token lives
 * minutes and is refreshed with the single-use refresh token, kept in localStorage. A passkey
 * turns the viewer into an account under the same user id (history and seen videos stay), signs
 * the account in elsewhere, and signing out ends the sign-in at the edge.
 */
export class SessionKeeper implements TokenSource {
  private session: Session;
  private refreshing: Promise<string> | null = null;

  private constructor(session: Session) {
    this.session = session;
  }

  /** The stored viewer when it is for this region, else a new anonymous one. */
  static async open(region: string): Promise<SessionKeeper> {
    const stored = readStored();
    if (stored && stored.region === region) {
      const keeper = new SessionKeeper(stored);
      try {
        await keeper.token();
        return keeper;
      } catch {
        // Revoked or expired while away: this browser starts over as a new viewer.
      }
    }
    return new SessionKeeper(store(await call<Session>("/v1/sessions", { region })));
  }

  get current(): Session {
    return this.session;
  }

  async token(): Promise<string> {
    if (Date.parse(this.session.expires_at) - EXPIRY_MARGIN_MS > Date.now()) {
      return this.session.token;
    }
    return this.renew();
  }

  /** Rotates the refresh token; concurrent callers share one rotation (a second would be a reuse). */
  renew(): Promise<string> {
    this.refreshing ??= call<Session>("/v1/sessions/refresh", {
      refresh_token: this.session.refresh_token,
    })
      .then((next) => {
        this.session = store(next);
        return next.token;
      })
      .finally(() => {
        this.refreshing = null;
      });
    return this.refreshing;
  }

  /** Registers a passkey for this viewer: from now on an account, same user id. */
  async createAccount(): Promise<Session> {
    const token = await this.token();
    const { challenge_id, options } = await call<{
      challenge_id: string;
      options: PublicKeyCredentialCreationOptionsJSON;
    }>("/v1/passkeys/register/options", {}, token);
    const credential = await startRegistration({ optionsJSON: options });
    this.session = store(
      await call<Session>("/v1/passkeys/register", { challenge_id, credential }, token),
    );
    return this.session;
  }

  /** Signs in to an existing account with one of its passkeys, replacing this viewer. */
  async signInWithPasskey(): Promise<Session> {
    const { challenge_id, options } = await call<{
      challenge_id: string;
      options: PublicKeyCredentialRequestOptionsJSON;
    }>("/v1/passkeys/sign-in/options", {});
    const credential = await startAuthentication({ optionsJSON: options });
    this.session = store(
      await call<Session>("/v1/passkeys/sign-in", {
        challenge_id,
        credential,
        region: this.session.region,
      }),
    );
    return this.session;
  }

  /** Ends the sign-in at the edge (its tokens stop working) and forgets it here. */
  async signOut(): Promise<void> {
    await call<void>("/v1/sessions/sign-out", {}, await this.token());
    localStorage.removeItem(STORAGE_KEY);
  }
}

function readStored(): Session | null {
  try {
    const session = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null") as Session | null;
    return session?.refresh_token ? session : null;
  } catch {
    // A corrupt entry is as good as none.
    return null;
  }
}

function store(session: Session): Session {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  return session;
}
