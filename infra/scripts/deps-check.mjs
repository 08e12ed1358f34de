#!/usr/bin/env node
// `npm run deps:check`: prints the imports that break the service's architecture, and fails
// when there is one. Two rules:
//  1. Layers: inside services/device-management/src, a file imports only from its own layer or
//     from layers listed before it (LAYERS, lowest first). An import the other way runs back up.
//  2. Ports: no source file under services/ or edge-agent/ imports the event store but through
//     its root, @opcfleet/event-store; tests may also name /postgres, /pglite and /testing/*.
// Plain regexes over the sources, no type information: it runs in well under a second.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const serviceSrc = join(root, 'services/device-management/src');

/**
 * The layers of the device-management service, lowest first. Each is a list of paths (folders or
 * files) under src/; a file belongs to the layer of its longest matching path.
 */
const LAYERS = [
  ['shared', 'config'],
  ['auth'],
  // How every operation documents itself (summary, roles, errors): used by every controller.
  ['http/api-docs.ts'],
  // The pure domain: deciders, events, and the registry of job kinds.
  [
    'clients/domain',
    'jobs/domain',
    'jobs/update/domain',
    'jobs/config/domain',
    'rollouts/domain',
    'releases/domain',
    'jobs/job-kinds.ts',
    'jobs/update/update-job.kind.ts',
    'jobs/config/config-job.kind.ts',
  ],
  // Adapters and plumbing every feature uses.
  ['messaging'],
  ['observability'],
  ['http'],
  ['event-sourcing'],
  // The read side: row mappers, projections, documents.
  ['read-models'],
  // The features, each over the ones before it.
  ['clients'],
  // The version catalogue: jobs and rollouts resolve a release through it.
  ['releases'],
  ['jobs'],
  ['rollouts'],
  // The tenant-wide audit trail: reads every feature's events.
  ['audit'],
  // Webhook alerts: read the events of jobs and rollouts (by name) and the jobs read model.
  ['alerts'],
  // The console's features: its overview, its sign-in (development, settings), its assets.
  ['overview', 'dev-sign-in', 'console-settings', 'console-assets'],
  ['migrations'],
  ['workers'],
  ['embedded'],
  // Composition roots.
  ['app.module.ts', 'app.ts', 'start-service.ts', 'main.ts', 'openapi.cli.ts'],
];

/** The event store as source files may import it (its root), and as tests may. */
const PUBLIC_EVENT_STORE = new Set(['']);
const TEST_EVENT_STORE = new Set(['', '/postgres', '/pglite', '/testing']);

function* sourceFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((match) => match[1] ?? match[2]);
}

// Benchmarks set up databases with the testing helpers, as tests do.
const isTest = (file) =>
  file.endsWith('.spec.ts') || file.split('/').some((part) => part === 'test' || part === 'bench');

/** The index of the layer of a path under src/, or undefined outside every layer. */
function layerOf(pathInSrc) {
  let best;
  LAYERS.forEach((paths, index) => {
    for (const path of paths) {
      const matches =
        pathInSrc === path ||
        pathInSrc.startsWith(`${path}/`) ||
        pathInSrc.replace(/\.ts$/, '') === path.replace(/\.ts$/, '');
      if (matches && (!best || path.length > best.path.length)) best = { index, path };
    }
  });
  return best;
}

const violations = [];

for (const file of sourceFiles(serviceSrc)) {
  if (isTest(file)) continue;
  const from = layerOf(relative(serviceSrc, file));
  if (!from) {
    violations.push(`${relative(root, file)}: in no layer (add it to LAYERS)`);
    continue;
  }
  for (const specifier of importsOf(file)) {
    if (!specifier.startsWith('.')) continue;
    const target = relative(serviceSrc, resolve(dirname(file), specifier));
    if (target.startsWith('..')) continue;
    const to = layerOf(target);
    if (to && to.index > from.index) {
      violations.push(
        `${relative(root, file)} -> ${specifier}: layer '${from.path}' imports '${to.path}', a layer above it`,
      );
    }
  }
}

for (const top of ['services', 'edge-agent']) {
  for (const file of sourceFiles(join(root, top))) {
    for (const specifier of importsOf(file)) {
      const match = /^@opcfleet\/event-store(\/.*)?$/.exec(specifier);
      if (!match) continue;
      const path = match[1] ?? '';
      const allowed = isTest(file)
        ? TEST_EVENT_STORE.has(path) || path.startsWith('/testing/')
        : PUBLIC_EVENT_STORE.has(path);
      if (!allowed) {
        violations.push(`${relative(root, file)} -> ${specifier}: event-store internals`);
      }
    }
  }
}

for (const violation of violations) console.log(violation);
console.log(`deps:check: ${violations.length} violation(s)`);
process.exit(violations.length > 0 ? 1 : 0);
