import { readFileSync } from 'node:fs';

/** The package's name and version, read from the package.json shipped beside `dist/` (and `src/`). */
function readPackage(): { name: string; version: string } {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    name: string;
    version: string;
  };
  return { name: pkg.name, version: pkg.version };
}

export const TOOL = readPackage();
