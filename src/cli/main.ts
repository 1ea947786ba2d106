#!/usr/bin/env node
import { Command } from 'commander';
import { TtlError } from '../errors.js';
import { listModels, getModelCard } from '../registry.js';
import { computeThreadIdle } from '../native/loader.js';
import { runtimeInfo } from '../runtime.js';
import { hasBf16Instructions, hasVnni } from '../native/isa.js';
import { cutoffsCommand } from './cutoffs.js';
import { gradcamCommand, gradcamCompareCommand, svccaCommand } from './analysis.js';
import { exportCommand } from './export.js';
import { predictCommand } from './predict.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';

/**
 * The instructions that decide ttl-torch's kernels and precisions, each yes or no, then the raw list: what a bug
 * report about a number that moves between machines needs.
 */
function cpuFeatureLine(features: string[]): string {
  const yes = (on: boolean) => (on ? 'yes' : 'no');
  const has = (...names: string[]) => yes(names.some((n) => features.includes(n)));
  const groups = [
    `AVX2 ${has('avx2')}`, `AVX-512 ${has('avx512f')}`, `VNNI ${yes(hasVnni(features))}`,
    `BF16 ${yes(hasBf16Instructions(features))}`, `AMX ${has('amx_bf16', 'amx_int8')}`,
  ];
  return `${groups.join(', ')} (${features.join(' ') || 'none detected'})`;
}

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
  .command('run')
  .description('compare transfer strategies and search the cutoff; with no options, a small PneumoniaMNIST + SqueezeNet demo')
  .option('--config <file>', 'JSON or YAML config file (keys as the options below, camelCase)')
  .option('--task <classification|segmentation|multilabel>', 'segmentation: a U-Net decoder on each truncated encoder, Dice/Jaccard; multilabel: a sigmoid per label, macro AUROC/AUPRC')
  .option('--data <name|path>', 'pneumoniamnist, breastmnist, a MedMNIST .npz, a folder of class folders, or a CSV manifest (file,label or file,mask)')
  .option('--data-cache <dir|off>', "folders and CSVs: where decoded images are cached for later runs (default $TTL_TORCH_CACHE/decoded, else ~/.cache/ttl-torch/decoded); 'off' decodes into memory")
  .option('--label-classes <json>', 'segmentation: foreground classes by label value, e.g. \'{"liver":[5]}\'')
  .option('--intensity <window>', "volumes: 'minmax', a CT window (abdomen, lung, bone, brain, mediastinum) or LOW,HIGH")
  .option('--dicom-window <policy>', "DICOM images: 'auto' (the stored window unless it clamps most of the image, else its range), 'stored', 'minmax', a CT window or LOW,HIGH")
  .option('--dicom-frame <frame>', "multi-frame DICOM: 'middle', 'all' (every frame a sample) or a 0-based frame for a 2D network, 'volume' for a 3D one (without it such files are refused)")
  .option('--slices', 'segmentation of volumes with a 2D network: train on axial slices')
  .option('--model <name>', 'backbone (ttl-torch models)')
  .option('--weights <name|path>', "weights name (e.g. imagenet), a checkpoint path, or 'none'")
  .option('--allow-missing', 'accept a partial checkpoint (missing units stay random)')
  .option('--allow-outside-paths', 'a CSV manifest may name files outside its folder (refused by default)')
  .option('--strategies <list>', 'comma-separated: ftl,ffe,lwft,tf,ttl')
  .option('--search <mode>', 'block | two-stage | all | probe | k=LIST')
  .option('--probe-top <n>', "search 'probe': cutoffs to finetune, best by linear probe")
  .option('--radius <n>', 'stage-2 neighbourhood in units')
  .option('--repeats <n>', 'seeds per trial')
  .option('--epochs <n>')
  .option('--image-size <n>')
  .option('--batch-size <n>')
  .option('--lr <eta|auto>', "head learning rate; 'auto': an LR range test per strategy and cutoff picks it")
  .option('--warmup <fraction>', 'linear warm-up over this fraction of all steps, then cosine decay per step')
  .option('--clip-grad-norm <norm>', 'rescale a step whose global gradient norm exceeds this (0: never)')
  .option('--last-batch <drop|keep|even>', "the samples that do not fill a last batch: dropped (default), a ragged batch, or near-equal batches")
  .option('--optimizer <sgd|adamw>')
  .option('--autocast <bf16|none>', 'bf16 mixed precision (fp16 is refused: it would train without loss scaling)')
  .option('--device <auto|cpu|cuda>')
  .option('--analyses <list|none>', "after the trials: svcca,gradcam (classification default), masks (2D segmentation default), or 'none'")
  .option('--seed <n>')
  .option('--out <dir>', 'run directory (default runs/<model>-<data>)')
  .option('--resume <dir>', 'continue a run; journaled trials are not redone')
  .option('--workers <n>', 'trial-parallel on this machine: n processes (this one and n-1 it spawns) share the cores')
  .option('--world-size <n>', 'trial-parallel over machines: processes in all (default: WORLD_SIZE)')
  .option('--rank <r>', 'this process (0 owns the run directory; default: RANK)')
  .option('--master <host:port>', "rank 0's c10d store (default: MASTER_ADDR:MASTER_PORT, port 29500)")
  .option('--devices <list>', "one device per worker, e.g. cuda:0,cuda:1 (rank r uses entry r mod the count, which must divide the workers)")
  .option('--ddp', 'with --workers or a world: train each trial on all ranks together (data-parallel) instead of one trial per rank')
  .option('--sync-bn', "with --ddp: batch norms use the statistics of the whole global batch (SyncBatchNorm), not each rank's")
  .option('--lease <seconds>', "a worker silent this long loses its trial to the queue", '30')
  .option('--connect-timeout <seconds>', 'how long a worker tries to reach the master (and waits for its answers)', '60')
  .option('--threads <n|auto|adaptive>', "intra-op threads of each trial: auto (the cores this process may use, fixed for the run), adaptive (the free cores when each trial starts: not reproducible) or a number")
  .option('--deterministic', "LibTorch's deterministic algorithms (an operation without one fails); refuses --threads adaptive")
  .option('--dry-run', 'print the trial plan and an estimated cost, train nothing')
  .option('--json', 'print results as JSON')
  .action(runCommand);

program
  .command('predict')
  .description('classify (or segment) images with a checkpoint saved by a run or finetune(), as training preprocessed them')
  .argument('<checkpoint>', '.safetensors checkpoint (e.g. RUN/trials/<id>/best.safetensors)')
  .argument('<inputs...>', 'PNG, JPEG or DICOM files')
  .option('--json', 'one JSON object per line: input, label, className, probabilities')
  .option('--csv', 'CSV with a header: input,label,class,p_<class>...')
  .option('--device <auto|cpu|cuda>')
  .option('--batch-size <n>', 'images per native call', '16')
  .action(predictCommand);

program
  .command('export')
  .description('write a checkpoint\'s network as ONNX (opset 17, dynamic batch), with its preprocessing in the metadata')
  .argument('<checkpoint>', '.safetensors checkpoint saved by a run or finetune()')
  .requiredOption('-o, --output <file>', 'the .onnx file to write')
  .option('--keep-batch-norm', 'keep BatchNormalization nodes instead of folding them into the convolutions')
  .action(exportCommand);

program
  .command('report')
  .description("regenerate a run's results and report.html from its journal")
  .argument('<dir>', 'run directory')
  .action(reportCommand);

program
  .command('svcca')
  .description('SVCCA of a run: per unit, pretrained vs finetuned (against a random-init baseline), and across blocks')
  .argument('<dir>', 'run directory')
  .option('--trial <id>', 'trial to analyse (default: the FTL trial)')
  .option('--units <list>', 'units k, comma-separated (default: all kept units)')
  .option('--samples <n>', 'training images used as datapoints', '5000')
  .option('--spatial <n>', 'fold n random positions per image into datapoints instead of pooling', '0')
  .option('--json', 'print JSON')
  .action(svccaCommand);

program
  .command('gradcam')
  .description('Grad-CAM heatmap overlays (PNG) for images, or slice montages for volumes with a 3D network, from a checkpoint written by ttl-torch')
  .argument('<inputs...>', 'PNG/JPEG files, or NIfTI files / DICOM-series folders for a 3D network')
  .requiredOption('--checkpoint <file>', 'a trial checkpoint (runs/NAME/trials/ID/best.safetensors)')
  .option('--unit <k|name>', 'unit whose output is explained (default: the last kept unit)')
  .option('--class <c>', 'target class (default: the predicted one)')
  .option('--size <px>', 'input size (volumes: a cube of this side)', '64')
  .option('--intensity <window>', "volumes: 'minmax' (default), a CT window (abdomen, lung, bone, brain, mediastinum) or LOW,HIGH")
  .option('--out <dir>', 'output folder', 'gradcam')
  .action(gradcamCommand);

program
  .command('gradcam-compare')
  .description("side-by-side Grad-CAM of a run's FTL and TTL models on test images, added to report.html")
  .argument('<dir>', 'run directory')
  .option('--count <n>', 'test images', '4')
  .action(gradcamCompareCommand);

program
  .command('info')
  .description('LibTorch version, device, CUDA availability, threads and the CPU instructions that decide kernels')
  .option('--json', 'print JSON')
  .action(async (options: { json?: boolean }) => {
    const info = await runtimeInfo();
    if (options.json) return void process.stdout.write(JSON.stringify(info, null, 2) + '\n');
    const from = { debian: "Debian's libtorch-dev", pip: "PyTorch's pip wheel", unpacked: 'LIBTORCH' };
    const compiled = (yes: boolean) => (yes ? 'compiled in' : 'not compiled in');
    const lines = [
      `LibTorch        ${info.libtorch}${info.libtorchFrom ? ` (${from[info.libtorchFrom.source]}: ${info.libtorchFrom.dir})` : ''}`,
      `default device  ${info.defaultDevice}`,
      `CUDA            ${compiled(info.cudaCompiled)}; available: ${info.cudaAvailable ? `yes (${info.cudaDevices} device${info.cudaDevices === 1 ? '' : 's'})` : 'no'}`,
      `c10d            gloo ${compiled(info.distributed.gloo)}, NCCL ${compiled(info.distributed.nccl)}`,
      `threads         ${info.threads} (compute thread; ${info.adaptiveThreads ? `follows the free cores, others kept ${info.othersBusyCores.toFixed(1)} busy` : 'fixed'})`,
      `usable cores    ${info.cpuLimit.cores} (${info.cpuLimit.affinity} in the affinity mask${info.cpuLimit.quota ? `, cgroup quota ${info.cpuLimit.quota} cores in ${info.cpuLimit.quotaFile}` : ', no cgroup CPU quota'})`,
      `CPU kernels     ${info.cpuCapability}`,
      `CPU features    ${cpuFeatureLine(info.cpuFeatures)}`,
      `ISA caps        ${Object.entries(info.isaCaps).map(([name, value]) => `${name}=${value}`).join(', ') || 'none'}`,
      `flush denormal  ${info.flushDenormal ? 'on' : 'unsupported on this CPU'}`,
      `addon           ${info.addon}`,
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

program.parseAsync().catch(async (error: unknown) => {
  const code = error instanceof TtlError ? ` [${error.code}]` : '';
  process.stderr.write(`ttl-torch${code}: ${error instanceof Error ? error.message : String(error)}\n`);
  await computeThreadIdle();
  process.exit(1);
});
