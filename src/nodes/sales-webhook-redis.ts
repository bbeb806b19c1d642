import type { NodeAPI, NodeDef } from 'node-red';
import { RedisInboxStore } from '../inbox/redis';
import { migrate } from '../migrations';
import { inboxSettings } from './inbox-service';
import { INSTANCE_ID_ENV, type RedisStoreNode } from './redis-store-node';

interface RedisConfig extends NodeDef {
  url?: string;
  prefix?: string;
  tls?: boolean;
}

const PURGE_INTERVAL_MS = 60_000;

export = function (RED: NodeAPI) {
  function SalesWebhookRedis(this: RedisStoreNode, storedConfig: RedisConfig) {
    RED.nodes.createNode(this, storedConfig);
    const config = migrate('sales-webhook-redis', storedConfig);
    const node = this;
    const credentials = (this.credentials ?? {}) as { username?: string; password?: string };
    const url = String(config.url ?? '').trim();
    if (!/^rediss?:\/\/[^/]/.test(url)) {
      node.configError = RED._('sales-webhook-redis.errors.url');
      node.warn(node.configError);
      return;
    }
    const store = new RedisInboxStore({
      url,
      username: credentials.username || undefined,
      password: credentials.password || undefined,
      tls: config.tls === true,
      prefix: config.prefix,
      consumer: process.env[INSTANCE_ID_ENV] || undefined,
    });
    node.store = store;
    // At deploy: say at once whether Redis answers and whether it keeps an acknowledged delivery on disk.
    store.ready().then(
      () => {
        if (store.durability.warning) node.warn(store.durability.warning);
        node.log(
          RED._('sales-webhook-redis.log.connected', {
            location: store.location,
            consumer: store.consumer,
            mode: store.durability.mode,
          }),
        );
      },
      (err: Error) => node.warn(RED._('sales-webhook-redis.errors.connect', { reason: err.message })),
    );
    // Retention: every instance may run it; each step is idempotent on the server.
    const { retention } = inboxSettings(RED);
    let purging = false;
    const purge = () => {
      if (purging || !store.health().ok) return;
      purging = true;
      store
        .purge(retention)
        .catch(() => {
          /* retried at the next interval */
        })
        .finally(() => {
          purging = false;
        });
    };
    const timer = setInterval(purge, PURGE_INTERVAL_MS);
    timer.unref?.();
    node.on('close', (done: () => void) => {
      clearInterval(timer);
      store.close().then(
        () => done(),
        () => done(),
      );
    });
  }

  RED.nodes.registerType('sales-webhook-redis', SalesWebhookRedis as any, {
    credentials: {
      username: { type: 'text' },
      password: { type: 'password' },
    },
  });
};
