// The paper's level generator, l = ⌊−ln(U)·mL⌋ with mL = 1/ln(M), driven by a seeded
// SplitMix64 so that the same seed and insert order rebuild the same graph.

// SplitMix64's constants, assembled from halves because 64-bit literals read as lossy JS numbers
// to the linter.
const GAMMA: u64 = ((<u64>0x9e3779b9) << 32) | 0x7f4a7c15;
const MIX1: u64 = ((<u64>0xbf58476d) << 32) | 0x1ce4e5b9;
const MIX2: u64 = ((<u64>0x94d049bb) << 32) | 0x133111eb;

export let rngState: u64 = 0;
let levelMultiplier: f64 = 0;

export function seedLevels(seed: u64, neighbours: i32): void {
  rngState = seed;
  levelMultiplier = 1 / Math.log(<f64>neighbours);
}

export function restoreRngState(state: u64): void {
  rngState = state;
}

function nextU64(): u64 {
  rngState += GAMMA;
  let z = rngState;
  z = (z ^ (z >> 30)) * MIX1;
  z = (z ^ (z >> 27)) * MIX2;
  return z ^ (z >> 31);
}

export function randomLevel(maxAllowed: i32): i32 {
  // U in (0, 1], so ln(U) is finite.
  const u = <f64>((nextU64() >> 11) + 1) * 1.1102230246251565e-16;
  const level = <i32>Math.floor(-Math.log(u) * levelMultiplier);
  return level < maxAllowed ? level : maxAllowed;
}
