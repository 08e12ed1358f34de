import type { JobView, RolloutSummary } from '../api/types';
import { ChangeStream } from './change-stream';

/** An EventSource the test drives: open, fail, deliver. */
class ScriptedSource {
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  private readonly handlers = new Map<string, (event: MessageEvent) => void>();
  closed = false;
  addEventListener(type: string, listener: (event: MessageEvent) => void) {
    this.handlers.set(type, listener);
  }
  close() {
    this.closed = true;
  }
  emit(type: string, data: string) {
    this.handlers.get(type)?.({ data } as MessageEvent);
  }
}

/** A stream whose sources the test holds, in the order they were opened. */
function scriptedStream<T>(event: string) {
  const sources: ScriptedSource[] = [];
  const stream = new ChangeStream<T>({
    url: '/changes',
    event,
    pollIntervalMs: 1000,
    open: () => {
      const source = new ScriptedSource();
      sources.push(source);
      return source;
    },
  });
  return { stream, sources };
}

describe('a change stream', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('passes jobs on, polls while the stream is down, and reopens a closed stream', () => {
    const { stream, sources } = scriptedStream<JobView>('job');
    const seen: unknown[] = [];
    const states: string[] = [];
    stream.subscribe((job) => seen.push(job?.jobId ?? 'refresh'));
    stream.onStateChange((state) => states.push(state));
    stream.start();
    sources[0].onopen!({} as Event);
    sources[0].emit('job', JSON.stringify({ jobId: 'j1' }));
    expect(seen).toEqual(['refresh', 'j1']);

    sources[0].readyState = 2;
    sources[0].onerror!({} as Event);
    jest.advanceTimersByTime(1000);
    expect(states).toEqual(['live', 'lost']);
    expect(sources).toHaveLength(2);
    expect(seen).toEqual(['refresh', 'j1', 'refresh']);
    jest.advanceTimersByTime(1000);
    expect(seen).toHaveLength(4);

    sources[1].onopen!({} as Event);
    jest.advanceTimersByTime(5000);
    expect(states).toEqual(['live', 'lost', 'live']);
    expect(seen).toHaveLength(5);
    stream.stop();
    expect(sources[1].closed).toBe(true);
  });

  it('passes on only the events of its type; one it cannot read asks for a refresh', () => {
    const { stream, sources } = scriptedStream<RolloutSummary>('rollout');
    const seen: unknown[] = [];
    stream.subscribe((rollout) => seen.push(rollout ? rollout.status : 'refresh'));
    stream.start();
    sources[0].emit('heartbeat', '{}');
    sources[0].emit('job', JSON.stringify({ jobId: 'j1' }));
    sources[0].emit('rollout', JSON.stringify({ rolloutId: 'r1', status: 'Paused' }));
    sources[0].emit('rollout', 'not json');
    expect(seen).toEqual(['Paused', 'refresh']);
    stream.stop();
  });
});
