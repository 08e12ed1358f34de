import type { ReloadVerdict } from '../config-apply/config-decision';
import { httpGet } from '../container-runtime/http-get';

/**
 * Reads the workload's own verdict on its config from an HTTP endpoint that answers `applied`
 * or `rejected` (the sample image serves `/config-status`). It is polled after a first wait,
 * so the answer read is the one about the reload just asked for, not the previous one.
 */
export async function awaitConfigVerdict(
  url: string,
  options: { settleMs: number; timeoutMs: number; intervalMs?: number },
): Promise<ReloadVerdict> {
  const deadline = Date.now() + options.timeoutMs;
  await sleep(options.settleMs);
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await httpGet(url, {
        timeoutMs: Math.max(100, deadline - Date.now()),
        maxBytes: 4096,
      });
      const body = response.body.trim();
      last = `${response.status} ${body.slice(0, 200)}`;
      const ok = response.status >= 200 && response.status < 300;
      if (ok && body.startsWith('applied')) return { accepted: true };
      if (body.startsWith('rejected')) {
        return {
          accepted: false,
          reason: `the workload rejected the config (${url} says "${body.slice(0, 200)}")`,
        };
      }
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(options.intervalMs ?? 100);
  }
  return {
    accepted: false,
    reason: `no verdict from ${url} within ${options.timeoutMs} ms (last: ${last})`,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
