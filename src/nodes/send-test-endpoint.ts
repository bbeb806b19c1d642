import type { Server } from 'node:http';
import { Server as HttpsServer } from 'node:https';
import type { NodeAPI } from 'node-red';
import type { Agent } from 'undici';
import { undiciLibrary } from '../shared/libraries';
import { buildTestDelivery, testEventTypes } from '../send/testEvent';
import type { SalesWebhookSourceNode } from './source-node';

interface DeployedWebhookIn {
  type: string;
  url?: string;
  source?: SalesWebhookSourceNode;
}

/**
 * The dialog's "Send test event" button: the runtime signs the chosen example with the deployed source's own
 * secret (which never travels to the browser) and posts it to the node's URL on this Node-RED, at the address and
 * with the scheme its server actually listens on.
 */
export function registerSendTestEndpoint(RED: NodeAPI): void {
  RED.httpAdmin.post(
    '/sales-webhook-in/:id/send-test',
    RED.auth.needsPermission('sales-webhook-in.write'),
    async (req, res) => {
      const node = RED.nodes.getNode(String(req.params.id)) as unknown as DeployedWebhookIn | null;
      if (!node || node.type !== 'sales-webhook in' || !node.url)
        return res.status(404).json({ error: RED._('sales-webhook-in.errors.send-not-deployed') });
      const source = node.source;
      if (!source?.profile || !source.scheme)
        return res.status(409).json({ error: RED._('sales-webhook-in.errors.send-source') });
      const eventType = String(
        (req.body as { eventType?: string })?.eventType || testEventTypes(source.profile)[0] || '',
      );
      const tamper = Boolean((req.body as { tamper?: boolean })?.tamper);
      let delivery;
      try {
        delivery = buildTestDelivery(source.profile, source.scheme, eventType, source.signingSecret ?? '', { tamper });
      } catch (err) {
        return res.status(400).json({ error: (err as Error).message });
      }
      const settings = RED.settings as unknown as { httpNodeRoot?: string | false };
      const target = listeningAddress((RED as unknown as { server?: Server }).server);
      if (!target) return res.status(409).json({ error: RED._('sales-webhook-in.errors.send-no-port') });
      const root = String(settings.httpNodeRoot || '/').replace(/\/$/, '');
      const url = `${target.origin}${root}${node.url}`;
      try {
        const answer = await undiciLibrary().request(url, {
          method: 'POST',
          body: delivery.body,
          headers: delivery.headers,
          dispatcher: target.secure ? ownServerAgent() : undefined,
        });
        res.json({ eventType, tamper, url, status: answer.statusCode, body: await answer.body.text() });
      } catch (err) {
        res
          .status(502)
          .json({ error: RED._('sales-webhook-in.errors.send-failed', { reason: (err as Error).message }) });
      }
    },
  );
}

/** Where this Node-RED's own server listens: a wildcard address is reached on loopback of the same family. */
export function listeningAddress(server: Server | undefined): { origin: string; secure: boolean } | undefined {
  const address = server?.address();
  if (!address || typeof address === 'string') return undefined;
  let host = address.address;
  if (host === '::') host = '::1';
  else if (host === '0.0.0.0') host = '127.0.0.1';
  const secure = server instanceof HttpsServer;
  return {
    origin: `${secure ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${address.port}`,
    secure,
  };
}

let agent: Agent | undefined;
/** The test event goes to this process's own listening socket; its certificate names a host, not that address. */
function ownServerAgent(): Agent {
  agent ??= new (undiciLibrary().Agent)({ connect: { rejectUnauthorized: false } });
  return agent;
}
