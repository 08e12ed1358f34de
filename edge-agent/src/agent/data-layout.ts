import * as path from 'node:path';

/** Where the agent keeps its state under its data dir; the CLI reads the same places. */
export function dataLayout(dataDir: string) {
  return {
    /** Link: one record per job seen (dedupe, report sequence, last report). */
    jobs: path.join(dataDir, 'jobs'),
    /** Link: status reports not yet acknowledged by the broker. */
    outbox: path.join(dataDir, 'outbox'),
    /** Update machine snapshots and their transition logs. */
    updates: path.join(dataDir, 'updates'),
    /** Config apply: applied version and the last good file. */
    config: path.join(dataDir, 'config'),
    /** Held by the running daemon: a second one on this data dir refuses to start. */
    lock: path.join(dataDir, 'agent.lock'),
    /** Present while another client takes this identity's MQTT session (for `edge-agent status`). */
    sessionConflict: path.join(dataDir, 'session-conflict.json'),
  };
}

export const AGENT_VERSION = '0.1.0';
