#!/usr/bin/env node
/*
 * Lists every function, method, accessor, constructor and arrow function of the TypeScript sources that
 * spans more than N lines, longest first, as `file:line name lines`; exits 1 when there is any.
 *
 *   node scripts/function-lengths.mjs 120            # src/
 *   node scripts/function-lengths.mjs 60 src/triage  # files or folders
 *
 * A function's lines run from its first token (leading comments excluded) to its closing token, both
 * included, so a nested function counts in its own length and in its enclosing one's.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const [limitArg, ...paths] = process.argv.slice(2);
const limit = Number(limitArg);
if (!Number.isInteger(limit) || limit < 0) {
  process.stderr.write('usage: node scripts/function-lengths.mjs N [file-or-folder…]  (default folder: src)\n');
  process.exit(2);
}

function sourceFiles(path) {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .flatMap((entry) => {
      const full = join(path, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(full);
      return /\.(?:[cm]?ts|tsx)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
    });
}

function isFunctionLike(node) {
  return (
    ts.isFunctionDeclaration(node) ||
    ts.isFunctionExpression(node) ||
    ts.isArrowFunction(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isConstructorDeclaration(node) ||
    ts.isGetAccessorDeclaration(node) ||
    ts.isSetAccessorDeclaration(node)
  );
}

function nameOf(node, file) {
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (node.name) return node.name.getText(file);
  // An anonymous function is named after what it is assigned to: `const f = () => …`, `{ write(…) {…} }`.
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) {
    return parent.name.getText(file);
  }
  if (ts.isCallExpression(parent)) return `<callback of ${parent.expression.getText(file).slice(0, 40)}>`;
  return '<anonymous>';
}

const found = [];
for (const path of (paths.length > 0 ? paths : ['src']).flatMap(sourceFiles)) {
  const file = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const visit = (node) => {
    if (isFunctionLike(node) && node.body) {
      const first = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const last = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = last - first + 1;
      if (lines > limit) found.push({ where: `${relative(process.cwd(), path)}:${first + 1}`, name: nameOf(node, file), lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
}

found.sort((a, b) => b.lines - a.lines);
for (const { where, name, lines } of found) process.stdout.write(`${where} ${name} ${lines}\n`);
process.exit(found.length > 0 ? 1 : 0);
