'use strict';
// Store acquisition without Node-RED: the inbox on/off choice, a missing Redis store, and the memory store's keys
// going through the runtime's context store.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { acquireReceivingStore } = require('../../dist/delivery/acquireStore');
const { delivery } = require('../support/inbox-deliveries');

/** A runtime as a test sets it up: `saved` is its context store, `warnings` what the node would log. */
function runtimeWith({ settings = {}, configured = {}, saved, loadError } = {}) {
  const runtime = {
    warnings: [],
    saves: [],
    settings,
    configuredStore: (id) => configured[id] ?? null,
    loadKeys: (callback) => callback(loadError, saved),
    saveKeys: (value, callback) => {
      runtime.saves.push(value);
      callback();
    },
    warn: (text) => runtime.warnings.push(text),
    texts: {
      storeMissing: () => 'store missing',
      contextProblem: (store) => `context ${store} unreadable`,
      storeNotDurable: () => 'not durable',
    },
  };
  return runtime;
}
const options = (over = {}) => ({
  node: 'n1',
  inbox: false,
  duplicateWindowMs: 60_000,
  duplicateLimit: 100,
  caution: () => undefined,
  ...over,
});

describe('acquiring a receiving node’s store', function () {
  it('inbox off: a memory store whose duplicate keys come back from the context store and go to it on release', async function () {
    const runtime = runtimeWith({ saved: [['id:before-restart', Date.now() + 30_000]] });
    const held = acquireReceivingStore(runtime, options());
    assert.equal(held.store.kind, 'memory');
    await held.restored;
    const retry = await held.store.accept(delivery({ duplicateKey: 'id:before-restart' }));
    assert.equal(retry.stored, false, 'a retry of a delivery taken before the restart');
    assert.equal((await held.store.accept(delivery({ duplicateKey: 'id:new' }))).stored, true);
    await held.release();
    assert.deepEqual(
      runtime.saves.at(-1).map(([key]) => key),
      ['id:before-restart', 'id:new'],
    );
  });

  it('inbox off with an unreadable context store: warns naming it, and still takes deliveries', async function () {
    const runtime = runtimeWith({ loadError: new Error('disk gone') });
    const held = acquireReceivingStore(runtime, options({ contextStore: 'file' }));
    await held.restored;
    assert.deepEqual(runtime.warnings, ['context file unreadable']);
    assert.equal((await held.store.accept(delivery())).stored, true);
    await held.release();
  });

  it('inbox on with a Redis store that is gone: 503 with the reason, never another store', async function () {
    for (const [configured, reason] of [
      [{}, 'store missing'],
      [{ redis: { configError: 'the URL is not a redis:// address' } }, 'the URL is not a redis:// address'],
    ]) {
      const held = acquireReceivingStore(runtimeWith({ configured }), options({ inbox: true, storeId: 'redis' }));
      assert.deepEqual(held.store.health(), { ok: false, reason });
      await assert.rejects(held.store.accept(delivery()), (err) => err.message === reason);
      await held.release();
    }
  });

  it('inbox on with no store named: the embedded file settings.js names, one store per file, shared', async function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acquire-store-'));
    try {
      const settings = { userDir: dir, salesWebhooks: { inbox: { file: 'inbox.db', retentionDays: -1 } } };
      const runtime = runtimeWith({ settings });
      const first = acquireReceivingStore(runtime, options({ inbox: true }));
      const second = acquireReceivingStore(runtime, options({ inbox: true, node: 'n2' }));
      assert.equal(first.store, second.store);
      assert.equal(first.store.location, path.join(dir, 'inbox.db'));
      assert.match(runtime.warnings.join('\n'), /retentionDays must be a positive number/);
      await first.store.ready();
      assert.equal((await first.store.accept(delivery())).stored, true);
      await first.release();
      assert.equal((await second.store.accept(delivery())).stored, true, 'still open for the other node');
      await second.release();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
