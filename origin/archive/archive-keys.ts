import { LakeKeys } from "../../contracts/keyspace";

// The lake's layout is LakeKeys in contracts/keyspace.ts. This name stays only for
// origin/ranker's archive test until that folder's move lands; new code uses LakeKeys.segment.
export const segmentKey = LakeKeys.segment;
