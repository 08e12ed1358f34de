import { KeyedWorkQueue } from './keyed-work-queue';

const tick = (ms = 5) => new Promise((resolve) => setTimeout(resolve, ms));

describe('KeyedWorkQueue', () => {
  it('runs the tasks of one key in order, even when an earlier one is slower', async () => {
    const queue = new KeyedWorkQueue({ running: 10, accepted: 10 });
    const order: string[] = [];
    await queue.push('job-1', async () => {
      await tick(30);
      order.push('first');
    });
    await queue.push('job-1', async () => {
      order.push('second');
    });
    await queue.drain();
    expect(order).toEqual(['first', 'second']);
  });

  it('runs different keys in parallel', async () => {
    const queue = new KeyedWorkQueue({ running: 10, accepted: 10 });
    const order: string[] = [];
    await queue.push('job-1', async () => {
      await tick(30);
      order.push('slow');
    });
    await queue.push('job-2', async () => {
      order.push('fast');
    });
    await queue.drain();
    expect(order).toEqual(['fast', 'slow']);
  });

  it('accepts tasks beyond those running, and starts them as others finish', async () => {
    const queue = new KeyedWorkQueue({ running: 2, accepted: 100 });
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const started: string[] = [];
    for (const key of ['a', 'b', 'c', 'd']) {
      await queue.push(key, async () => {
        started.push(key);
        await blocked;
      });
    }
    expect(queue.size).toBe(4);
    expect(started).toEqual(['a', 'b']);
    release();
    await queue.drain();
    expect(started).toEqual(['a', 'b', 'c', 'd']);
  });

  it('holds no more than it accepts until a task finishes', async () => {
    const queue = new KeyedWorkQueue({ running: 1, accepted: 2 });
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    await queue.push('a', () => blocked);
    await queue.push('b', async () => undefined);
    let thirdAccepted = false;
    const third = queue.push('c', async () => undefined).then(() => (thirdAccepted = true));
    await tick();
    expect(thirdAccepted).toBe(false);
    expect(queue.size).toBe(2);
    release();
    await third;
    expect(thirdAccepted).toBe(true);
    await queue.drain();
    expect(queue.size).toBe(0);
  });

  it('keeps going after a failing task', async () => {
    const queue = new KeyedWorkQueue({ running: 1, accepted: 1 });
    const done: string[] = [];
    await queue.push('a', async () => {
      throw new Error('boom');
    });
    await queue.push('a', async () => {
      done.push('after');
    });
    await queue.drain();
    expect(done).toEqual(['after']);
  });
});
