import type { FeedItem } from "../../contracts/feed.schema";
import type { Report } from "./event-queue";
import { refs } from "./view-tracker";

export interface ActionsOptions {
  root: HTMLElement;
  emit: (report: Report) => void;
  /** "Not interested": the view drops the creator's videos and moves on. */
  notInterested: (item: FeedItem) => void;
}

type Action = "like" | "share" | "follow" | "comment" | "not_interested";

const BUTTONS: { action: Action; label: string; icon: string }[] = [
  { action: "like", label: "Like", icon: "♥" },
  {
    action: "comment",
    label: "Comment",
    // An outline, not an emoji: phones without an emoji font would show a box.
    icon: '<svg viewBox="0 0 24 24" width="24" height="24" fill="none" stroke="currentColor" stroke-width="2"><path d="M4 5h16v11H9l-5 4z"/></svg>',
  },
  { action: "share", label: "Share", icon: "↗" },
  { action: "follow", label: "Follow", icon: "+" },
  { action: "not_interested", label: "Not interested", icon: "⊘" },
];

/** The overlay for the current video: who made it, its tags, and the engagement buttons. */
export class Actions {
  private item: FeedItem | null = null;
  private readonly liked = new Set<string>();
  private readonly following = new Set<string>();
  private readonly meta: HTMLElement;
  private readonly buttons = new Map<Action, HTMLButtonElement>();
  private readonly dialog: HTMLDialogElement;

  constructor(private readonly options: ActionsOptions) {
    this.meta = document.createElement("div");
    this.meta.className = "meta";
    const bar = document.createElement("div");
    bar.className = "actions";
    for (const { action, label, icon } of BUTTONS) {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.action = action;
      button.setAttribute("aria-label", label);
      button.innerHTML = `<span aria-hidden="true">${icon}</span><small>${label}</small>`;
      button.addEventListener("click", (e) => {
        e.stopPropagation();
        this.act(action);
      });
      this.buttons.set(action, button);
      bar.append(button);
    }
    this.dialog = this.commentDialog();
    options.root.append(this.meta, bar, this.dialog);
  }

  show(item: FeedItem): void {
    this.item = item;
    this.meta.replaceChildren(
      Object.assign(document.createElement("strong"), { textContent: `@${item.creator_id}` }),
      Object.assign(document.createElement("p"), {
        textContent: item.hashtags.map((tag) => `#${tag}`).join(" "),
      }),
    );
    this.refresh();
  }

  private refresh(): void {
    const item = this.item;
    if (!item) return;
    this.buttons.get("like")?.setAttribute("aria-pressed", String(this.liked.has(item.id)));
    const follows = this.following.has(item.creator_id);
    this.buttons.get("follow")?.setAttribute("aria-pressed", String(follows));
  }

  private act(action: Action): void {
    const item = this.item;
    if (!item) return;
    const base = { video_id: item.id, ...refs(item) };
    switch (action) {
      case "like": {
        const liked = this.liked.has(item.id);
        if (liked) this.liked.delete(item.id);
        else this.liked.add(item.id);
        this.options.emit({ type: liked ? "unlike" : "like", ...base });
        break;
      }
      case "follow": {
        if (!base.creator_id) return;
        const follows = this.following.has(item.creator_id);
        if (follows) this.following.delete(item.creator_id);
        else this.following.add(item.creator_id);
        this.options.emit({
          type: follows ? "unfollow" : "follow",
          ...base,
          creator_id: base.creator_id,
        });
        break;
      }
      case "share":
        void this.share(item);
        this.options.emit({ type: "share", ...base });
        break;
      case "comment":
        this.dialog.showModal();
        break;
      case "not_interested":
        this.options.emit({ type: "not_interested", ...base });
        this.options.notInterested(item);
        break;
    }
    this.refresh();
  }

  private async share(item: FeedItem): Promise<void> {
    const url = `${location.origin}/?v=${encodeURIComponent(item.id)}`;
    try {
      if (navigator.share) await navigator.share({ url });
      else await navigator.clipboard.writeText(url);
    } catch {
      // Dismissed share sheets and denied clipboards are the user's choice, not failures.
    }
  }

  /** Comments have no store yet; the event is what ranking learns from. */
  private commentDialog(): HTMLDialogElement {
    const dialog = document.createElement("dialog");
    dialog.className = "comment";
    dialog.innerHTML = `<form method="dialog"><textarea name="text" rows="3" maxlength="500"
      placeholder="Add a comment" aria-label="Comment"></textarea>
      <menu><button value="cancel">Cancel</button><button value="post">Post</button></menu></form>`;
    dialog.addEventListener("close", () => {
      const text = dialog.querySelector("textarea");
      const item = this.item;
      if (dialog.returnValue === "post" && text?.value.trim() && item) {
        this.options.emit({ type: "comment", video_id: item.id, ...refs(item) });
      }
      if (text) text.value = "";
    });
    return dialog;
  }
}
