import { EventEmitter } from 'node:events';
import type { NodeAPI } from 'node-red';
import { holdingOf } from '../delivery/holdingNodes';
import { MessageTracker } from '../delivery/tracker';
import { reasonOf } from './passOn';

/** The parts of Node-RED's messaging hook events the tracker reads. */
interface SendEvent {
  msg: { _msgid?: unknown };
  source?: { id: string };
  destination: { id: string };
  cloneMessage?: boolean;
}
interface ReceiveEvent {
  msg: { _msgid?: unknown };
  destination: { id: string; node?: { type?: unknown; op2type?: unknown; _expectedDoneCount?: unknown } };
}
interface CompleteEvent {
  msg: { _msgid?: unknown };
  node: { id: string };
  error?: unknown;
}
interface LogEvent {
  level?: number;
  id?: string;
  msg?: unknown;
}

const LABEL = 'salesWebhooksDelivery';
/** Node-RED's log level of node.error(). */
const LOG_ERROR = 20;

interface Hooks {
  add(id: string, fn: unknown): void;
  remove(id: string): void;
}

/**
 * RED.hooks of the runtime; node-red-node-test-helper's RED has none, but its runtime uses @node-red/util's, which is
 * the same object.
 */
function messagingHooks(RED: NodeAPI): Hooks {
  const own = (RED as unknown as { hooks?: Hooks }).hooks;
  if (own) return own;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('@node-red/util') as { hooks: Hooks }).hooks;
}

let installed: { tracker: MessageTracker; users: number; remove(): void } | undefined;

/** Feeds the tracker from Node-RED's messaging hooks and log; returns the function that removes them. */
function addMessagingHooks(RED: NodeAPI, tracker: MessageTracker): () => void {
  const hooks = messagingHooks(RED);
  const cloneMessage = (RED.util as unknown as { cloneMessage(msg: unknown): unknown }).cloneMessage;
  // Copies a holding node sends are counted before routing (see MessageTracker.sent), so preDeliver skips them.
  const countedAtSend = new Set<SendEvent>();
  // The copy for a second wire is made here rather than by Node-RED, so a message that cannot be copied (nested
  // too deeply) fails its delivery instead of being dropped with nothing said.
  hooks.add(`preRoute.${LABEL}`, (event: SendEvent) => {
    if (event.source && tracker.isHolding(event.source.id)) {
      if (tracker.sent(event.source.id, event.msg._msgid, event.destination.id)) countedAtSend.add(event);
    }
    if (!event.cloneMessage || !tracker.isTracked(event.msg._msgid)) return;
    const msgid = event.msg._msgid;
    try {
      event.msg = cloneMessage(event.msg) as SendEvent['msg'];
      event.cloneMessage = false;
    } catch (err) {
      const counted = countedAtSend.delete(event) ? { node: event.destination.id } : undefined;
      tracker.undeliverable(
        msgid,
        `the message could not be copied for node ${event.destination.id} (${reasonOf(err)})`,
        counted,
      );
      return false;
    }
  });
  hooks.add(`preDeliver.${LABEL}`, (event: SendEvent) => {
    if (countedAtSend.size > 0 && countedAtSend.delete(event)) return;
    tracker.queued(event.msg._msgid, event.destination.id);
  });
  // split deletes the _msgid of the message it received before it reports it done: known here by the object.
  const receivedIds = new WeakMap<object, string>();
  const idOf = (msg: { _msgid?: unknown }) => (typeof msg._msgid === 'string' ? msg._msgid : receivedIds.get(msg));
  hooks.add(`onReceive.${LABEL}`, (event: ReceiveEvent) => {
    const msgid = event.msg._msgid;
    if (!tracker.isTracked(msgid)) return;
    const holding = holdingOf(event.destination.node);
    if (holding) receivedIds.set(event.msg, msgid);
    tracker.received(msgid, event.destination.id, holding);
  });
  hooks.add(`postReceive.${LABEL}`, (event: ReceiveEvent) =>
    // A node whose handlers take no `done` never reports done: it is finished once its handler returned.
    tracker.handlerReturned(idOf(event.msg), event.destination.id, event.destination.node?._expectedDoneCount === 0),
  );
  hooks.add(`onComplete.${LABEL}`, (event: CompleteEvent) =>
    tracker.completed(
      idOf(event.msg),
      event.node.id,
      event.error === undefined || event.error === null ? undefined : reasonOf(event.error),
    ),
  );
  const logs = new EventEmitter();
  logs.on('log', (entry: LogEvent) => {
    if (entry.level === LOG_ERROR && typeof entry.id === 'string') tracker.nodeError(entry.id, reasonOf(entry.msg));
  });
  const log = RED.log as unknown as { addHandler(h: EventEmitter): void; removeHandler(h: EventEmitter): void };
  log.addHandler(logs);
  const runtimeEvents = (RED as unknown as { events?: EventEmitter }).events;
  const flowsStarted = () => tracker.flowsStarted();
  runtimeEvents?.on('flows:started', flowsStarted);
  return () => {
    hooks.remove(`*.${LABEL}`);
    log.removeHandler(logs);
    runtimeEvents?.removeListener('flows:started', flowsStarted);
  };
}

/**
 * The runtime's one message tracker, fed by Node-RED's messaging hooks (preRoute/preDeliver/onReceive/
 * postReceive/onComplete) and its log (a handler that threw logs an error instead of reporting done).
 * Installed while at least one receiving node uses it.
 */
export function acquireMessageTracker(RED: NodeAPI): { tracker: MessageTracker; release(): void } {
  if (!installed) {
    let removeHooks = () => {};
    // Hooks are added only once a plain flow's message is followed: every message of the runtime pays for them.
    const tracker = new MessageTracker({
      beforeFirstTrack: () => (removeHooks = addMessagingHooks(RED, tracker)),
    });
    installed = { tracker, users: 0, remove: () => removeHooks() };
  }
  const held = installed;
  held.users++;
  let released = false;
  return {
    tracker: held.tracker,
    release() {
      if (released) return;
      released = true;
      if (--held.users > 0 || installed !== held) return;
      held.remove();
      installed = undefined;
    },
  };
}
