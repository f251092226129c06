// Copies the browser files of GraphiQL and React, as installed by `npm ci` from
// package-lock.json, into the Python package (graph_service/api/static/graphiql), which
// serves them under /static/graphiql. The files to copy are package.json's "vendor" map
// (file name in the package -> path under node_modules); files of the target folder that the
// map does not name are removed, so the folder holds exactly the map.
// Usage: node tools/graphiql/vendor.mjs   (after `npm ci --prefix tools/graphiql`)
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const target = join(here, "..", "..", "graph_service", "api", "static", "graphiql");
const manifest = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));

for (const [name, pinned] of Object.entries(manifest.dependencies)) {
  const installed = JSON.parse(
    readFileSync(join(here, "node_modules", name, "package.json"), "utf8"),
  ).version;
  if (installed !== pinned) {
    console.error(`vendor: ${name} ${installed} is installed, ${pinned} is pinned: run npm ci`);
    process.exit(1);
  }
}
mkdirSync(target, { recursive: true });
for (const file of readdirSync(target)) {
  if (!(file in manifest.vendor)) rmSync(join(target, file));
}
for (const [file, source] of Object.entries(manifest.vendor)) {
  copyFileSync(join(here, "node_modules", source), join(target, file));
}
console.log(`vendor: ${Object.keys(manifest.vendor).length} file(s) in ${target}`);
