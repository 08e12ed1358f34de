#!/usr/bin/env node
import { DataDirLockedError } from '../agent/data-dir-lock';
import { startEdgeAgent } from '../agent/edge-agent';
import {
  InvalidSettingsError,
  loadAgentSettings,
  loadTracingSettings,
  variableFor,
} from '../config/agent-settings';
import { AgentData } from './agent-data';
import { formatHistory, formatJob, formatStatus } from './format';

const USAGE = `usage: edge-agent <command> [options]

  run                 run the daemon (settings from EDGE_AGENT_* variables or EDGE_AGENT_SETTINGS_FILE)
  status [--json]     the current job, its state and how long it has been there
  inspect [jobId] [--json]
                      a job's persisted snapshot and transition log (the latest job by default)
  history [--json]    every job the device remembers

  --data-dir DIR      where the daemon keeps its state (default: ${variableFor('dataDir')} or /var/lib/opcfleet-agent)`;

/** The CLI entry point: `run` starts the daemon; the other commands read the data dir directly. */
async function main(argv: string[]): Promise<number> {
  const { command, positional, json, dataDir } = parseArguments(argv);
  if (command === 'run') return run();
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const data = new AgentData(dataDir);
  const now = new Date();
  const print = (value: unknown, text: () => string) =>
    console.log(json ? JSON.stringify(value, null, 2) : text());
  switch (command) {
    case 'status': {
      const jobs = await data.jobs();
      const pending = await data.pendingReports();
      const sessionConflict = await data.sessionConflict();
      print(
        { running: jobs.filter((j) => !j.finished), pendingReports: pending, sessionConflict },
        () => formatStatus(jobs, pending, now, sessionConflict),
      );
      return 0;
    }
    case 'inspect': {
      const job = await data.job(positional[0]);
      if (!job) {
        console.error(
          positional[0] ? `no job ${positional[0]} in ${dataDir}` : `no jobs in ${dataDir}`,
        );
        return 1;
      }
      print(job, () => formatJob(job, now));
      return 0;
    }
    case 'history': {
      const jobs = await data.jobs();
      print(jobs, () => formatHistory(jobs));
      return 0;
    }
    default:
      console.error(`unknown command ${command}\n\n${USAGE}`);
      return 2;
  }
}

async function run(): Promise<number> {
  let settings;
  let tracing;
  try {
    settings = loadAgentSettings();
    tracing = loadTracingSettings();
  } catch (err) {
    if (err instanceof InvalidSettingsError) {
      console.error(err.message);
      return 78; // EX_CONFIG
    }
    throw err;
  }
  // Listening before the start: a stop asked for while the agent starts waits for it, then
  // stops it cleanly (the lock released), instead of killing it halfway.
  const stopAsked = new Promise<NodeJS.Signals>((resolve) => {
    const shutdown = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', shutdown).off('SIGINT', shutdown);
      resolve(signal);
    };
    process.on('SIGTERM', shutdown).on('SIGINT', shutdown);
  });
  let agent;
  try {
    agent = await startEdgeAgent(settings, {}, tracing);
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      console.error(`edge-agent: ${err.message}`);
      return 75; // EX_TEMPFAIL
    }
    throw err;
  }
  console.error(`edge-agent: ${await stopAsked}, stopping`);
  await agent.stop().catch((err: unknown) => console.error('edge-agent: stop failed', err));
  // Engine sockets may linger after a clean stop; they must not keep a stopped daemon alive.
  setTimeout(() => process.exit(0), 500).unref();
  return 0;
}

function parseArguments(argv: string[]) {
  const positional: string[] = [];
  let json = false;
  let dataDir = process.env[variableFor('dataDir')] ?? '/var/lib/opcfleet-agent';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--json') json = true;
    else if (argv[i] === '--data-dir') dataDir = argv[++i] ?? dataDir;
    else positional.push(argv[i]);
  }
  const [command, ...rest] = positional;
  return { command, positional: rest, json, dataDir };
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  },
);
