'use strict';
const assert = require('node:assert/strict');
const { DuplicateGuard } = require('../../dist/receive/duplicateGuard');

describe('DuplicateGuard', function () {
  let now;
  const clock = () => now;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('remembers a key for the window and forgets it after', function () {
    const guard = new DuplicateGuard(1000, 10, clock);
    guard.remember('a');
    now += 999;
    assert.equal(guard.has('a'), true);
    now += 1;
    assert.equal(guard.has('a'), false);
    assert.equal(guard.size, 0);
  });

  it('never holds more than its capacity, dropping the oldest first', function () {
    const guard = new DuplicateGuard(60_000, 3, clock);
    for (const key of ['a', 'b', 'c', 'd']) {
      guard.remember(key);
      now += 1;
    }
    assert.equal(guard.size, 3);
    assert.equal(guard.has('a'), false);
    assert.deepEqual(
      ['b', 'c', 'd'].map((k) => guard.has(k)),
      [true, true, true],
    );
  });

  it('stays at its capacity under 200,000 distinct keys', function () {
    const guard = new DuplicateGuard(24 * 3600 * 1000, 50_000, clock);
    for (let i = 0; i < 200_000; i++) guard.remember(`evt_${i}`);
    assert.equal(guard.size, 50_000);
    assert.equal(guard.has('evt_149999'), false);
    assert.equal(guard.has('evt_150000'), true);
  });

  it('remembering a key again renews it', function () {
    const guard = new DuplicateGuard(1000, 2, clock);
    guard.remember('a');
    guard.remember('b');
    now += 500;
    guard.remember('a');
    guard.remember('c');
    assert.equal(guard.has('a'), true);
    assert.equal(guard.has('b'), false);
  });

  it('round-trips through a snapshot, dropping expired and malformed entries', function () {
    const guard = new DuplicateGuard(1000, 10, clock);
    guard.remember('a');
    now += 600;
    guard.remember('b');
    const saved = JSON.parse(JSON.stringify(guard.snapshot()));
    now += 500;
    const restored = new DuplicateGuard(1000, 10, clock);
    restored.restore([...saved, ['bad'], 'junk', [7, 8]]);
    assert.equal(restored.has('a'), false);
    assert.equal(restored.has('b'), true);
    assert.equal(restored.size, 1);
    restored.restore(undefined);
    restored.restore({ not: 'an array' });
    assert.equal(restored.size, 1);
  });

  it('restores at most its capacity, keeping the newest', function () {
    const guard = new DuplicateGuard(10_000, 2, clock);
    guard.restore([
      ['old', now + 100],
      ['mid', now + 200],
      ['new', now + 300],
    ]);
    assert.deepEqual(
      guard.snapshot().map(([k]) => k),
      ['mid', 'new'],
    );
  });
});
