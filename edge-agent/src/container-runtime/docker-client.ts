import './dockerode-without-extras';
import Docker from 'dockerode';

/**
 * A dockerode client for an engine address: `unix:///path/to.sock` or `tcp://host:port`
 * (plain HTTP); without one, the engine's usual socket.
 */
export function dockerClient(dockerHost: string | undefined): Docker {
  return new Docker(engineConnection(dockerHost));
}

function engineConnection(dockerHost: string | undefined): Docker.DockerOptions {
  if (!dockerHost) return { socketPath: '/var/run/docker.sock' };
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length) };
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return { host: url.hostname, port: Number(url.port || 2375), protocol: 'http' };
}
