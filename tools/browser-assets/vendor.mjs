// Copies the browser files of the pinned npm packages (GraphiQL and React for the GraphiQL
// page, cytoscape.js for the explorer), as installed by `npm ci` from package-lock.json, into
// the Python package: package.json's "vendor" map names, per folder of
// graph_service/api/static (served under /static/<folder>), each file to write and its path
// under node_modules. Files of those folders that the map does not name are removed, so each
// folder holds exactly its map.
// Usage: make browser-assets   (npm ci --prefix tools/browser-assets, then this script)
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const statics = join(here, "..", "..", "graph_service", "api", "static");
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
for (const [folder, files] of Object.entries(manifest.vendor)) {
  const target = join(statics, folder);
  mkdirSync(target, { recursive: true });
  for (const file of readdirSync(target)) {
    if (!(file in files)) rmSync(join(target, file));
  }
  for (const [file, source] of Object.entries(files)) {
    copyFileSync(join(here, "node_modules", source), join(target, file));
  }
  console.log(`vendor: ${Object.keys(files).length} file(s) in ${target}`);
}
