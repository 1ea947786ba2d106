#!/usr/bin/env node
import { Command } from 'commander';
import { TtlError } from '../errors.js';
import { listModels, getModelCard } from '../registry.js';
import { runtimeInfo } from '../runtime.js';
import { cutoffsCommand } from './cutoffs.js';

const program = new Command();
program.name('ttl-torch').description('Truncated transfer learning for medical image classification (LibTorch core)');

program
  .command('cutoffs')
  .description('per unit k: output shape, params and MACs of the truncated backbone and of backbone + TTL head')
  .argument('<model>', `model name (${listModels().join(', ')})`)
  .option('--input <size>', 'input image size in pixels', '224')
  .option('--classes <n>', 'classes of the TTL head', '2')
  .option('--json', 'print JSON instead of a table')
  .action(cutoffsCommand);

program
  .command('info')
  .description('LibTorch version, device, CUDA availability and threads')
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean }) => {
    const info = await runtimeInfo();
    if (options.json) return void process.stdout.write(JSON.stringify(info, null, 2) + '\n');
    const lines = [
      `LibTorch        ${info.libtorch}`,
      `default device  ${info.defaultDevice}`,
      `CUDA available  ${info.cudaAvailable ? `yes (${info.cudaDevices} device${info.cudaDevices === 1 ? '' : 's'})` : 'no'}`,
      `threads         ${info.threads} (compute thread)`,
      `flush denormal  ${info.flushDenormal ? 'on' : 'unsupported on this CPU'}`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
  });

program
  .command('models')
  .description('registered backbones with their units, blocks and known weights')
  .action(() => {
    for (const name of listModels()) {
      const card = getModelCard(name);
      process.stdout.write(`${name.padEnd(14)} ${String(card.units.length).padStart(3)} units, blocks end at ${card.blocks.join('/')}; weights: ${Object.keys(card.weights).join(', ') || 'none'}\n`);
    }
  });

program.parseAsync().catch((error: unknown) => {
  const code = error instanceof TtlError ? ` [${error.code}]` : '';
  process.stderr.write(`ttl-torch${code}: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
