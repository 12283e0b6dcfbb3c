import { describe, expect, it } from "vitest";
import { liveCatalog, videoMeta } from "../../../testing/origin/ranking/model/model.testing";
import { loadHnswModule } from "../../../wasm/hnsw.node.js";
import { ModelState } from "./model.state";
import { VideoCatalog } from "./video.catalog";

const module = loadHnswModule();

/** 40 videos; by content, each creator's videos are each other's nearest. */
function contentModel(): ModelState {
  return ModelState.fresh(module, liveCatalog(new VideoCatalog(), ["A", "B", "C", "D"], 10));
}

/** Viewers alternate A and C, and B and D: co-engagement that content does not show. */
function sessionsOf(state: ModelState): number[][] {
  const item = (creator: string, n: number) =>
    state.catalog.lookup(`${creator}-${n % 10}`) ?? expect.fail(`${creator}-${n} not in catalog`);
  return Array.from({ length: 300 }, (_, s) => {
    const [first, second] = s % 2 === 0 ? ["A", "C"] : ["B", "D"];
    return Array.from({ length: 8 }, (_, t) =>
      t % 2 === 0 ? item(first, s + t * 3) : item(second, s + t * 7),
    );
  });
}

/** A model that has watched `sessions`: the counts decide how much training outweighs content. */
function watchedModel() {
  const state = contentModel();
  const sessions = sessionsOf(state);
  for (const session of sessions) state.models.coVisitation.observeSequence(session);
  const a0 = state.catalog.lookup("A-0") ?? expect.fail("A-0 not in catalog");
  /** The five videos nearest to someone who just watched A-0. */
  const afterA0 = () => state.nearest(state.sequence.userVector([a0]), 5, (item) => item !== a0);
  const creators = (items: number[]) => items.map((item) => state.catalog.get(item)?.creatorId);
  return { state, sessions, afterA0, creators };
}

describe("ModelState.retrain", () => {
  it("trains in a worker thread: nearest() answers from the old model meanwhile, then from the new", async () => {
    const { state, sessions, afterA0, creators } = watchedModel();
    const contentOnly = afterA0();
    expect(creators(contentOnly)).toEqual(["A", "A", "A", "A", "A"]);

    const retrain = state.retrain(sessions, 5);
    let settled = false;
    void retrain.finally(() => {
      settled = true;
    });
    // Each answer comes from a later macrotask: a retrain blocking this thread would have settled.
    const whilePending: number[][] = [];
    while (!settled) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      if (!settled) whilePending.push(afterA0());
    }
    expect(await retrain).toBe(true);
    expect(whilePending.length).toBeGreaterThan(0);
    for (const answer of whilePending) expect(answer).toEqual(contentOnly);

    const trained = creators(afterA0());
    expect(trained.filter((creator) => creator === "C").length).toBeGreaterThanOrEqual(4);
    expect(state.indexSource).toBe("built");
    expect(state.indexSize).toBe(40);
  });

  it("keeps videos that went live during the retrain: indexed, with their content vectors", async () => {
    const { state, sessions } = watchedModel();
    const retrain = state.retrain(sessions, 2);
    // 25 more outgrow the model's 64 rows while the worker trains on the old ones.
    const late = Array.from({ length: 25 }, (_, n) => videoMeta(state.catalog, "E", n));
    for (const meta of late) state.addVideo(meta);
    expect(await retrain).toBe(true);

    expect(state.indexSize).toBe(65);
    const { dim } = state.sequence.options;
    const anyone = state.sequence.userVector([0]);
    for (const meta of late) {
      expect(state.nearest(anyone, 1, (item) => item === meta.item)).toEqual([meta.item]);
      const row = state.sequence.output.subarray(meta.item * dim, (meta.item + 1) * dim);
      expect([...row]).toEqual([...meta.content]);
    }
  });

  it("runs one retrain at a time: a second call gets the running one", async () => {
    const { state, sessions } = watchedModel();
    const first = state.retrain(sessions, 1);
    expect(state.retrain(sessions, 1)).toBe(first);
    expect(await first).toBe(true);
  });

  it("leaves the current model serving when the worker fails", async () => {
    const { state, sessions, afterA0 } = watchedModel();
    const before = afterA0();
    // A corrupt content vector: the worker's index build rejects NaN.
    const a1 = state.catalog.get(state.catalog.lookup("A-1") ?? -1) ?? expect.fail("no A-1");
    state.catalog.set({ ...a1, content: new Float32Array(64).fill(Number.NaN) });

    expect(await state.retrain(sessions, 1)).toBe(false);
    expect(afterA0()).toEqual(before);
    expect(state.indexSize).toBe(40);
  });
});
