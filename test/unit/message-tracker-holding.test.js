'use strict';
// The message tracker where a node holds messages (join, trigger, split): the events Node-RED's hooks give, in the
// order Node-RED 4.1 and 5 give them for these core nodes; the end of a moment is run by hand.
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { MessageTracker } = require('../../dist/delivery/tracker');
const { holdingOf, HOLDING_NODE_TYPES } = require('../../dist/delivery/holdingNodes');

/** A tracker whose moments end when the test says; `settled` lists `id: handled|failed: reason` in order. */
function harness() {
  const moments = [];
  const tracker = new MessageTracker({ endOfMoment: (fn) => moments.push(fn) });
  const settled = [];
  const endMoment = () => {
    while (moments.length) moments.shift()();
  };
  /** A delivery emitted as `id` to `first`, received there. */
  const emit = (id, first) => {
    tracker.track(id, {
      handled: () => settled.push(`${id}: handled`),
      failed: (reason) => settled.push(`${id}: failed: ${reason}`),
    });
    tracker.queued(id, first);
    tracker.sendReturned(id);
  };
  /** `node` receives `id`; `holding` as holdingOf says for it. */
  const receive = (id, node, holding) => {
    tracker.received(id, node, holding);
    tracker.handlerReturned(id, node, false);
  };
  /** A holding node sends `id` to `to` (preRoute counts the copy, preDeliver then skips it). */
  const holderSends = (node, id, to) => {
    if (!(tracker.isHolding(node) && tracker.sent(node, id, to))) tracker.queued(id, to);
  };
  return { tracker, settled, endMoment, emit, receive, holderSends };
}

describe('message tracker, where a node holds messages', function () {
  it('join: every delivery of the group is handled only once the joined message (one member’s id) was', function () {
    const { tracker, settled, endMoment, emit, receive, holderSends } = harness();
    for (const id of ['a', 'b', 'c']) {
      emit(id, 'join');
      receive(id, 'join', 'keeps');
    }
    endMoment();
    assert.deepEqual(settled, [], 'held by the join');
    // The third completes the group: join sends it under c's _msgid, then reports each member done.
    holderSends('join', 'c', 'file');
    for (const id of ['a', 'b', 'c']) tracker.completed(id, 'join');
    endMoment();
    assert.deepEqual(settled, [], 'the joined message waits for the file node');
    receive('c', 'file');
    tracker.completed('c', 'file');
    assert.deepEqual(settled.sort(), ['a: handled', 'b: handled', 'c: handled']);
    assert.equal(tracker.size, 0);
  });

  it('join sending on a timer, outside any handler, to two wires; a failure down one fails every member', function () {
    const { tracker, settled, endMoment, emit, receive, holderSends } = harness();
    emit('a', 'join');
    receive('a', 'join', 'keeps');
    emit('b', 'join');
    receive('b', 'join', 'keeps');
    holderSends('join', 'b', 'file');
    holderSends('join', 'b', 'db');
    tracker.completed('a', 'join');
    tracker.completed('b', 'join');
    endMoment();
    receive('b', 'file');
    tracker.completed('b', 'file');
    assert.deepEqual(settled, []);
    receive('b', 'db');
    tracker.completed('b', 'db', 'disk full');
    assert.deepEqual(settled.sort(), ['a: failed: disk full', 'b: failed: disk full']);
  });

  it('a join reset or closed while holding (done without sending) keeps them until its next message', function () {
    const { tracker, settled, endMoment, emit, receive, holderSends } = harness();
    emit('a', 'join');
    receive('a', 'join', 'keeps');
    tracker.completed('a', 'join'); // close: every held done() called, nothing sent
    endMoment();
    assert.deepEqual(settled, []);
    emit('b', 'join');
    receive('b', 'join', 'keeps');
    holderSends('join', 'b', 'file');
    tracker.completed('b', 'join');
    endMoment();
    receive('b', 'file');
    tracker.completed('b', 'file');
    assert.deepEqual(settled.sort(), ['a: handled', 'b: handled']);
  });

  it('a join redeployed while holding: its successor (same id) does not take what the old one dropped at close', function () {
    const { tracker, settled, endMoment, emit, receive, holderSends } = harness();
    emit('a', 'join');
    receive('a', 'join', 'keeps');
    tracker.completed('a', 'join'); // the old join's close
    endMoment();
    tracker.flowsStarted();
    emit('b', 'join');
    receive('b', 'join', 'keeps');
    holderSends('join', 'b', 'file');
    tracker.completed('b', 'join');
    endMoment();
    receive('b', 'file');
    tracker.completed('b', 'file');
    assert.deepEqual(settled, ['b: handled'], 'a stays unsettled: its lease emits it again');
  });

  it('split then join: the parts ride on the rejoined message, which carries the delivery', function () {
    const { tracker, settled, endMoment, emit, receive, holderSends } = harness();
    emit('a', 'split');
    tracker.received('a', 'split', 'keeps');
    holderSends('split', 'p1', 'join');
    holderSends('split', 'p2', 'join');
    tracker.completed('a', 'split');
    tracker.handlerReturned('a', 'split', false);
    endMoment();
    receive('p1', 'join', 'keeps');
    receive('p2', 'join', 'keeps');
    holderSends('join', 'p2', 'file');
    tracker.completed('p1', 'join');
    tracker.completed('p2', 'join');
    endMoment();
    assert.deepEqual(settled, []);
    receive('p2', 'file');
    tracker.completed('p2', 'file');
    assert.deepEqual(settled, ['a: handled']);
    assert.equal(tracker.size, 0);
  });

  it('trigger reports done before it sends on: handled only once the next node finished', function () {
    const { tracker, settled, endMoment, emit, receive, holderSends } = harness();
    emit('a', 'trigger');
    receive('a', 'trigger', 'keeps');
    tracker.completed('a', 'trigger');
    holderSends('trigger', 'a', 'file');
    endMoment();
    assert.deepEqual(settled, []);
    receive('a', 'file');
    tracker.completed('a', 'file');
    assert.deepEqual(settled, ['a: handled']);
  });

  it('trigger: what it blocked goes with the message at the end of its wait, or is dropped when it sends none', function () {
    const sends = harness();
    sends.emit('a', 'trigger');
    sends.receive('a', 'trigger', 'keeps');
    sends.tracker.completed('a', 'trigger'); // blocked: no message now
    sends.endMoment();
    assert.deepEqual(sends.settled, []);
    sends.holderSends('trigger', 'first', 'file'); // the end of its wait
    sends.endMoment();
    sends.receive('first', 'file');
    assert.deepEqual(sends.settled, []);
    sends.tracker.completed('first', 'file');
    assert.deepEqual(sends.settled, ['a: handled']);

    const drops = harness();
    drops.emit('a', 'trigger');
    drops.receive('a', 'trigger', 'drops');
    drops.tracker.completed('a', 'trigger');
    assert.deepEqual(drops.settled, [], 'not before the moment ended');
    drops.endMoment();
    assert.deepEqual(drops.settled, ['a: handled']);
  });

  it('split: the parts carry new ids; handled once every part was', function () {
    const { tracker, settled, endMoment, emit, receive, holderSends } = harness();
    emit('a', 'split');
    tracker.received('a', 'split', 'keeps');
    holderSends('split', 'part-1', 'file');
    holderSends('split', 'part-2', 'file');
    tracker.completed('a', 'split');
    tracker.handlerReturned('a', 'split', false);
    endMoment();
    receive('part-1', 'file');
    tracker.completed('part-1', 'file');
    assert.deepEqual(settled, []);
    receive('part-2', 'file');
    tracker.completed('part-2', 'file');
    assert.deepEqual(settled, ['a: handled']);
    assert.equal(tracker.size, 0);
  });

  it('a delivery emitted again while held stops counting; what rides with it still does', function () {
    const { tracker, settled, endMoment, emit, receive, holderSends } = harness();
    emit('a', 'join');
    receive('a', 'join', 'keeps');
    emit('b', 'join');
    receive('b', 'join', 'keeps');
    holderSends('join', 'b', 'file');
    tracker.completed('a', 'join');
    tracker.completed('b', 'join');
    endMoment();
    tracker.forget('b'); // its lease ran out
    receive('b', 'file');
    tracker.completed('b', 'file');
    assert.deepEqual(settled, ['a: handled']);
    assert.equal(tracker.size, 0);
  });

  it('copies queued for several nodes at once, received in any order, and one handed over directly (link in)', function () {
    const { tracker, settled, emit, receive } = harness();
    emit('a', 'x');
    // x forwards a to y and z and to x itself again before any of them received it: three nodes wait at once.
    receive('a', 'x');
    for (const node of ['y', 'z', 'y', 'x']) tracker.queued('a', node);
    tracker.completed('a', 'x');
    receive('a', 'z');
    receive('a', 'y');
    tracker.completed('a', 'y');
    tracker.completed('a', 'z');
    receive('a', 'x');
    tracker.completed('a', 'x');
    receive('a', 'y');
    // y hands the message to a link in within its own handler: counted from its receipt, not from a queue.
    tracker.received('a', 'link-in');
    tracker.handlerReturned('a', 'link-in', false);
    tracker.handlerReturned('a', 'y', false);
    tracker.completed('a', 'y');
    assert.deepEqual(settled, [], 'the link in has not finished');
    tracker.completed('a', 'link-in');
    assert.deepEqual(settled, ['a: handled']);
    assert.equal(tracker.size, 0);
  });

  it('knows join, trigger and split; a trigger sending nothing at the end of its wait drops what it blocked', function () {
    assert.equal(holdingOf({ type: 'join' }), 'keeps');
    assert.equal(holdingOf({ type: 'split' }), 'keeps');
    assert.equal(holdingOf({ type: 'trigger', op2type: 'str' }), 'keeps');
    assert.equal(holdingOf({ type: 'trigger', op2type: 'nul' }), 'drops');
    for (const type of ['batch', 'delay', 'sort', 'function', 'file']) assert.equal(holdingOf({ type }), undefined);
    assert.equal(holdingOf(undefined), undefined);
  });

  it('the README and the receiving node’s help name every holding node', function () {
    const root = path.join(__dirname, '..', '..');
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    const help = fs.readFileSync(path.join(root, 'help', 'sales-webhook-in.html'), 'utf8');
    for (const type of HOLDING_NODE_TYPES) {
      assert.ok(readme.includes(`\`${type}\``), `README: ${type}`);
      assert.ok(help.includes(`<code>${type}</code>`), `help: ${type}`);
    }
  });
});
