/** The slice of `window.edgefeed` (web/src/main.ts) the browser tests read. */
export interface AppHandle {
  session: { token: string; user_id: string; account: boolean };
  view: {
    items: { id: string; creator_id: string; hashtags: string[] }[];
    index: number;
    current?: { id: string; creator_id: string; hashtags: string[] };
    currentVideo?: HTMLVideoElement;
  };
  queue: { idle: boolean; sent: number };
  feed: { nextCursor: string | null };
  swipes: { video_id: string; ms: number; prebuffered: boolean }[];
}

export type AppWindow = Window & { edgefeed?: AppHandle };
