import { spawn } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { rssMb } from '@keywatch/testkit/support';
import { cpuSeconds, descendants, machineCpuSeconds, sampleRss } from './procs.js';

describe('process figures from /proc', () => {
  test('RSS and CPU of this process, the machine, and a child in the tree', async () => {
    expect(rssMb(process.pid)).toBeGreaterThan(10);
    expect(cpuSeconds(process.pid)).toBeGreaterThan(0);
    expect(machineCpuSeconds()).toBeGreaterThan(0);
    expect(rssMb(2 ** 22 + 1)).toBeNaN();
    const child = spawn('sleep', ['5']);
    try {
      expect(descendants(process.pid)).toContain(child.pid);
      const sampler = sampleRss(20);
      await new Promise((r) => setTimeout(r, 60));
      const peaks = sampler.stop();
      expect(peaks.get('bench (this process)')).toBeGreaterThan(10);
      expect(peaks.get('sleep')).toBeGreaterThan(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
