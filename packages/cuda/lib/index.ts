/**
 * @indrnn/cuda: the CUDA backend for indrnn. The core registers it as 'cuda' (priority 30) and
 * loads it on demand in Node; on machines without the built addon, an NVIDIA driver or a device,
 * the automatic choice skips it without a word and `setBackend('cuda')` says why.
 * `cudaInfo()` reports the device and the addon (for `indrnn info`).
 */
import { addon, addonPath, loadError } from './addon.js';

export {
  createCudaBackend,
  probeCuda,
  CudaStorage,
  CudaUnavailableError,
  type CudaBackend,
  type CudaBackendOptions,
} from './backend.js';
export type { DeviceInfo, MemoryStats, ProfileTotal } from './addon.js';

export type CudaInfo =
  | {
      available: true;
      addonPath: string;
      driverVersion: number;
      runtimeVersion: number;
      deviceCount: number;
    }
  | { available: false; error: string; addonBuilt: boolean };

/** Whether the addon is built and a device is visible, without creating a CUDA context. */
export function cudaInfo(): CudaInfo {
  if (!addon) return { available: false, error: loadError ?? 'unknown error', addonBuilt: false };
  const p = addon.probe();
  if (!p.ok) return { available: false, error: p.reason, addonBuilt: true };
  return {
    available: true,
    addonPath,
    driverVersion: p.driverVersion,
    runtimeVersion: p.runtimeVersion,
    deviceCount: p.deviceCount,
  };
}
