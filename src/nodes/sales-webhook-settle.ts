import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { migrate } from '../migrations';
import { throttledStatus } from '../shared/throttledStatus';
import { passOn } from './passOn';
import { deliveryOf, settleFromMessage } from './settle';

/** The lead's e-mail and name when the message carries a lead (lead map's output), for the delivery log. */
function leadOf(payload: unknown): { email?: string; name?: string } | undefined {
  if (!payload || typeof payload !== 'object') return undefined;
  const p = payload as Record<string, unknown>;
  const email = typeof p.email === 'string' ? p.email : undefined;
  const name = typeof p.fullName === 'string' ? p.fullName : typeof p.name === 'string' ? p.name : undefined;
  return email || name ? { ...(email ? { email } : {}), ...(name ? { name } : {}) } : undefined;
}

function reasonOf(error: unknown): string {
  if (typeof error === 'string') return error;
  const message = (error as { message?: unknown })?.message;
  return typeof message === 'string' && message ? message : 'the flow reported an error';
}

export = function (RED: NodeAPI) {
  /** Marks the delivery a message came from as delivered, or failed when msg.error is set (Catch → settle). */
  function SalesWebhookSettle(this: Node, storedConfig: NodeDef) {
    RED.nodes.createNode(this, storedConfig);
    migrate('sales-webhook settle', storedConfig);
    const node = this;
    const counts = { delivered: 0, failed: 0, unknown: 0 };
    let problem: string | undefined;
    const status = throttledStatus(() => {
      const text = RED._('sales-webhook-settle.status.counts', {
        delivered: String(counts.delivered),
        failed: String(counts.failed),
      });
      node.status(
        problem
          ? { fill: 'red', shape: 'ring', text: problem }
          : {
              fill: counts.failed > 0 ? 'yellow' : 'green',
              shape: 'dot',
              text: counts.unknown
                ? `${text} · ${RED._('sales-webhook-settle.status.unknown', { count: String(counts.unknown) })}`
                : text,
            },
      );
    });
    const scheduleStatus = status.schedule;

    const notPassedOn = (reason: string) => RED._('sales-webhook-settle.errors.not-passed-on', { reason });

    node.on('input', (msg: NodeMessage & { error?: unknown }, send, done) => {
      const failed = msg.error !== undefined && msg.error !== null && msg.error !== false;
      if (!deliveryOf(msg)) {
        // Not from an inbox (inbox off, or another source): nothing to settle, the message still flows.
        counts.unknown++;
        scheduleStatus();
        send(msg);
        return done();
      }
      settleFromMessage(msg, {
        state: failed ? 'failed' : 'delivered',
        system: node.name || 'settle',
        ...(failed ? { reason: reasonOf(msg.error) } : {}),
        ...(leadOf(msg.payload) ? { lead: leadOf(msg.payload) } : {}),
      }).then(
        (state) => {
          problem = undefined;
          if (state === undefined) counts.unknown++;
          else if (failed) counts.failed++;
          else counts.delivered++;
          scheduleStatus();
          passOn(node, notPassedOn, () => {
            send(msg);
            done();
          });
        },
        (err: Error) => {
          // Not done(err): a Catch wired back into this node would loop. The delivery stays unsettled and is emitted again.
          problem = RED._('sales-webhook-settle.errors.store', { reason: err.message });
          node.warn(problem);
          scheduleStatus();
          passOn(node, notPassedOn, () => {
            send(msg);
            done();
          });
        },
      );
    });

    node.on('close', () => status.cancel());
  }

  RED.nodes.registerType('sales-webhook settle', SalesWebhookSettle as any);
};
