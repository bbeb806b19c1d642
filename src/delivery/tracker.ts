/**
 * Follows the messages an emitted delivery became through a flow, to tell when every node they reached has finished
 * with them (`handled`) or one could not (`failed`, with the reason). Pure: Node-RED's messaging hooks feed it
 * (see src/nodes/delivery-hooks.ts); a message is known by its `_msgid`, which Node-RED keeps across copies and nodes.
 *
 * A message counts from the moment it is queued for a node (preDeliver) until that node reports it done
 * (onComplete); a node handing it on queues the next copies before it reports done, so the count reaches zero only
 * when the last node finished. A node that reports done before it sends on (join, batch) ends the count early.
 */

export interface TrackedEmission {
  /** Every node the messages reached has finished with them. */
  handled(): void;
  /** A message could not reach a node or a node failed on it. */
  failed(reason: string): void;
}

interface Entry {
  emission: TrackedEmission;
  /** Messages queued for or held by a node. */
  outstanding: number;
  /** Per node id: messages queued for it that it has not received yet. */
  awaiting: Map<string, number>;
  /** The emitting node's send() has not returned yet: nothing is counted as finished before it has. */
  sending: boolean;
  failure?: string;
}

/** The node running its input handler on a tracked message right now (handlers run synchronously). */
interface Receiving {
  msgid: string;
  node: string;
  finished: boolean;
}

export class MessageTracker {
  private readonly entries = new Map<string, Entry>();
  /** Handlers running now, innermost last (link out hands its message to link in within its own handler). */
  private readonly receiving: Receiving[] = [];

  /** `beforeFirstTrack`: called once, right before the first message is followed (to start what feeds the tracker). */
  constructor(private beforeFirstTrack?: () => void) {}

  get size(): number {
    return this.entries.size;
  }

  isTracked(msgid: unknown): msgid is string {
    return typeof msgid === 'string' && this.entries.has(msgid);
  }

  /** Call right before the emitting node sends the message, then `sendReturned` once send() returned (or threw). */
  track(msgid: string, emission: TrackedEmission): void {
    if (this.beforeFirstTrack) {
      const start = this.beforeFirstTrack;
      this.beforeFirstTrack = undefined;
      start();
    }
    this.entries.set(msgid, { emission, outstanding: 0, awaiting: new Map(), sending: true });
  }

  sendReturned(msgid: string, error?: string): void {
    const entry = this.entries.get(msgid);
    if (!entry) return;
    entry.sending = false;
    if (error) entry.failure ??= error;
    this.finishIfIdle(msgid, entry);
  }

  /** A copy of the message is queued for a node. */
  queued(msgid: unknown, node: string): void {
    const entry = typeof msgid === 'string' ? this.entries.get(msgid) : undefined;
    if (!entry) return;
    entry.outstanding++;
    entry.awaiting.set(node, (entry.awaiting.get(node) ?? 0) + 1);
  }

  /** A copy of the message could not be made or queued for a node (it never gets it). */
  undeliverable(msgid: string, reason: string): void {
    const entry = this.entries.get(msgid);
    if (!entry) return;
    entry.failure ??= reason;
    this.finishIfIdle(msgid, entry);
  }

  /** A node starts its input handler on the message (also when it was handed over directly, as link in is). */
  received(msgid: unknown, node: string): void {
    const entry = typeof msgid === 'string' ? this.entries.get(msgid) : undefined;
    if (!entry) return;
    const waiting = entry.awaiting.get(node) ?? 0;
    if (waiting > 1) entry.awaiting.set(node, waiting - 1);
    else if (waiting === 1) entry.awaiting.delete(node);
    else entry.outstanding++;
    this.receiving.push({ msgid: msgid as string, node, finished: false });
  }

  /** The node's input handler returned. `finishesNow`: the node never reports done (a handler without `done`). */
  handlerReturned(msgid: unknown, node: string, finishesNow: boolean): void {
    const receiving = this.receiving.at(-1);
    if (!receiving || receiving.msgid !== msgid || receiving.node !== node) return;
    this.receiving.pop();
    if (finishesNow && !receiving.finished) this.completed(msgid, node);
  }

  /** The node reported done (with the error it failed with, if any). */
  completed(msgid: unknown, node: string, error?: string): void {
    const entry = typeof msgid === 'string' ? this.entries.get(msgid) : undefined;
    if (!entry) return;
    const receiving = this.receiving.at(-1);
    if (receiving && receiving.msgid === msgid && receiving.node === node) receiving.finished = true;
    entry.outstanding--;
    if (error) entry.failure ??= error;
    this.finishIfIdle(msgid as string, entry);
  }

  /**
   * A node logged an error. When it is the node whose handler is running on a tracked message (a handler that
   * threw, or reported the error without done), that message failed there and the node will not report done.
   */
  nodeError(node: string, reason: string): void {
    const receiving = this.receiving.at(-1);
    if (!receiving || receiving.node !== node || receiving.finished) return;
    receiving.finished = true;
    this.completed(receiving.msgid, node, reason);
  }

  /** Stops following a message (its delivery is emitted again, or its node closes). */
  forget(msgid: string): void {
    this.entries.delete(msgid);
  }

  private finishIfIdle(msgid: string, entry: Entry): void {
    if (entry.sending || entry.outstanding > 0) return;
    this.entries.delete(msgid);
    if (entry.failure !== undefined) entry.emission.failed(entry.failure);
    else entry.emission.handled();
  }
}
