// `node web/build.mjs`: bundles the viewer app and the dashboard into web/dist, which the Worker
// serves as static assets (wrangler.toml [assets]). Add `--watch` to rebuild on change.
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const web = dirname(fileURLToPath(import.meta.url));
const dist = join(web, "dist");
const watch = process.argv.includes("--watch");

await rm(dist, { recursive: true, force: true });
await mkdir(join(dist, "admin"), { recursive: true });
await copyFile(join(web, "index.html"), join(dist, "index.html"));
// admin.html is served at /admin (assets drop the extension); its files sit under /admin/.
await copyFile(join(web, "admin/admin.html"), join(dist, "admin.html"));

const options = {
  entryPoints: [
    { in: join(web, "src/main.ts"), out: "app" },
    { in: join(web, "src/app.css"), out: "app" },
    { in: join(web, "admin/admin.ts"), out: "admin/admin" },
    { in: join(web, "admin/admin.css"), out: "admin/admin" },
  ],
  outdir: dist,
  bundle: true,
  format: "esm",
  target: ["es2022", "safari15"],
  minify: true,
  sourcemap: "linked",
  // hls.js without subtitles, alternate audio and DRM: a third smaller, and none are used.
  alias: { "hls.js": "hls.js/light" },
  logLevel: "info",
};

if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
} else {
  await esbuild.build(options);
}
