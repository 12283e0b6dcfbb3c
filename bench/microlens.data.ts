import { readFileSync } from "node:fs";

export interface MicroLens {
  /** Per user (file order), dense item indices, oldest first. */
  sequences: Int32Array[];
  userIds: string[];
  /** Dense index → the dataset's item id (ids have gaps, so they are remapped). */
  itemIds: number[];
}

/** Parses `user<TAB>item item …` lines (CRLF); items are chronological per user. */
export function loadMicroLens(path: string): MicroLens {
  const lines = readFileSync(path, "utf8").split("\n");
  const raw: { user: string; items: number[] }[] = [];
  const distinct = new Set<number>();
  for (const line of lines) {
    const trimmed = line.replace(/\r$/, "");
    if (!trimmed) continue;
    const [user = "", list = ""] = trimmed.split("\t");
    const items = list.split(" ").filter(Boolean).map(Number);
    for (const item of items) distinct.add(item);
    raw.push({ user, items });
  }
  const itemIds = [...distinct].sort((a, b) => a - b);
  const dense = new Map(itemIds.map((id, index) => [id, index]));
  return {
    sequences: raw.map((r) => Int32Array.from(r.items, (id) => dense.get(id) as number)),
    userIds: raw.map((r) => r.user),
    itemIds,
  };
}
