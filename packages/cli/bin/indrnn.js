#!/usr/bin/env node
// Committed launcher so npm can link the `indrnn` bin before the TypeScript is compiled.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/src/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write('indrnn: the CLI is not built yet; run `npm run build` in the repository root\n');
  process.exit(2);
}
await import(main.href);
