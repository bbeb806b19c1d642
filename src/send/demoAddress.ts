/**
 * Where the demo (`npm start`) listens and where `sales-webhooks send` posts by default: both read PORT and HOST,
 * so a demo moved to another port is still the one the sender reaches.
 */
export const DEFAULT_DEMO_PORT = 1880;
export const DEFAULT_DEMO_HOST = '127.0.0.1';

export function demoPort(env: NodeJS.ProcessEnv = process.env): number {
  const port = Number(env.PORT);
  return Number.isInteger(port) && port > 0 && port < 65536 ? port : DEFAULT_DEMO_PORT;
}

/** The address to reach the demo at: HOST, except that a wildcard (listen everywhere) is reached on loopback. */
export function demoBaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.HOST && !['0.0.0.0', '::', '[::]'].includes(env.HOST) ? env.HOST : DEFAULT_DEMO_HOST;
  return `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${demoPort(env)}`;
}
