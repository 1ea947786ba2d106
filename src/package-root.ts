// Where the installed package lives (the folder with package.json, models/, vendor/, prebuilds/): one level above
// this file's folder, in src/ and in the compiled dist/ alike.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
