'use strict';
// The account's request pacing on a fake clock: a burst spread over the CRM's interval, the CRM's headers followed.
const assert = require('node:assert/strict');
const { RequestPacer } = require('../../dist/crm/pacing');

/** A pacer on a clock that moves only when it waits: `waited` lists each wait. */
function fakePacer(limit, daily) {
  const clock = { now: 1_000_000, waited: [] };
  const pacer = new RequestPacer(
    limit,
    daily,
    () => clock.now,
    async (ms) => {
      clock.waited.push(ms);
      clock.now += ms;
    },
  );
  return { pacer, clock };
}

describe('request pacing', function () {
  it("lets the CRM's limit go at once, then waits for the interval (and a small margin) before the next", async function () {
    const { pacer, clock } = fakePacer({ requests: 3, intervalMs: 10_000 });
    for (let i = 0; i < 3; i++) await pacer.admit();
    assert.deepEqual(clock.waited, []);
    await pacer.admit();
    assert.equal(clock.waited.length, 1);
    assert.ok(clock.waited[0] >= 10_000 && clock.waited[0] <= 10_300, String(clock.waited[0]));
  });

  it('takes the limit and interval the CRM states in its headers', async function () {
    const { pacer } = fakePacer({ requests: 100, intervalMs: 10_000 });
    pacer.observe({ limit: 5, intervalMs: 1000 }, 200);
    assert.deepEqual(pacer.current, { requests: 5, intervalMs: 1000 });
  });

  it('waits for the reset when the CRM says none remain, and for Retry-After after a 429', async function () {
    const { pacer, clock } = fakePacer({ requests: 100, intervalMs: 10_000 });
    pacer.observe({ remaining: 0, resetMs: 1500 }, 200);
    await pacer.admit();
    assert.deepEqual(clock.waited, [1500]);
    pacer.observe({}, 429, 4000);
    await pacer.admit();
    assert.deepEqual(clock.waited, [1500, 4000]);
  });

  it('says a daily quota is nearly spent under a tenth left', function () {
    const { pacer } = fakePacer({}, 15_000);
    assert.equal(pacer.dailyWarning(), undefined);
    pacer.observe({ dailyRemaining: 2000 }, 200);
    assert.equal(pacer.dailyWarning(), undefined);
    pacer.observe({ dailyLimit: 250_000, dailyRemaining: 24_000 }, 200);
    assert.deepEqual(pacer.dailyWarning(), { remaining: 24_000, limit: 250_000 });
  });

  it('without an interval limit (Salesforce, Zoho) nothing waits but what the CRM asks', async function () {
    const { pacer, clock } = fakePacer({});
    for (let i = 0; i < 500; i++) await pacer.admit();
    assert.deepEqual(clock.waited, []);
  });
});
