import type { Redis } from "ioredis";
import { SeenKeys } from "../../../../contracts/keyspace";
import {
  type BitfieldSet,
  generationFields,
  SEEN_SLOTS,
  type SeenFilter,
  wholeGenerationSets,
} from "../../../../contracts/seen-filter";

/** BITFIELD's arguments after the key: `SET {type} {offset} {value}` for each. */
export function bitfieldArgs(sets: readonly BitfieldSet[]): (string | number)[] {
  return sets.flatMap((set) => ["SET", set.type, set.offset, set.value]);
}

/**
 * Writes a user's seen mirror as the UserFeed object's first write does: both slots cleared, each
 * generation whole through BITFIELD SET (newest in slot 0), and their start times and counts.
 */
export async function writeSeenMirror(
  redis: Redis,
  userId: string,
  seen: SeenFilter,
): Promise<void> {
  const tx = redis
    .multi()
    .del(SeenKeys.seen(userId), ...SEEN_SLOTS.map((slot) => SeenKeys.seenBits(userId, slot)));
  for (const slot of SEEN_SLOTS) {
    const generation = seen.generations[slot];
    if (!generation) continue;
    const sets = wholeGenerationSets(generation.filter);
    tx.call("BITFIELD", SeenKeys.seenBits(userId, slot), ...bitfieldArgs(sets));
    tx.hset(SeenKeys.seen(userId), generationFields(slot, generation));
  }
  await tx.exec();
}
