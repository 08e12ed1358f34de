import http from 'node:http';
import { ApiApp } from '../support/api-app';

/**
 * A proxy in front (Kong) keeps idle connections to the service for up to 60 s and sends the
 * next request on one of them. The service must not be the side that closes them: with Node's
 * default of 5 s, a request sent as the service closes the connection fails with a 502.
 */
let api: ApiApp;
beforeAll(async () => {
  api = await ApiApp.start();
});
afterAll(() => api?.stop());

/** GET /health on the agent's one kept-alive socket; the local port names the connection. */
function health(agent: http.Agent): Promise<{ status: number; localPort: number }> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${api.url}/health`, { agent }, (response) => {
      response.resume();
      response.on('end', () =>
        resolve({ status: response.statusCode!, localPort: request.socket!.localPort! }),
      );
    });
    request.on('error', reject);
  });
}

it('keeps an idle keep-alive connection open past Node’s 5 s default, for the proxy to reuse', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const first = await health(agent);
    // Idle for longer than Node's default: time passing is what is tested here.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const second = await health(agent);

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.localPort).toBe(first.localPort);
  } finally {
    agent.destroy();
  }
}, 20_000);
