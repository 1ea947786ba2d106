// `--devices cuda:0,cuda:1`: one device per rank of a run. Rank r computes on devices[r % devices.length], so the
// list names one device per worker, or fewer that the workers share round-robin (the count must divide them).
// Checked against this LibTorch before anything trains: a device it cannot use is named in the refusal.
import { TtlError, invalidParameterError } from '../errors.js';
import type { RuntimeInfo } from '../runtime.js';
import type { Device } from '../model.js';

const DEVICE = /^(cpu|cuda:(\d+))$/;

/** The devices of a comma-separated list for a world of `ranks` processes. */
export function parseDevices(list: string, ranks: number): Device[] {
  const devices = list.split(',').map((d) => d.trim());
  for (const device of devices)
    if (!DEVICE.test(device)) throw invalidParameterError('--devices', "a comma-separated list of 'cpu' or 'cuda:I' (I a device index)", device);
  if (ranks % devices.length !== 0)
    throw new TtlError('E_BAD_ARGUMENT', `--devices lists ${devices.length} devices for ${ranks} workers: give one per worker, or a number of devices that divides the workers`);
  return devices as Device[];
}

/** Refuses a CUDA device that this LibTorch or this machine does not have. */
export function checkDevices(devices: Device[], info: Pick<RuntimeInfo, 'cudaAvailable' | 'cudaDevices' | 'libtorch'>): void {
  for (const device of devices) {
    const index = DEVICE.exec(device)?.[2];
    if (index === undefined) continue;
    if (!info.cudaAvailable)
      throw new TtlError('E_NO_CUDA', `--devices: '${device}' needs CUDA, which this LibTorch (${info.libtorch}) does not have; build against a CUDA LibTorch via LIBTORCH=...`);
    if (Number(index) >= info.cudaDevices)
      throw new TtlError('E_NO_CUDA', `--devices: '${device}' does not exist: this machine has ${info.cudaDevices} CUDA device(s) (cuda:0..cuda:${info.cudaDevices - 1})`);
  }
}

/** The device rank `rank` computes on. */
export const deviceOfRank = (devices: Device[], rank: number): Device => devices[rank % devices.length];
