// The CLI as a user runs it: a child process on the compiled package.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ISA_CAP_VARIABLES } from '../../src/native/isa.js';
import { localBuildFile, readBuildInfo } from '../../src/native/loader.js';
import { fixture, root } from '../support/helpers.js';

const spawnCli = (env: NodeJS.ProcessEnv, args: string[]) =>
  spawnSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), ...args], { encoding: 'utf8', env: { ...env, TTL_TORCH_THREADS: '1' } });
const cli = (...args: string[]) => spawnCli(process.env, args);
/** The CLI under exactly `caps`: the ISA caps this run may itself be under (scripts/isa-caps.mjs) are dropped. */
const withCaps = (caps: NodeJS.ProcessEnv, ...args: string[]) =>
  spawnCli({ ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !(ISA_CAP_VARIABLES as readonly string[]).includes(k))), ...caps }, args);

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

  it("info's CPU features are the kernel's /proc/cpuinfo flags, and it names the ISA caps in force", () => {
    // CPUID + XGETBV in the addon against Linux's own view of the same CPU: the instructions that decide bf16,
    // int8 and the ISA caps, each present in one list exactly when it is in the other.
    const flags = new Set(/^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))![1].trim().split(/\s+/));
    const named = ['avx', 'fma', 'avx2', 'avx_vnni', 'avx512f', 'avx512bw', 'avx512_vnni', 'avx512_bf16', 'amx_bf16', 'amx_int8'];
    const info = JSON.parse(cli('info', '--json').stdout) as { cpuFeatures: string[]; isaCaps: Record<string, string> };
    expect(info.cpuFeatures).toEqual(named.filter((f) => flags.has(f)));
    const yes = (f: string) => (flags.has(f) ? 'yes' : 'no');
    const capped = withCaps({ ATEN_CPU_CAPABILITY: 'default', ONEDNN_MAX_CPU_ISA: 'SSE41' }, 'info');
    expect(capped.stdout).toMatch(new RegExp(`^CPU features +AVX2 ${yes('avx2')}, AVX-512 ${yes('avx512f')}, `, 'm'));
    expect(capped.stdout).toMatch(/^ISA caps +ATEN_CPU_CAPABILITY=default, ONEDNN_MAX_CPU_ISA=SSE41$/m);
    expect(capped.stdout).not.toMatch(/^CPU kernels +AVX/m);
    // A cap above the CPU is refused before a kernel runs (ATen ran AVX-512 code on an AVX2 CPU and died of
    // SIGILL); 'avx512' can only be refused where the CPU lacks it, and is taken where it has it.
    const above = withCaps({ ATEN_CPU_CAPABILITY: 'avx512' }, 'info');
    if (flags.has('avx512f') && flags.has('avx512bw')) expect(above.stdout).toMatch(/^CPU kernels +AVX512$/m);
    else expect(above.stderr).toMatch(/^ttl-torch \[E_BAD_ARGUMENT\]: ATEN_CPU_CAPABILITY=avx512 asks for instructions this CPU lacks \(avx512f/m);
  });

  it('bad input exits 1 with a message naming the problem', () => {
    const unknown = cli('cutoffs', 'resnet51');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toMatch(/^ttl-torch \[E_UNKNOWN_MODEL\]: unknown model 'resnet51'; available: /);
    const size = cli('cutoffs', 'resnet18', '--input', '5x');
    expect(size.stderr).toBe("ttl-torch [E_BAD_ARGUMENT]: Expected an integer between 16 and 4096 for --input but received '5x' of type string\n");
  });
});
