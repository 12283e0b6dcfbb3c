import type { SessionResponse } from "../../contracts/session.schema";

const STORAGE_KEY = "edgefeed.session";
/** Re-login a minute early so a request never races the token's expiry. */
const EXPIRY_MARGIN_MS = 60_000;

export type Session = SessionResponse;

export function storedSession(): Session | null {
  try {
    const session = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null") as Session | null;
    if (session && Date.parse(session.expires_at) - EXPIRY_MARGIN_MS > Date.now()) return session;
  } catch {
    // A corrupt entry is as good as none.
  }
  return null;
}

export function forgetSession(): void {
  localStorage.removeItem(STORAGE_KEY);
}

/** The demo login: `POST /v1/sessions` with a user id; production puts real sign-in in front. */
export async function signIn(userId: string, region: string): Promise<Session> {
  const response = await fetch("/v1/sessions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ user_id: userId, region }),
  });
  const body = (await response.json()) as Session | { error: { message: string } };
  if (!response.ok || "error" in body) {
    throw new Error("error" in body ? body.error.message : `sign-in failed (${response.status})`);
  }
  localStorage.setItem(STORAGE_KEY, JSON.stringify(body));
  return body;
}
