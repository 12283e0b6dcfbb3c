// The only globals contracts/ may use beyond ES2023, in the shapes it uses: workerd, Node and
// browsers each provide them. Only contracts/tsconfig.json reads this file (the other programs
// exclude it and take the full declarations from their runtime's types), so using any other
// runtime global in contracts/ fails `npm run typecheck`.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare const performance: { now(): number };
declare function setTimeout(callback: () => void, ms?: number): unknown;
declare function clearTimeout(handle: unknown): void;
