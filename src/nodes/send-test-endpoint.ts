import type { NodeAPI } from 'node-red';
import { request } from 'undici';
import { buildTestDelivery, testEventTypes } from '../send/testEvent';
import type { SalesWebhookSourceNode } from './source-node';

interface DeployedWebhookIn {
  type: string;
  url?: string;
  source?: SalesWebhookSourceNode;
}

/**
 * The dialog's "Send test event" button: the runtime signs the chosen example with the deployed source's own
 * secret (which never travels to the browser) and posts it to the node's URL on this Node-RED, over HTTP.
 */
export function registerSendTestEndpoint(RED: NodeAPI): void {
  RED.httpAdmin.post('/sales-webhook-in/:id/send-test', RED.auth.needsPermission('sales-webhook-in.write'), async (req, res) => {
    const node = RED.nodes.getNode(String(req.params.id)) as unknown as DeployedWebhookIn | null;
    if (!node || node.type !== 'sales-webhook in' || !node.url) return res.status(404).json({ error: RED._('sales-webhook-in.errors.send-not-deployed') });
    const source = node.source;
    if (!source?.profile || !source.scheme) return res.status(409).json({ error: RED._('sales-webhook-in.errors.send-source') });
    const eventType = String((req.body as { eventType?: string })?.eventType || testEventTypes(source.profile)[0] || '');
    const tamper = Boolean((req.body as { tamper?: boolean })?.tamper);
    let delivery;
    try {
      delivery = buildTestDelivery(source.profile, source.scheme, eventType, source.signingSecret ?? '', { tamper });
    } catch (err) {
      return res.status(400).json({ error: (err as Error).message });
    }
    const settings = RED.settings as unknown as { uiPort?: number; https?: unknown; httpNodeRoot?: string | false };
    if (!settings.uiPort) return res.status(409).json({ error: RED._('sales-webhook-in.errors.send-no-port') });
    const root = String(settings.httpNodeRoot || '/').replace(/\/$/, '');
    const url = `${settings.https ? 'https' : 'http'}://127.0.0.1:${settings.uiPort}${root}${node.url}`;
    try {
      const answer = await request(url, { method: 'POST', body: delivery.body, headers: delivery.headers });
      res.json({ eventType, tamper, url, status: answer.statusCode, body: await answer.body.text() });
    } catch (err) {
      res.status(502).json({ error: RED._('sales-webhook-in.errors.send-failed', { reason: (err as Error).message }) });
    }
  });
}
