#!/usr/bin/env node
// Runs a command as if on a CPU with fewer instructions: sets every library's ISA cap for a profile of
// src/native/isa.ts (sse41, avx2, avx512) or for 'unlike', the profile most unlike this machine, then runs it.
//   node scripts/isa-caps.mjs unlike -- npx vitest run test/native
// Needs the compiled TypeScript (dist/) and the addon, which reads CPUID; TTL_TORCH_BUILD_DIR picks the build.
import { spawnSync } from 'node:child_process';
import { ISA_PROFILES, mostUnlikeProfile } from '../dist/native/isa.js';
import { native } from '../dist/native/loader.js';

const [asked, dashes, ...command] = process.argv.slice(2);
const names = [...Object.keys(ISA_PROFILES), 'unlike'];
if (!names.includes(asked) || dashes !== '--' || command.length === 0) {
  console.error(`usage: node scripts/isa-caps.mjs ${names.join('|')} -- COMMAND [ARGS...]`);
  process.exit(2);
}
const features = native().cpuFeatures();
const profile = asked === 'unlike' ? mostUnlikeProfile(features) : asked;
const missing = ISA_PROFILES[profile].requires.filter((f) => !features.includes(f));
if (missing.length) {
  console.error(`isa-caps: profile '${profile}' needs ${missing.join(', ')}, which this CPU lacks (it has ${features.join(' ')})`);
  process.exit(2);
}
const caps = ISA_PROFILES[profile].env;
console.log(`isa-caps: profile '${profile}' on a CPU with ${features.join(' ')}: ${Object.entries(caps).map(([k, v]) => `${k}=${v}`).join(' ')}`);
const run = spawnSync(command[0], command.slice(1), { stdio: 'inherit', env: { ...process.env, ...caps } });
process.exit(run.status ?? 1);
