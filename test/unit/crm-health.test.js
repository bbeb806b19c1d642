'use strict';
// A CRM account's health from what its deliveries report (last success, failing with its reason, next retry by
// back-off or quota), and the bounded, scrubbed record of a lead's CRM requests the delivery log keeps.
const assert = require('node:assert/strict');
const { CrmHealthBoard } = require('../../dist/crm/health');
const { boundedText, cutAtWordEdge, keptCalls, CRM_CALL_LIMITS } = require('../../dist/crm/calls');
const { mentionsAddress } = require('../../dist/inbox/address');

/** A board on a clock the test moves, and the account's delivery as the tracker sees it. */
function boardAt(start = 1_000_000) {
  const clock = { now: start };
  const board = new CrmHealthBoard(() => clock.now);
  const live = { waiting: 0, quotaWaitMs: 0, daily: undefined };
  const track = (id = 'acct', name = 'HubSpot sales', system = 'hubspot') => {
    const tracker = board.track(id, name, system);
    tracker.attach({
      waiting: () => live.waiting,
      quotaWaitMs: () => live.quotaWaitMs,
      dailyWarning: () => live.daily,
    });
    return tracker;
  };
  return { clock, board, live, track };
}

describe('CRM account health', () => {
  it('is idle until a lead is sent, ok after a success, failing with the reason and since when', () => {
    const { clock, board, track } = boardAt();
    const tracker = track();
    assert.deepEqual(board.list(), [
      { account: 'acct', name: 'HubSpot sales', system: 'hubspot', state: 'idle', waiting: 0 },
    ]);
    tracker.delivered();
    assert.equal(board.list()[0].state, 'ok');
    assert.equal(board.list()[0].lastSuccessAt, 1_000_000);
    clock.now += 5000;
    tracker.failed('the CRM answered 503 after 3 attempts', 503);
    clock.now += 5000;
    tracker.failed('the CRM answered 500 after 3 attempts', 500);
    const failing = board.list()[0];
    assert.equal(failing.state, 'failing');
    assert.equal(failing.lastSuccessAt, 1_000_000);
    // Failing since the first failure; the reason is the latest.
    assert.deepEqual(failing.failing, {
      since: 1_005_000,
      reason: 'the CRM answered 500 after 3 attempts',
      status: 500,
    });
    clock.now += 1000;
    tracker.delivered();
    const recovered = board.list()[0];
    assert.equal(recovered.state, 'ok');
    assert.equal(recovered.failing, undefined);
    assert.equal(recovered.lastSuccessAt, 1_011_000);
  });

  it('says when the account sends again: a back-off, or a quota wait while leads are queued, whichever is later', () => {
    const { clock, board, live, track } = boardAt();
    const tracker = track();
    tracker.delivered();
    tracker.retryPlanned(clock.now + 2000, 503);
    assert.deepEqual(board.list()[0].nextRetry, { at: clock.now + 2000, cause: 'backoff', status: 503 });
    assert.equal(board.list()[0].state, 'retrying');
    // A quota wait counts only while something waits for it.
    live.quotaWaitMs = 9000;
    assert.equal(board.list()[0].nextRetry.cause, 'backoff');
    live.waiting = 3;
    assert.deepEqual(board.list()[0].nextRetry, { at: clock.now + 9000, cause: 'quota' });
    assert.equal(board.list()[0].waiting, 3);
    live.quotaWaitMs = 0;
    clock.now += 2001;
    assert.equal(board.list()[0].nextRetry, undefined, 'a back-off in the past is no next retry');
    assert.equal(board.list()[0].state, 'ok');
    // Failing wins over retrying; the next retry is still told.
    tracker.retryPlanned(clock.now + 500);
    tracker.failed('the CRM answered 429 after 3 attempts', 429);
    tracker.retryPlanned(clock.now + 500);
    const both = board.list()[0];
    assert.equal(both.state, 'failing');
    assert.deepEqual(both.nextRetry, { at: clock.now + 500, cause: 'backoff' });
  });

  it('turns yellow when the daily quota is nearly spent', () => {
    const { board, live, track } = boardAt();
    track().delivered();
    live.daily = { remaining: 10, limit: 250000 };
    assert.equal(board.list()[0].state, 'retrying');
    assert.deepEqual(board.list()[0].dailyQuota, { remaining: 10, limit: 250000 });
  });

  it('keeps an account through a redeploy, starts afresh for another CRM, forgets a removed one, sorts by name', () => {
    const { board, track } = boardAt();
    track('a', 'Zoho EU', 'zoho').delivered();
    track('b', 'HubSpot', 'hubspot');
    assert.equal(board.track('a', 'Zoho Europe', 'zoho').health().state, 'ok');
    assert.deepEqual(
      board.list().map((h) => h.name),
      ['HubSpot', 'Zoho Europe'],
    );
    assert.equal(board.track('a', 'Zoho Europe', 'pipedrive').health().state, 'idle');
    board.drop('b');
    assert.deepEqual(
      board.list().map((h) => h.account),
      ['a'],
    );
  });

  it('says an account with unusable settings is failing, and forgets it once a deploy fixed them', () => {
    const { board, track } = boardAt();
    track('a', 'HubSpot', 'hubspot').delivered();
    board.track('a', 'HubSpot', 'hubspot').misconfigured('Token: enter the private app token');
    assert.deepEqual(board.list()[0].failing.reason, 'Token: enter the private app token');
    assert.equal(board.list()[0].state, 'failing');
    assert.equal(board.track('a', 'HubSpot', 'hubspot').health().state, 'idle');
    // A lead's failure is history a redeploy keeps.
    board.track('a', 'HubSpot', 'hubspot').failed('the CRM answered 503 after 3 attempts', 503);
    assert.equal(board.track('a', 'HubSpot', 'hubspot').health().state, 'failing');
  });

  it("forgets a failure reason that names an erased person, and keeps the others'", () => {
    const { board, track } = boardAt();
    track('a').failed('HubSpot refused the contact: VALIDATION_ERROR: jo@corp.com is not valid', 400);
    track('b', 'Other').failed('HubSpot refused the contact: VALIDATION_ERROR: ed@corp.com is not valid', 400);
    const jo = mentionsAddress('JO@corp.com');
    board.forget((text) => jo.test(text));
    const [a, b] = board.list().sort((x, y) => x.account.localeCompare(y.account));
    assert.equal(a.state, 'failing');
    assert.equal(a.failing.reason, '');
    assert.match(b.failing.reason, /ed@corp\.com/);
  });

  it('cuts a long reason at a word edge, never through an address', () => {
    const { board, track } = boardAt();
    const reason = `${'x '.repeat(140)}contact maximiliane.oberhuber@verkaufsberatung.de refused`;
    track().failed(reason);
    const kept = board.list()[0].failing.reason;
    assert.ok(kept.length <= 301, String(kept.length));
    assert.doesNotMatch(kept, /maximiliane/);
  });
});

describe("a lead's CRM requests as the delivery log keeps them", () => {
  it('cuts at the last word edge before the bound, keeping an address whole or not at all', () => {
    const text = '{"email":"carla.longname@example.com","name":"Carla"}';
    for (let max = 10; max < text.length; max++) {
      const cut = cutAtWordEdge(text, max);
      assert.ok(cut.length <= max + 1, `${max}: ${cut}`);
      assert.ok(!/carla\.|@ex/.test(cut) || cut.includes('carla.longname@example.com'), `${max}: ${cut}`);
    }
    assert.equal(cutAtWordEdge(text, 1000), text);
    assert.equal(cutAtWordEdge('x'.repeat(50), 10), '…');
  });

  it('scrubs every form of a secret before cutting, and compacts JSON answers', () => {
    const token = 'pat-na1-0123456789abcdef';
    const answer = JSON.stringify({ message: `bad token ${token}`, echo: encodeURIComponent(token) }, null, 2);
    const kept = boundedText(answer, CRM_CALL_LIMITS.answerChars, [token]);
    assert.equal(kept, '{"message":"bad token [redacted]","echo":"[redacted]"}');
    assert.equal(boundedText({ a: token }, 100, [token]), '{"a":"[redacted]"}');
    assert.equal(boundedText('', 100, []), undefined);
    assert.equal(boundedText(undefined, 100, []), undefined);
    // A token cut by the bound would leave its start: scrubbing comes first, so only [redacted] can be cut.
    const long = boundedText(`${'a '.repeat(10)}${token}`, 30, [token]);
    assert.doesNotMatch(long, /pat-na1/);
  });

  it('keeps the last calls only', () => {
    const calls = Array.from({ length: 10 }, (_, i) => ({ at: i, method: 'POST', url: 'https://x' }));
    assert.deepEqual(
      keptCalls(calls).map((c) => c.at),
      [4, 5, 6, 7, 8, 9],
    );
    assert.equal(CRM_CALL_LIMITS.count, 6);
  });
});
