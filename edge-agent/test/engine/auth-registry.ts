import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CERTS_D = '/etc/containers/certs.d';

/**
 * A second registry that asks for credentials (htpasswd, bcrypt), on an ephemeral port, over
 * TLS with a throwaway CA that the engine trusts through certs.d (read at each pull, so the
 * engine needs no restart, unlike an "insecure" entry in registries.conf).
 */
export class AuthRegistry {
  address = '';
  readonly username = 'fleet';
  readonly password = `pw-${Math.random().toString(36).slice(2)}`;
  private dir = '';
  private process: ChildProcess | null = null;

  async start(): Promise<void> {
    const port = await freePort();
    this.address = `127.0.0.1:${port}`;
    this.dir = await mkdtemp(join(tmpdir(), 'auth-registry-'));
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(this.dir, 'key.pem'),
      '-out',
      join(this.dir, 'cert.pem'),
    ]);
    const { stdout } = await run('htpasswd', ['-Bbn', this.username, this.password]);
    await writeFile(join(this.dir, 'htpasswd'), stdout);
    await writeFile(
      join(this.dir, 'config.yml'),
      [
        'version: 0.1',
        'log: { level: error }',
        `storage: { filesystem: { rootdirectory: ${join(this.dir, 'data')} } }`,
        `http: { addr: ${this.address}, tls: { certificate: ${join(this.dir, 'cert.pem')}, key: ${join(this.dir, 'key.pem')} } }`,
        `auth: { htpasswd: { realm: test, path: ${join(this.dir, 'htpasswd')} } }`,
      ].join('\n'),
    );
    await mkdir(join(CERTS_D, this.address), { recursive: true });
    await run('cp', [join(this.dir, 'cert.pem'), join(CERTS_D, this.address, 'ca.crt')]);
    this.process = spawn('docker-registry', ['serve', join(this.dir, 'config.yml')], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`https://${this.address}/v2/`).then(
        () => true,
        () => false,
      );
      if (ok || (await portOpen(port))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the auth registry did not start');
  }

  /** Pushes a local image into this registry under `path:tag`. */
  async push(localImage: string, path: string): Promise<string> {
    const target = `${this.address}/${path}`;
    // Pushed under the new name without a local tag: see workload-fixture.ts on Podman's names.
    const creds = `${this.username}:${this.password}`;
    await run('podman', ['push', '-q', '--creds', creds, localImage, target]);
    return target;
  }

  async stop(): Promise<void> {
    this.process?.kill('SIGTERM');
    await rm(join(CERTS_D, this.address), { recursive: true, force: true });
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
