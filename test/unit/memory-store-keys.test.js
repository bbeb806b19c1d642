'use strict';
// The duplicate keys of the memory store (inbox off): each node's keys live for its window, at most its limit of
// them, and survive a restart through what a context store saves (rememberedKeys / restoreKeys).
const assert = require('node:assert/strict');
const { MemoryInboxStore } = require('../../dist/inbox/memory');
const { delivery } = require('../support/inbox-deliveries');

describe('memory store: duplicate keys', function () {
  let now;
  const clock = () => now;
  const store = () => new MemoryInboxStore(10, clock);
  /** Accepts `key` now and says whether it was new; as in a plain flow, emitted with it and then handled. */
  const accept = async (inbox, key, over = {}) => {
    const firstEmission = { settles: true, leaseMs: 60_000 };
    const incoming = delivery({ duplicateKey: key, receivedAt: now, duplicateWindowMs: 1000, firstEmission, ...over });
    const result = await inbox.accept(incoming);
    if (result.stored) await inbox.settle(result.id, { state: 'handled', at: now });
    return result.stored;
  };
  const keys = (inbox) => inbox.rememberedKeys('n1').map(([key]) => key);
  beforeEach(() => {
    now = 1_000_000;
  });

  it('remembers a key for the window and forgets it after; accepted again, it is remembered afresh', async function () {
    const inbox = store();
    assert.equal(await accept(inbox, 'a'), true);
    now += 999;
    assert.equal(await accept(inbox, 'a'), false, 'a duplicate within the window');
    now += 1;
    assert.deepEqual(keys(inbox), [], 'forgotten at the end of the window');
    assert.equal(await accept(inbox, 'a'), true);
    now += 999;
    assert.equal(await accept(inbox, 'a'), false, 'a new window from the second acceptance');
  });

  it('never holds more than its limit, forgetting the oldest first', async function () {
    const inbox = store();
    for (const key of ['a', 'b', 'c', 'd']) {
      await accept(inbox, key, { duplicateLimit: 3 });
      now += 1;
    }
    assert.deepEqual(keys(inbox), ['b', 'c', 'd']);
    assert.equal(await accept(inbox, 'b', { duplicateLimit: 3 }), false);
    assert.equal(await accept(inbox, 'a', { duplicateLimit: 3 }), true, 'the oldest was forgotten');
  });

  it('stays at its limit under four times as many distinct keys, keeping exactly the newest', async function () {
    const inbox = store();
    const limit = 5000;
    const day = 24 * 3600 * 1000;
    for (let i = 0; i < 4 * limit; i++)
      await accept(inbox, `evt_${i}`, { duplicateLimit: limit, duplicateWindowMs: day });
    const remembered = keys(inbox);
    assert.equal(remembered.length, limit);
    assert.equal(remembered[0], `evt_${3 * limit}`);
    assert.equal(await accept(inbox, `evt_${3 * limit - 1}`, { duplicateLimit: limit, duplicateWindowMs: day }), true);
    assert.equal(await accept(inbox, `evt_${4 * limit - 1}`, { duplicateLimit: limit, duplicateWindowMs: day }), false);
    assert.ok((await inbox.ids({})).length <= 10, 'settled deliveries are held to the log bound too');
  });

  it('keys of one node never push out another’s', async function () {
    const inbox = store();
    await accept(inbox, 'a', { node: 'other', duplicateLimit: 1 });
    for (const key of ['b', 'c']) await accept(inbox, key, { duplicateLimit: 1 });
    assert.deepEqual(keys(inbox), ['c']);
    assert.deepEqual(
      inbox.rememberedKeys('other').map(([key]) => key),
      ['a'],
    );
  });

  it('round-trips through what a context store saves, dropping expired and malformed entries', async function () {
    const inbox = store();
    await accept(inbox, 'a');
    now += 600;
    await accept(inbox, 'b');
    const saved = JSON.parse(JSON.stringify(inbox.rememberedKeys('n1')));
    now += 500;
    const restarted = store();
    restarted.restoreKeys('n1', [...saved, ['bad'], 'junk', [7, 8]], 1000);
    assert.deepEqual(keys(restarted), ['b']);
    assert.equal(await accept(restarted, 'b'), false, 'a retry after the restart is a duplicate');
    assert.equal(await accept(restarted, 'a'), true, 'past its window before the restart');
    restarted.restoreKeys('n1', undefined, 1000);
    restarted.restoreKeys('n1', { not: 'an array' }, 1000);
    assert.deepEqual(keys(restarted), ['b', 'a']);
  });

  it('restores at most its limit, keeping the newest, and no key beyond the window', async function () {
    const inbox = store();
    inbox.restoreKeys(
      'n1',
      [
        ['old', now + 100],
        ['mid', now + 200],
        ['new', now + 300],
        ['far', now + 99_999],
      ],
      1000,
      3,
    );
    assert.deepEqual(keys(inbox), ['mid', 'new', 'far']);
    assert.equal(inbox.rememberedKeys('n1').at(-1)[1], now + 1000, 'a saved expiry is cut to the window');
  });
});

describe('key window', function () {
  const { KeyWindow } = require('../../dist/inbox/keyWindow');

  it('a key claimed again moves to the newest place; forgetting skips its old place, across compactions', function () {
    const window = new KeyWindow(100);
    let now = 0;
    for (let i = 0; i < 5000; i++) {
      now += 1;
      // A key whose claim ran out is claimed again before it was forgotten (a window shortened by a redeploy).
      window.claim(i % 50 === 49 ? 'again' : `k${i}`, now + 10_000, i);
      window.evict(now);
    }
    const held = window.entries().map((claim) => claim.key);
    assert.equal(held.length, 100);
    assert.equal(window.size, 100);
    assert.equal(new Set(held).size, 100, 'each key once');
    assert.equal(held.at(-1), 'again', 'claimed last, it is the newest');
    assert.equal(held[0], 'k4898', 'the oldest is the 100th newest claim');
    window.evict(now + 9_950);
    assert.deepEqual(
      window.entries().map((claim) => claim.key),
      held.filter((key) => key === 'again' || Number(key.slice(1)) >= 4950),
      'past the window, forgotten oldest first',
    );
  });
});
