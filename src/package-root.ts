import fs from 'node:fs';
import path from 'node:path';

/**
 * The folder of the package.json above `from`: the repository's root, the same
 * from src/ (tests, run from source) and from dist/src/ (the built server), so
 * committed files (schema/) are found wherever the code runs from.
 */
export function packageRoot(from: string): string {
  let dir = from;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${from}`);
    dir = parent;
  }
  return dir;
}

/** The committed files of the schema/ folder, found from the package root. */
export function schemaFile(name: string): string {
  return path.join(packageRoot(__dirname), 'schema', name);
}
