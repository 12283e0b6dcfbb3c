import type { Candidate, UserContext } from "../../../origin/ranking/candidate.types";
import { SequenceModel } from "../../../origin/ranking/model/sequence.model";
import { CoVisitationIndex } from "../../../origin/ranking/retrieval/co-visitation.index";

/** A small catalog for tests: `perCreator` videos for each creator, ids `{creator}-{n}`. */
export function syntheticCatalog(creators: readonly string[], perCreator: number): Candidate[] {
  return creators.flatMap((creator, c) =>
    Array.from({ length: perCreator }, (_, n) => ({
      item: c * perCreator + n,
      videoId: `${creator}-${n}`,
      rails: { trending: c * perCreator + n },
      creatorId: creator,
      audioId: `sound-${creator}`,
      hashtags: [`tag-${creator}`],
    })),
  );
}

export function emptyContext(userId: string): UserContext {
  return { userId, history: [], interest: new Map(), recentCreators: [] };
}

export function untrainedModels(itemCount: number) {
  return {
    sequence: SequenceModel.initialised(itemCount, { dim: 8, window: 5, decay: 0.7 }, 1),
    coVisitation: new CoVisitationIndex(),
  };
}
