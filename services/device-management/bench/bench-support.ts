import { createBroker } from 'aedes';
import net from 'node:net';

/** P50/P95/P99 and max of a list of milliseconds. */
export function percentiles(samples: number[]): Record<'p50' | 'p95' | 'p99' | 'max', number> {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1) ?? NaN };
}

export const ms = (value: number) => `${value.toFixed(2)} ms`;

/** The broker of a benchmark run: BENCH_MQTT_URL, or an in-process aedes on a free port. */
export async function benchBroker(): Promise<{
  url: string;
  name: string;
  close(): Promise<void>;
}> {
  if (process.env.BENCH_MQTT_URL) {
    return {
      url: process.env.BENCH_MQTT_URL,
      name: process.env.BENCH_MQTT_URL,
      close: async () => undefined,
    };
  }
  const aedes = createBroker();
  const server = net.createServer(aedes.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    name: 'in-process aedes (MQTT 3.1.1)',
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
