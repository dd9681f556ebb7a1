#!/usr/bin/env node
// Import graph of src/: no cycles, and no import from a lower layer into a higher one.
// Every import counts as an edge: `import type`, `export … from`, dynamic `import()` and `import('…').T`
// types alike (ts.preProcessFile lists them all). Relative `./x.js` specifiers resolve to `./x.ts`.
// Prints each cycle as a chain `a.ts → b.ts → a.ts` and each layer violation; exits 1 if there is any.
// Usage: node scripts/check-cycles.mjs [srcDir]
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

// Layer of a file: its first folder under src/ (`index.ts` for the root file). ALLOWED lists, for each
// layer, the other layers its files may import; a layer may always import its own files.
// From high to low: index, cli, integrations, record, test-run, gather, {render, run-folder, triage, redact, runtime}, _util.
const ALLOWED = {
  'index.ts': ['cli', 'integrations', 'record', 'test-run', 'gather', 'render', 'triage', 'run-folder', 'redact', 'runtime', '_util'],
  cli: ['integrations', 'record', 'test-run', 'gather', 'render', 'triage', 'run-folder', 'redact', 'runtime', '_util'],
  integrations: ['record', 'test-run', 'gather', 'render', 'triage', 'run-folder', 'redact', 'runtime', '_util'],
  // record mode follows a run live; it decides when to keep a run as test-run does (when.ts).
  record: ['test-run', 'gather', 'render', 'triage', 'run-folder', 'redact', 'runtime', '_util'],
  'test-run': ['gather', 'render', 'triage', 'run-folder', 'redact', 'runtime', '_util'],
  gather: ['render', 'triage', 'run-folder', 'redact', 'runtime', '_util'],
  // The middle layers, in their own order: render shows triage's report of a run folder; triage reads a
  // run folder; a run folder records what the runtime said.
  render: ['triage', 'run-folder', 'runtime', '_util'],
  triage: ['run-folder', 'runtime', '_util'],
  'run-folder': ['runtime', '_util'],
  redact: ['_util'],
  runtime: ['_util'],
  _util: [],
};

const root = resolve(process.argv[2] ?? 'src');
const rel = (file) => relative(root, file).split(sep).join('/');
const layerOf = (file) => rel(file).split('/')[0];

function tsFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

function resolveImport(from, specifier) {
  if (!specifier.startsWith('.')) return null; // a package: not part of the graph
  const base = resolve(dirname(from), specifier);
  const candidates = [base.replace(/\.(m?)js$/, '.$1ts'), base, `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((candidate) => candidate.endsWith('.ts') && existsSync(candidate)) ?? null;
}

const files = tsFiles(root).sort();
const graph = new Map(); // file → sorted targets
const problems = [];
for (const file of files) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const targets = new Set();
  for (const { fileName } of importedFiles) {
    const target = resolveImport(file, fileName);
    if (target) targets.add(target);
    else if (fileName.startsWith('.')) problems.push(`${rel(file)}: cannot resolve '${fileName}'`);
  }
  graph.set(file, [...targets].sort());
}

// Layers.
for (const file of files) {
  const layer = layerOf(file);
  const allowed = ALLOWED[layer];
  if (!allowed) {
    problems.push(`${rel(file)}: layer '${layer}' is not in scripts/check-cycles.mjs's ALLOWED table`);
    continue;
  }
  for (const target of graph.get(file)) {
    const to = layerOf(target);
    if (to !== layer && !allowed.includes(to)) {
      problems.push(`layer: ${rel(file)} → ${rel(target)} (${layer} may import ${allowed.join(', ') || 'nothing outside itself'})`);
    }
  }
}

// Cycles: the strongly connected components (Tarjan), then in each the shortest cycle through each of its
// files (breadth-first), printed once per distinct cycle.
const index = new Map(), low = new Map(), stack = [], onStack = new Set(), components = [];
let counter = 0;
function connect(file) {
  index.set(file, counter);
  low.set(file, counter++);
  stack.push(file);
  onStack.add(file);
  for (const target of graph.get(file)) {
    if (!index.has(target)) {
      connect(target);
      low.set(file, Math.min(low.get(file), low.get(target)));
    } else if (onStack.has(target)) {
      low.set(file, Math.min(low.get(file), index.get(target)));
    }
  }
  if (low.get(file) !== index.get(file)) return;
  const component = new Set();
  let member;
  do {
    member = stack.pop();
    onStack.delete(member);
    component.add(member);
  } while (member !== file);
  if (component.size > 1 || graph.get(file).includes(file)) components.push(component);
}
for (const file of files) if (!index.has(file)) connect(file);

const cycles = new Set();
for (const component of components) {
  for (const start of [...component].sort()) {
    const previous = new Map([[start, null]]);
    const queue = [start];
    let last = null;
    while (queue.length > 0 && last === null) {
      const file = queue.shift();
      for (const target of graph.get(file)) {
        if (target === start) {
          last = file;
          break;
        }
        if (component.has(target) && !previous.has(target)) {
          previous.set(target, file);
          queue.push(target);
        }
      }
    }
    const chain = [];
    for (let file = last; file !== null; file = previous.get(file)) chain.unshift(file);
    // The same cycle found from another of its files: keep the rotation that starts at its smallest name.
    const names = chain.map(rel);
    const first = names.indexOf([...names].sort()[0]);
    const rotated = [...names.slice(first), ...names.slice(0, first)];
    cycles.add(`cycle: ${[...rotated, rotated[0]].join(' → ')}`);
  }
}
problems.push(...[...cycles].sort());

for (const problem of problems) console.log(problem);
const edges = [...graph.values()].reduce((sum, targets) => sum + targets.length, 0);
console.log(`${files.length} files, ${edges} imports: ${cycles.size} cycle(s), ${problems.length - cycles.size} other problem(s)`);
process.exitCode = problems.length > 0 ? 1 : 0;
