/**
 * The walls between edgefeed's top-level folders, checked by `npm run walls` (part of
 * `npm run check`). The Worker program is edge/ (routes), durable-objects/ (one folder per object
 * class) and worker-lib/ (the helpers both import); its arrows run edge → durable-objects →
 * worker-lib → contracts, never back. origin/ is the Node program beside it; contracts/ is the
 * runtime-neutral floor everything stands on; testing/ holds test helpers, mirroring the paths
 * they serve.
 */

const TESTS = "\\.test\\.ts$";

/**
 * Which top-level folders each folder's production code may import, besides itself and npm
 * packages. Every arrow points down this list, so no two top-level folders can import each
 * other, directly or around a loop: the check below refuses a matrix with a cycle.
 */
const MAY_IMPORT = {
  contracts: [],
  wasm: ["contracts"],
  "worker-lib": ["contracts", "wasm"],
  "durable-objects": ["worker-lib", "contracts", "wasm"],
  edge: ["durable-objects", "worker-lib", "contracts", "wasm"],
  // The dashboard page shares the types of the JSON it draws (edge/admin/dashboard.types.ts).
  web: ["edge", "contracts"],
  origin: ["contracts", "wasm"],
  // Test helpers serve tests of any folder; the browser tests and benchmarks sit on top.
  testing: ["contracts", "wasm", "worker-lib", "durable-objects", "edge", "web", "origin"],
  e2e: ["contracts", "wasm", "worker-lib", "durable-objects", "edge", "web", "origin", "testing"],
  bench: ["contracts", "wasm", "worker-lib", "durable-objects", "edge", "web", "origin", "testing"],
};
const FOLDERS = Object.keys(MAY_IMPORT);

(function refuseCycles() {
  const state = new Map();
  const visit = (folder, path) => {
    if (state.get(folder) === "done") return;
    if (state.get(folder) === "open") {
      throw new Error(
        `.dependency-cruiser.cjs: MAY_IMPORT has a cycle: ${[...path, folder].join(" → ")}`,
      );
    }
    state.set(folder, "open");
    for (const next of MAY_IMPORT[folder]) visit(next, [...path, folder]);
    state.set(folder, "done");
  };
  for (const folder of FOLDERS) visit(folder, []);
})();

/** origin/dev/ is the local stack and the test run's setup: it may also use the test helpers. */
const DEV_SETUP = "^origin/dev/";

function layerRule(name, from, allowed) {
  const forbidden = FOLDERS.filter((other) => !allowed.includes(other));
  return {
    name: `layers: ${name}`,
    comment: `${name} may import only ${allowed.map((f) => `${f}/`).join(", ")} (and npm packages): arrows between top-level folders run one way.`,
    severity: "error",
    from,
    to: { path: `^(${forbidden.join("|")})/` },
  };
}

const layerRules = [
  ...FOLDERS.map((folder) =>
    layerRule(`${folder}/`, { path: `^${folder}/`, pathNot: `${TESTS}|${DEV_SETUP}` }, [
      folder,
      ...MAY_IMPORT[folder],
    ]),
  ),
  layerRule("origin/dev/", { path: DEV_SETUP, pathNot: TESTS }, [
    "origin",
    ...MAY_IMPORT.origin,
    "testing",
  ]),
];

module.exports = {
  forbidden: [
    {
      name: "worker-not-to-origin",
      comment:
        "The Worker (edge/, durable-objects/, worker-lib/, their tests and test helpers) runs in workerd and reaches the origin only over HTTP: it never imports origin/.",
      severity: "error",
      from: { path: "^(testing/)?(edge|durable-objects|worker-lib)/" },
      to: { path: "^(testing/)?origin/" },
    },
    {
      name: "objects-and-helpers-not-to-edge",
      comment:
        "edge/ imports the Durable Objects and the helpers; they (and their tests and test helpers) never import edge/ back. Shared Worker code belongs in worker-lib/.",
      severity: "error",
      from: { path: "^(testing/)?(durable-objects|worker-lib)/" },
      to: { path: "^(testing/)?edge/" },
    },
    {
      name: "helpers-not-to-objects",
      comment: "worker-lib/ is below the Durable Objects: it never imports durable-objects/.",
      severity: "error",
      from: { path: "^(testing/)?worker-lib/" },
      to: { path: "^(testing/)?durable-objects/" },
    },
    {
      name: "contracts-only-contracts",
      comment:
        "contracts/ is compiled into the Worker, the origin and the web app: it imports only itself and valibot.",
      severity: "error",
      from: { path: "^contracts/", pathNot: TESTS },
      to: { pathNot: "^(contracts/|node_modules/valibot/)" },
    },
    {
      name: "contracts-tests-only-contracts",
      comment: "contracts/'s tests import only contracts/, valibot and vitest.",
      severity: "error",
      from: { path: `^contracts/.*${TESTS}` },
      to: { pathNot: "^(contracts/|node_modules/(valibot|vitest|@vitest)/)" },
    },
    {
      name: "production-not-to-tests",
      comment:
        "Production code never imports tests or test helpers (testing/, *.testing.ts, *.case.ts, a testing/ folder). origin/dev/ is the local stack and the test run's setup, so it may.",
      severity: "error",
      from: {
        path: "^(edge|durable-objects|worker-lib|contracts|origin|web|wasm)/",
        pathNot: `${TESTS}|^origin/dev/|(^|/)testing/|\\.testing\\.ts$|\\.case\\.ts$`,
      },
      to: { path: `${TESTS}|(^|/)testing/|\\.testing\\.ts$|\\.case\\.ts$` },
    },
    {
      name: "no-circular",
      comment:
        "No module reaches itself through its imports. The one exception is a type-only loop that predates this rule (origin/features/batch-ops.ts ↔ user-sequence-ops.ts: Op is a type).",
      severity: "error",
      from: { pathNot: "^origin/features/(batch-ops|user-sequence-ops)\\.ts$" },
      to: { circular: true },
    },
    {
      name: "every-module-has-a-folder",
      comment: `Code lives in a known top-level folder (${FOLDERS.join(", ")}) or is a root config file; a new folder gets its line in MAY_IMPORT.`,
      severity: "error",
      from: { pathNot: `^(${FOLDERS.join("|")})/|^[^/]+$` },
      to: {},
    },
    ...layerRules,
  ],
  options: {
    parser: "swc",
    doNotFollow: { path: "node_modules" },
    exclude: {
      path: "^(node_modules|wasm/assembly|wasm/build|web/dist|bench/node_modules|bench/results|\\.tools|\\.dev-stack|\\.wrangler)/",
    },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".d.ts", ".js", ".mjs", ".cjs", ".json"],
    },
    progress: { type: "none" },
  },
};
