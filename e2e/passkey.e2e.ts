import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { generateClip } from "../origin/media-probe/clip.generator";
import type { AppWindow } from "./app-handle";
import { launch, PHONE, swipeUp } from "./browser";
import { openFeed, playbackStarts } from "./feed-page";

// WebAuthn needs a domain for its relying party: Chromium refuses an IP address as the RP ID.
const edgeUrl = inject("edgeUrl").replace("127.0.0.1", "localhost");
const region = inject("region");
let browser: Browser;
const dir = mkdtempSync(join(tmpdir(), "edgefeed-passkey-"));

beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A phone's platform authenticator that verifies its user and keeps discoverable passkeys. */
const AUTHENTICATOR = {
  protocol: "ctap2",
  transport: "internal",
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
  automaticPresenceSimulation: true,
} as const;

const session = (page: Page) =>
  page.evaluate(() => {
    const { user_id, account, token } = (window as AppWindow).edgefeed!.session;
    return { user_id, account, token };
  });

/** A tus upload from the page, as a creator's app would send it: create, then one PATCH. */
function uploadFromPage(page: Page, token: string, base64: string) {
  return page.evaluate(
    async ({ token, base64 }) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const auth = { authorization: `Bearer ${token}`, "tus-resumable": "1.0.0" };
      const created = await fetch("/v1/uploads", {
        method: "POST",
        headers: {
          ...auth,
          "upload-length": String(bytes.byteLength),
          "upload-metadata": `caption ${btoa("made with a passkey")}`,
        },
      });
      if (created.status !== 201) return { created: created.status, finished: 0, id: "" };
      const location = created.headers.get("location") ?? "";
      const patched = await fetch(location, {
        method: "PATCH",
        headers: {
          ...auth,
          "upload-offset": "0",
          "content-type": "application/offset+octet-stream",
        },
        body: bytes,
      });
      return {
        created: created.status,
        finished: patched.status,
        id: patched.headers.get("edgefeed-video-id") ?? "",
      };
    },
    { token, base64 },
  );
}

describe("accounts with passkeys, in Chromium's virtual authenticator", () => {
  it("signs up from an anonymous session, keeps its history, uploads, signs in on another device, signs out and is refused", async () => {
    const clip = join(dir, "passkey.mp4");
    await generateClip({ path: clip, width: 320, height: 568, seconds: 4, label: "passkey" });
    const context = await browser.newContext(PHONE);
    const { page } = await openFeed(context, `${edgeUrl}/?region=${region}`);
    const anonymous = await session(page);
    expect(anonymous.account).toBe(false);
    const watched = [await playbackStarts(page)];
    for (let i = 0; i < 2; i++) {
      await page.waitForTimeout(1_200);
      await swipeUp(context, page);
      watched.push(await playbackStarts(page));
    }
    const base64 = readFileSync(clip).toString("base64");
    const refusedAnonymous = await uploadFromPage(page, anonymous.token, base64);
    expect(refusedAnonymous.created).toBe(403);

    // A real WebAuthn ceremony: Chromium's own authenticator signs, the edge verifies. It is added
    // after the swipes: detaching another DevTools session (the swipe's) silently disables it.
    const cdp = await context.newCDPSession(page);
    await cdp.send("WebAuthn.enable");
    const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: AUTHENTICATOR,
    });

    await page.locator('[data-account="create"]').click();
    await page.waitForFunction(() => (window as AppWindow).edgefeed?.session.account === true);
    const named = await session(page);
    expect(named.user_id).toBe(anonymous.user_id);
    await expect.poll(() => page.locator('[data-account="sign-out"]').isVisible()).toBe(true);
    // The passkey lives in the authenticator, discoverable, as a phone would keep it.
    const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
    expect(credentials).toHaveLength(1);
    expect(credentials[0]?.isResidentCredential).toBe(true);

    // Same user, same seen-filter: what was watched before signing up is not served again.
    const next = await page.evaluate(async () => {
      const app = (window as AppWindow).edgefeed!;
      const response = await fetch(`/v1/feed?cursor=${app.feed.nextCursor}`, {
        headers: { authorization: `Bearer ${app.session.token}` },
      });
      return ((await response.json()) as { items: { id: string }[] }).items.map((i) => i.id);
    });
    expect(next.length).toBeGreaterThan(0);
    expect(next.filter((id) => watched.includes(id))).toEqual([]);

    const uploaded = await uploadFromPage(page, named.token, base64);
    expect(uploaded).toMatchObject({ created: 201, finished: 204 });
    expect(uploaded.id).toMatch(/^[A-Za-z0-9_-]{16}$/);

    // Another device that holds the same passkey signs in as the same user.
    const phone = await browser.newContext(PHONE);
    const { page: other } = await openFeed(phone, `${edgeUrl}/?region=${region}`);
    const otherCdp = await phone.newCDPSession(other);
    await otherCdp.send("WebAuthn.enable");
    const { authenticatorId: otherAuthenticator } = await otherCdp.send(
      "WebAuthn.addVirtualAuthenticator",
      { options: AUTHENTICATOR },
    );
    await otherCdp.send("WebAuthn.addCredential", {
      authenticatorId: otherAuthenticator,
      credential: credentials[0]!,
    });
    expect((await session(other)).user_id).not.toBe(anonymous.user_id);
    // Signing in replaces this browser's viewer, so the app reloads as the account.
    await Promise.all([
      other.waitForEvent("load"),
      other.locator('[data-account="sign-in"]').click(),
    ]);
    await other.waitForFunction(() => (window as AppWindow).edgefeed?.session.account === true);
    expect((await session(other)).user_id).toBe(anonymous.user_id);
    await phone.close();

    await Promise.all([
      page.waitForEvent("load"),
      page.locator('[data-account="sign-out"]').click(),
    ]);
    await page.waitForFunction(() => (window as AppWindow).edgefeed?.session !== undefined);
    const after = await session(page);
    expect(after.user_id).not.toBe(anonymous.user_id);
    expect(after.account).toBe(false);
    // The signed-out account's token, still within its minutes, is refused for uploads.
    const refusedSignedOut = await uploadFromPage(page, named.token, base64);
    expect(refusedSignedOut.created).toBe(401);
    await context.close();
  });
});
