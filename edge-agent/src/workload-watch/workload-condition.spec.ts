import type { ContainerInfo } from '../container-runtime/container-runtime.port';
import { conditionOf } from './workload-condition';

const T1 = '2026-11-30T10:00:00.000Z';
const T2 = '2026-11-30T10:00:10.000Z';
const container = (overrides: Partial<ContainerInfo> = {}): ContainerInfo => ({
  id: 'c1',
  name: 'opc-core',
  imageRef: 'r/opc:2',
  imageId: 'i2',
  running: true,
  restarting: false,
  exitCode: 0,
  restartCount: 0,
  health: 'none',
  labels: {},
  ipAddresses: [],
  ...overrides,
});

describe('workload condition', () => {
  it('is fine for a running container, and names what is wrong otherwise', () => {
    expect(conditionOf(container(), 'opc-core', null, null, T1)).toEqual({ running: true });
    expect(conditionOf(null, 'opc-core', null, null, T1).problem?.code).toBe('missing');
    expect(
      conditionOf(container({ running: false, exitCode: 137 }), 'opc-core', null, null, T1),
    ).toEqual({
      running: false,
      problem: { code: 'exited', message: 'opc-core exited with code 137', since: T1 },
    });
    expect(
      conditionOf(container({ health: 'unhealthy' }), 'opc-core', null, null, T1).problem?.code,
    ).toBe('unhealthy');
  });

  it('sees a crash the restart policy hid: the same container restarted since the last look', () => {
    const restarted = container({ restartCount: 3 });
    const last = { containerId: 'c1', restartCount: 2 };
    expect(conditionOf(restarted, 'opc-core', last, null, T1).problem?.code).toBe('restarting');
    // Another container (a new version) starts its own count.
    expect(
      conditionOf(restarted, 'opc-core', { containerId: 'c0', restartCount: 0 }, null, T1),
    ).toEqual({ running: true });
  });

  it('keeps the time a problem was first seen while it lasts', () => {
    const down = container({ running: false, exitCode: 1 });
    const first = conditionOf(down, 'opc-core', null, null, T1);
    expect(conditionOf(down, 'opc-core', null, first, T2).problem?.since).toBe(T1);
    expect(conditionOf(null, 'opc-core', null, first, T2).problem?.since).toBe(T2);
  });
});
