// A service in a 1-CPU container on a many-core host must not run a thread per host core: the usable cores
// (and so the adaptive count) are capped by the cgroup CPU quota. Tested in a real cgroup this test creates
// (as root, v1 cpu controller or v2 cpu.max), and through TTL_TORCH_CGROUP_ROOT on a cgroup tree it writes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuLimit } from '../../src/runtime.js';
import { root } from '../support/helpers.js';

const cli = join(root, 'dist', 'cli', 'main.js');
const { TTL_TORCH_THREADS: _pinned, ...env } = process.env;

/** `ttl-torch info --json` started inside `cgroupProcs` (a cgroup.procs file) when given. */
function infoIn(cgroupProcs?: string, extraEnv: Record<string, string> = {}) {
  const script = cgroupProcs ? `echo $$ > '${cgroupProcs}' && exec "$0" "$@"` : 'exec "$0" "$@"';
  const r = spawnSync('sh', ['-c', script, process.execPath, cli, 'info', '--json'], { env: { ...env, ...extraEnv }, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { threads: number; cpuLimit: { cores: number; affinity: number; quota: number; quotaFile: string } };
}

// This process's cgroup: v1's cpu hierarchy where one is mounted, else v2's.
const membership = readFileSync('/proc/self/cgroup', 'utf8').split('\n').filter(Boolean).map((l) => l.split(':'));
const v1 = membership.find(([, controllers]) => controllers.split(',').includes('cpu'));
const v2 = membership.find(([, controllers]) => controllers === '');

const cgroupRoot = '/sys/fs/cgroup';
const mount = v1 ? ['cpu', 'cpu,cpuacct'].map((m) => join(cgroupRoot, m)).find(existsSync) : cgroupRoot;
// Root with a cpu controller (CI); elsewhere it shows as skipped and the override test covers the reading.
const canMakeCgroup = process.getuid?.() === 0 && mount !== undefined && (v1 !== undefined || existsSync(join(cgroupRoot, 'cgroup.controllers')));

describe('cgroup CPU limit', () => {
  it.runIf(canMakeCgroup)('a 1-CPU cgroup made here gives one usable core and one thread', () => {
    const dir = join(mount!, `ttl-torch-test-${process.pid}`);
    mkdirSync(dir);
    try {
      if (v1) writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(1 * Number(readFileSync(join(dir, 'cpu.cfs_period_us'), 'utf8'))));
      else writeFileSync(join(dir, 'cpu.max'), '100000 100000');
      const info = infoIn(join(dir, 'cgroup.procs'));
      expect(info.cpuLimit).toMatchObject({ cores: 1, quota: 1, quotaFile: join(dir, v1 ? 'cpu.cfs_quota_us' : 'cpu.max') });
      expect(info.threads).toBe(1);
    } finally {
      rmdirSync(dir);
    }
  });

  it('TTL_TORCH_CGROUP_ROOT reads another tree: the tightest quota of the cgroup and its ancestors, rounded to the nearest core', () => {
    const fake = mkdtempSync(join(tmpdir(), 'ttl-cgroup-'));
    // The tree this process's cgroup path names, with a loose quota at the top and a tight one at the leaf.
    const [, , path] = v1 ?? v2!;
    const base = v1 ? join(fake, 'cpu') : fake;
    const leaf = join(base, path);
    mkdirSync(leaf, { recursive: true });
    const quota = (dir: string, cores: number) => {
      if (v1) {
        writeFileSync(join(dir, 'cpu.cfs_period_us'), '100000');
        writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(cores * 100000));
      } else writeFileSync(join(dir, 'cpu.max'), `${cores * 100000} 100000`);
    };
    quota(leaf, 0.6);
    if (path !== '/') quota(base, 8);
    const info = infoIn(undefined, { TTL_TORCH_CGROUP_ROOT: fake });
    expect(info.cpuLimit.quota).toBeCloseTo(0.6, 10);
    expect(info.cpuLimit.cores).toBe(1);
    expect(info.threads).toBe(1);
    // Without a quota the affinity mask decides.
    expect(infoIn(undefined, { TTL_TORCH_CGROUP_ROOT: join(fake, 'none') }).cpuLimit).toMatchObject({ quota: 0, cores: cpuLimit().affinity });
  });
});
