import type { MessageEvent } from '@nestjs/common';
import { interval, map, merge, type Observable } from 'rxjs';

/** Comment lines keep proxies from closing an idle stream. */
const HEARTBEAT_MS = 15_000;

/** A server-sent-events stream of `events`, with a `heartbeat` event every few seconds. */
export function withHeartbeat(events: Observable<MessageEvent>): Observable<MessageEvent> {
  const heartbeat = interval(HEARTBEAT_MS).pipe(
    map((): MessageEvent => ({ type: 'heartbeat', data: {} })),
  );
  return merge(events, heartbeat);
}
