// The CLI as a user runs it: a child process on the compiled package.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localBuildFile, readBuildInfo } from '../../src/native/loader.js';
import { fixture, root } from '../support/helpers.js';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), ...args], { encoding: 'utf8', env: { ...process.env, TTL_TORCH_THREADS: '1' } });

describe('ttl-torch CLI', () => {
  it('cutoffs --json reproduces the ptflops fixture for every k', () => {
    const run = cli('cutoffs', 'resnet50', '--input', '64', '--json');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const out = JSON.parse(run.stdout);
    const reference = JSON.parse(readFileSync(fixture('complexity-resnet50.json'), 'utf8'))['64'].cutoffs;
    expect(out.cutoffs.map((r: { params: number; macs: number }) => [r.params, r.macs])).toEqual(
      reference.map((r: { params: number; macs: number }) => [r.params, r.macs]),
    );
    expect(out.cutoffs.filter((r: { blockEnd: boolean }) => r.blockEnd).map((r: { k: number }) => r.k)).toEqual([4, 8, 14, 17]);
  });

  it('cutoffs prints a table with the block boundaries marked', () => {
    const run = cli('cutoffs', 'resnet50');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^14\s+layer3\.5 \*\s+3\s+1024x14x14\s+8\.543\s+3\.309/m);
    expect(run.stdout.trim().split('\n')).toHaveLength(4 + 17); // title, blank, header, rule, 17 units
  });

  it('info reports LibTorch, device and threads', () => {
    const run = cli('info', '--json');
    expect(run.status).toBe(0);
    const info = JSON.parse(run.stdout);
    // The LibTorch the loaded build was compiled against (build/ or TTL_TORCH_BUILD_DIR), by CMake's record.
    const built = readBuildInfo(localBuildFile(root))!;
    expect(info.libtorch).toBe(built.libtorch);
    expect(info.libtorchFrom).toEqual({ source: built.source, dir: built.torchDir });
    expect(info.cudaCompiled).toBe(built.variant === 'cuda');
    expect(info.defaultDevice).toBe(info.cudaAvailable ? 'cuda' : 'cpu');
    // c10d comes with both legs' LibTorch (Gloo's headers from libgloo-dev); NCCL only with a CUDA one.
    expect(info.distributed).toEqual({ gloo: true, nccl: built.variant === 'cuda' });
    const text = cli('info');
    expect(text.stdout).toMatch(new RegExp(`^CUDA\\s+${built.variant === 'cuda' ? 'compiled in' : 'not compiled in'}; available: (no|yes)`, 'm'));
    expect(info.threads).toBe(1);
    expect(info.flushDenormal).toBe(true);
  });

  it('bad input exits 1 with a message naming the problem', () => {
    const unknown = cli('cutoffs', 'resnet51');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/^ttl-torch \[E_UNKNOWN_MODEL\]: unknown model 'resnet51'; available: /);
    const size = cli('cutoffs', 'resnet18', '--input', '5x');
    expect(size.stderr).toBe("ttl-torch [E_BAD_ARGUMENT]: Expected an integer between 16 and 4096 for --input but received '5x' of type string\n");
  });
});
