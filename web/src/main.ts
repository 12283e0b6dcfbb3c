import type { FeedItem } from "../../contracts/feed.schema";
import { Actions } from "./actions";
import { EventQueue } from "./event-queue";
import { FeedClient, SessionExpiredError } from "./feed-client";
import { FeedView, type SwipeSample } from "./feed-view";
import { type Session, SessionKeeper } from "./session";

/** What the browser tests and a curious developer can read from the console. */
interface DebugHandle {
  readonly session: Session;
  keeper: SessionKeeper;
  view: FeedView;
  queue: EventQueue;
  feed: FeedClient;
  swipes: SwipeSample[];
}

declare global {
  interface Window {
    edgefeed?: DebugHandle;
  }
}

const params = new URLSearchParams(location.search);
const region = params.get("region") ?? "eu";
// `?prebuffer=0` turns look-ahead buffering off, to measure what it buys.
const prebuffer = params.get("prebuffer") !== "0";
const app = document.getElementById("app")!;
const status = document.getElementById("status")!;

function say(text: string): void {
  status.textContent = text;
  status.hidden = text === "";
}

/**
 * The account bar: an anonymous viewer may create an account (a passkey; same user, same
 * history) or sign in to one; an account may sign out. Switching who is watching reloads the feed.
 */
function showAccount(keeper: SessionKeeper): void {
  const bar = document.getElementById("account")!;
  const button = (name: string) =>
    bar.querySelector<HTMLButtonElement>(`[data-account="${name}"]`)!;
  const render = () => {
    const { account } = keeper.current;
    button("create").hidden = account;
    button("sign-in").hidden = account;
    button("sign-out").hidden = !account;
    bar.dataset.state = account ? "account" : "anonymous";
  };
  const act = (name: string, work: () => Promise<unknown>, reload: boolean) =>
    button(name).addEventListener("click", (e) => {
      e.stopPropagation();
      work()
        .then(() => (reload ? location.reload() : render()))
        .catch((error: unknown) => say(error instanceof Error ? error.message : String(error)));
    });
  act("create", () => keeper.createAccount(), false);
  act("sign-in", () => keeper.signInWithPasskey(), true);
  act("sign-out", () => keeper.signOut(), true);
  render();
  bar.hidden = false;
}

async function start(): Promise<void> {
  const keeper = await SessionKeeper.open(region);
  const queue = new EventQueue(keeper);
  const feed = new FeedClient(keeper);
  const blocked = new Set<string>();
  const more = async (): Promise<FeedItem[]> => {
    try {
      return (await feed.next()).filter((item) => !blocked.has(item.creator_id));
    } catch (error) {
      // The sign-in ended elsewhere (signed out, or its refresh token reused): start over.
      if (error instanceof SessionExpiredError) {
        localStorage.clear();
        location.reload();
      }
      throw error;
    }
  };

  const stage = document.createElement("main");
  stage.className = "stage";
  app.append(stage);
  const mute = document.createElement("button");
  mute.className = "unmute";
  mute.type = "button";
  mute.textContent = "Tap to unmute";

  let actions: Actions | null = null;
  const view = new FeedView({
    root: stage,
    emit: (report) => queue.push(report),
    more,
    prebuffer,
    onChange: (item) => actions?.show(item),
  });
  actions = new Actions({
    root: stage,
    emit: (report) => queue.push(report),
    notInterested: (item) => {
      blocked.add(item.creator_id);
      view.removeAhead((next) => next.creator_id === item.creator_id);
      view.next();
    },
  });
  // Muted until the first tap (autoplay policies); after that a tap pauses and resumes.
  stage.addEventListener("click", (e) => {
    if (e.target instanceof HTMLButtonElement || e.target instanceof HTMLTextAreaElement) return;
    if (view.muted) view.setMuted(false);
    else view.togglePause();
    mute.hidden = !view.muted;
  });
  mute.addEventListener("click", (e) => {
    e.stopPropagation();
    view.setMuted(false);
    mute.hidden = true;
  });
  stage.append(mute);

  // The view's last skip or progress must be queued before the queue's own page-hide flush.
  addEventListener("pagehide", () => view.endView());
  queue.start();
  window.edgefeed = {
    get session() {
      return keeper.current;
    },
    keeper,
    view,
    queue,
    feed,
    swipes: view.swipes,
  };
  showAccount(keeper);

  for (let delay = 1_000; view.items.length === 0; delay = Math.min(delay * 2, 15_000)) {
    say("Loading your feed…");
    try {
      view.append(await more());
    } catch {
      // 503 while the catalog is empty, or the network: wait and ask again.
    }
    if (view.items.length > 0) break;
    say("No videos yet, retrying…");
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  say("");
}

start().catch((error: unknown) => {
  say(error instanceof Error ? error.message : "something went wrong");
});
