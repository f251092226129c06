// Lints Neo4j Cypher files with Neo4j's own Cypher front end (@neo4j-cypher/language-support).
//
//   node tools/cypher-lint/lint.mjs PATH... [--exclude PATH]...
//
// Every *.cypher file under each PATH (directories are walked recursively; an --exclude path
// and everything under it is skipped) must hold exactly one Cypher 5 statement (Neo4j 5 has
// no Cypher 25) and draw no diagnostic: no syntax or semantic error, no warning, no
// deprecation. Each problem is printed as `file:line:col severity message` (1-based), then a
// summary line.
//
// One diagnostic is ignored: the library's own "Parameter $name is not defined." error, which
// it raises for every $parameter not declared in its editor session; the service passes
// parameters at run time. It is matched by its exact message (PARAMETER_NOT_DECLARED).
//
// Exit status: 0 clean; 1 problems found; 2 no .cypher file found (a lint of nothing fails)
// or a PATH that does not exist.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

// The package's ESM build imports files without extensions, which Node's ESM loader rejects;
// its CommonJS build loads fine.
const { lintCypherQuery, parserWrapper } = createRequire(import.meta.url)(
  '@neo4j-cypher/language-support',
);

// Statements are checked as Cypher 5, the language of Neo4j 5 (a `CYPHER 25` prefix is refused).
const DB_SCHEMA = { defaultLanguage: 'CYPHER 5' };
const PARAMETER_NOT_DECLARED = /^Parameter \$\S+ is not defined\.$/;
const SEVERITY = { 1: 'error', 2: 'warning', 3: 'information', 4: 'hint' };

/**
 * List the .cypher files under `path`, sorted, skipping the `excluded` absolute paths.
 *
 * @param {string} path - A file or directory.
 * @param {Set<string>} excluded - Absolute paths to skip with everything under them.
 * @returns {string[]} The files' paths.
 */
function cypherFiles(path, excluded) {
  if (excluded.has(resolve(path))) return [];
  if (!statSync(path).isDirectory()) return path.endsWith('.cypher') ? [path] : [];
  return readdirSync(path)
    .sort()
    .flatMap((name) => cypherFiles(join(path, name), excluded));
}

/**
 * Lint one Cypher file's text.
 *
 * @param {string} text - The file's contents.
 * @returns {{line: number, col: number, severity: string, message: string}[]} Its problems,
 *   with 1-based positions.
 */
function lint(text) {
  const problems = lintCypherQuery(text, DB_SCHEMA)
    .filter((d) => !(d.severity === 1 && PARAMETER_NOT_DECLARED.test(d.message)))
    .map((d) => ({
      line: d.range.start.line + 1,
      col: d.range.start.character + 1,
      severity: SEVERITY[d.severity],
      message: d.message,
    }));
  // The front end splits a text at `;` and checks each part; the server runs one statement.
  const statements = parserWrapper
    .parse(text)
    .statementsParsing.filter((s) => s.command.type !== 'cypher' || s.command.statement.trim());
  if (statements.length !== 1) {
    problems.push({
      line: 1,
      col: 1,
      severity: 'error',
      message: `expected exactly one statement in the file, found ${statements.length}`,
    });
  }
  if (statements.some((s) => s.cypherVersion === 'CYPHER 25')) {
    problems.push({ line: 1, col: 1, severity: 'error', message: 'CYPHER 25 is not Neo4j 5' });
  }
  return problems;
}

const { values, positionals } = parseArgs({
  options: { exclude: { type: 'string', multiple: true, default: [] } },
  allowPositionals: true,
});
let files;
try {
  const excluded = new Set(values.exclude.map((p) => resolve(p)));
  files = positionals.flatMap((p) => cypherFiles(p, excluded));
} catch (error) {
  console.error(`cypher-lint: ${error.message}`);
  process.exit(2);
}
if (files.length === 0) {
  console.error(`cypher-lint: no .cypher file found in ${positionals.join(' ') || '(no path)'}`);
  process.exit(2);
}
let count = 0;
for (const file of files) {
  for (const p of lint(readFileSync(file, 'utf8'))) {
    console.log(`${file}:${p.line}:${p.col} ${p.severity} ${p.message}`);
    count += 1;
  }
}
console.log(`cypher-lint: ${files.length} file(s), ${count} problem(s)`);
process.exit(count === 0 ? 0 : 1);
