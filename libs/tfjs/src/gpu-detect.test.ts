import { describe, expect, it } from 'vitest';
import { detectGpu, NVIDIA_DEVICE_FILE } from './gpu-detect.js';

describe('detectGpu', () => {
  const noFiles = () => false;

  it('sees a GPU through the driver device file', () => {
    expect(detectGpu({ env: {}, fileExists: (file) => file === NVIDIA_DEVICE_FILE })).toBe(true);
  });

  it('sees a GPU exposed by the NVIDIA container runtime', () => {
    expect(detectGpu({ env: { NVIDIA_VISIBLE_DEVICES: 'all' }, fileExists: noFiles })).toBe(true);
    expect(detectGpu({ env: { NVIDIA_VISIBLE_DEVICES: '0,1' }, fileExists: noFiles })).toBe(true);
  });

  it('sees none without either, or when devices are hidden', () => {
    expect(detectGpu({ env: {}, fileExists: noFiles })).toBe(false);
    expect(detectGpu({ env: { NVIDIA_VISIBLE_DEVICES: 'void' }, fileExists: noFiles })).toBe(false);
    expect(detectGpu({ env: { NVIDIA_VISIBLE_DEVICES: 'none' }, fileExists: noFiles })).toBe(false);
    expect(detectGpu({ env: { NVIDIA_VISIBLE_DEVICES: '' }, fileExists: noFiles })).toBe(false);
  });
});
