import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../../scripts/check-cycles.mjs', import.meta.url));
const roots: string[] = [];

/** A src/ tree of the given files, checked by scripts/check-cycles.mjs. */
function check(files: Record<string, string>): { code: number | null; lines: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'check-cycles-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const run = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
  return { code: run.status, lines: run.stdout.trim().split('\n') };
}

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('scripts/check-cycles.mjs', () => {
  it('passes a tree whose imports point down the layers', () => {
    const { code, lines } = check({
      'index.ts': "export { run } from './cli/main.js';",
      'cli/main.ts': "import { gather } from '../gather/gather.js';\nexport const run = gather;",
      'gather/gather.ts': "import type { Unit } from '../_util/units.js';\nexport const gather = (u: Unit) => u;",
      '_util/units.ts': 'export type Unit = number;',
    });
    expect(lines).toEqual(['4 files, 3 imports: 0 cycle(s), 0 other problem(s)']);
    expect(code).toBe(0);
  });

  it('counts type-only imports, re-exports and dynamic import() as edges of a cycle', () => {
    const { code, lines } = check({
      'gather/a.ts': "import type { B } from './b.js';\nexport type A = B;",
      'gather/b.ts': "export const load = () => import('./c.js');\nexport type B = string;",
      'gather/c.ts': "export * from './a.js';",
      'gather/d.ts': "export type D = import('./d.js').D | number;",
    });
    expect(lines).toContain('cycle: gather/a.ts → gather/b.ts → gather/c.ts → gather/a.ts');
    expect(lines).toContain('cycle: gather/d.ts → gather/d.ts');
    expect(lines.filter((line) => line.startsWith('cycle:'))).toHaveLength(2);
    expect(code).toBe(1);
  });

  it('reports an import from a lower layer into a higher one, and a folder in no layer', () => {
    const { code, lines } = check({
      'cli/text.ts': 'export const bytes = 1;',
      'render/html.ts': "import type { bytes } from '../cli/text.js';\nexport type H = typeof bytes;",
      'extras/x.ts': 'export const x = 1;',
    });
    expect(lines).toContain('layer: render/html.ts → cli/text.ts (render may import triage, run-folder, runtime, _util)');
    expect(lines).toContain("extras/x.ts: layer 'extras' is not in scripts/check-cycles.mjs's ALLOWED table");
    expect(code).toBe(1);
  });

  it('reports a relative import that names no file', () => {
    const { code, lines } = check({ 'gather/a.ts': "import { b } from './missing.js';\nexport const a = b;" });
    expect(lines).toContain("gather/a.ts: cannot resolve './missing.js'");
    expect(code).toBe(1);
  });
});
