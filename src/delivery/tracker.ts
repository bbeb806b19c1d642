import type { Holding } from './holdingNodes';

/**
 * Follows the messages an emitted delivery became through a flow, to tell when every node they reached has finished
 * with them (`handled`) or one could not (`failed`, with the reason). Pure: Node-RED's messaging hooks feed it
 * (see src/nodes/delivery-hooks.ts); a message is known by its `_msgid`, which Node-RED keeps across copies and nodes.
 *
 * A message counts from the moment it is queued for a node (preDeliver) until that node reports it done
 * (onComplete); a node handing it on queues the next copies before it reports done, so the count reaches zero only
 * when the last node finished.
 *
 * A holding node (join, trigger, split: see holdingNodes.ts) sends a message's content later or under another id, so
 * its done() is not the end: a message it reported done stays counted until the end of that moment (a microtask), and
 * beyond it when the node sent nothing then and `keeps` what it did not send. Whatever such a node sends carries every
 * delivery it holds at that moment: those deliveries are handled only once that message has been too. A holding node
 * that never sends again leaves them unsettled, and their lease emits them again.
 */

export interface TrackedEmission {
  /** Every node the messages reached has finished with them. */
  handled(): void;
  /** A message could not reach a node or a node failed on it. */
  failed(reason: string): void;
}

/** One message id: the delivery emitted with it, or a message a holding node sent with deliveries riding on it. */
interface Entry {
  msgid: string;
  /** The delivery emitted with this id; none for a holding node's message that only carries others. */
  emission?: TrackedEmission;
  /** Copies of this message queued for or held by a node. */
  outstanding: number;
  /**
   * Copies queued for a node that it has not received yet: the one node most messages go to inline, others in a map
   * made only when copies wait for a second node at once (each followed message would pay for one otherwise).
   */
  awaitingNode?: string;
  awaitingCopies: number;
  awaitingOthers?: Map<string, number>;
  /** The emitting node's send() has not returned yet: nothing is counted as finished before it has. */
  sending: boolean;
  failure?: string;
  /** Copies of other messages this delivery's content rides on (a join's joined message). */
  borrowed: number;
  /** Deliveries whose content rides on this message besides its own. */
  riders?: Set<Entry>;
}

/** A holding node's messages: received and not yet let go. */
interface Holder {
  holding: Holding;
  /** Copies held, per message id (also those reported done and not yet let go). */
  held: Map<string, number>;
  /** Reported done in this moment: let go at its end. */
  doneNow: string[];
  /** Reported done in an earlier moment in which the node sent nothing: let go with its next message. */
  kept: string[];
  sentNow: boolean;
  ending: boolean;
}

/** The node running its input handler on a tracked message right now (handlers run synchronously). */
interface Receiving {
  msgid: string;
  node: string;
  finished: boolean;
}

export interface MessageTrackerOptions {
  /** Called once, right before the first message is followed (to start what feeds the tracker). */
  beforeFirstTrack?: () => void;
  /** Runs `fn` once the code running now has finished (a microtask): the end of a holding node's moment. */
  endOfMoment?: (fn: () => void) => void;
}

function newEntry(msgid: string, emission: TrackedEmission | undefined, sending: boolean): Entry {
  return {
    msgid,
    emission,
    outstanding: 0,
    awaitingNode: undefined,
    awaitingCopies: 0,
    awaitingOthers: undefined,
    sending,
    failure: undefined,
    borrowed: 0,
    riders: undefined,
  };
}

/** One more copy queued for `node`. */
function addAwaiting(entry: Entry, node: string): void {
  if (entry.awaitingCopies === 0 || entry.awaitingNode === node) {
    entry.awaitingNode = node;
    entry.awaitingCopies++;
    return;
  }
  entry.awaitingOthers ??= new Map();
  entry.awaitingOthers.set(node, (entry.awaitingOthers.get(node) ?? 0) + 1);
}

/** `node` got (or will never get) one queued copy; false when none was queued for it. */
function takeAwaiting(entry: Entry, node: string): boolean {
  if (entry.awaitingCopies > 0 && entry.awaitingNode === node) {
    if (--entry.awaitingCopies === 0) entry.awaitingNode = undefined;
    return true;
  }
  const others = entry.awaitingOthers;
  const waiting = others?.get(node) ?? 0;
  if (waiting === 0) return false;
  if (waiting > 1) others!.set(node, waiting - 1);
  else others!.delete(node);
  return true;
}

export class MessageTracker {
  private readonly entries = new Map<string, Entry>();
  /** Handlers running now, innermost last (link out hands its message to link in within its own handler). */
  private readonly receiving: Receiving[] = [];
  /** How many of `receiving` are running now: its records are reused, one per nesting depth, not made per message. */
  private receivingDepth = 0;
  private readonly holders = new Map<string, Holder>();
  private beforeFirstTrack?: () => void;
  private readonly endOfMoment: (fn: () => void) => void;

  constructor(options: MessageTrackerOptions = {}) {
    this.beforeFirstTrack = options.beforeFirstTrack;
    this.endOfMoment = options.endOfMoment ?? queueMicrotask;
  }

  get size(): number {
    return this.entries.size;
  }

  isTracked(msgid: unknown): msgid is string {
    return typeof msgid === 'string' && this.entries.has(msgid);
  }

  /** A holding node holds a followed message now: what it sends must be told with `sent`. */
  isHolding(node: string): boolean {
    return this.holders.size > 0 && this.holders.has(node);
  }

  /** Call right before the emitting node sends the message, then `sendReturned` once send() returned (or threw). */
  track(msgid: string, emission: TrackedEmission): void {
    if (this.beforeFirstTrack) {
      const start = this.beforeFirstTrack;
      this.beforeFirstTrack = undefined;
      start();
    }
    this.entries.set(msgid, newEntry(msgid, emission, true));
  }

  sendReturned(msgid: string, error?: string): void {
    const entry = this.entries.get(msgid);
    if (!entry) return;
    entry.sending = false;
    if (error) entry.failure ??= error;
    this.finishIfIdle(entry);
  }

  /** A copy of the message is queued for a node. */
  queued(msgid: unknown, node: string): void {
    const entry = typeof msgid === 'string' ? this.entries.get(msgid) : undefined;
    if (!entry) return;
    entry.outstanding++;
    addAwaiting(entry, node);
    if (entry.riders) for (const rider of entry.riders) rider.borrowed++;
  }

  /**
   * A copy of the message could not be made or queued for a node (it never gets it). `counted`: the copy was
   * already counted (a holding node's message, counted by `sent`).
   */
  undeliverable(msgid: string, reason: string, counted?: { node: string }): void {
    const entry = this.entries.get(msgid);
    if (!entry) return;
    if (!counted) {
      entry.failure ??= reason;
      if (entry.riders) for (const rider of entry.riders) rider.failure ??= reason;
      this.finishIfIdle(entry);
      return;
    }
    takeAwaiting(entry, counted.node);
    this.release(entry, reason);
  }

  /**
   * A node starts its input handler on the message (also when it was handed over directly, as link in is).
   * `holding`: the node is a holding node (see holdingOf).
   */
  received(msgid: unknown, node: string, holding?: Holding): void {
    const entry = typeof msgid === 'string' ? this.entries.get(msgid) : undefined;
    if (!entry) return;
    // Handed over directly (link in) rather than queued: counted from now.
    if (!takeAwaiting(entry, node)) entry.outstanding++;
    let receiving = this.receiving[this.receivingDepth];
    if (!receiving) this.receiving.push((receiving = { msgid: '', node: '', finished: false }));
    receiving.msgid = msgid as string;
    receiving.node = node;
    receiving.finished = false;
    this.receivingDepth++;
    if (holding) {
      let holder = this.holders.get(node);
      if (!holder) {
        holder = { holding, held: new Map(), doneNow: [], kept: [], sentNow: false, ending: false };
        this.holders.set(node, holder);
      }
      holder.held.set(entry.msgid, (holder.held.get(entry.msgid) ?? 0) + 1);
    }
  }

  /** The node's input handler returned. `finishesNow`: the node never reports done (a handler without `done`). */
  handlerReturned(msgid: unknown, node: string, finishesNow: boolean): void {
    const receiving = this.running();
    if (!receiving || receiving.msgid !== msgid || receiving.node !== node) return;
    this.receivingDepth--;
    if (finishesNow && !receiving.finished) this.completed(msgid, node);
  }

  /** The node reported done (with the error it failed with, if any). */
  completed(msgid: unknown, node: string, error?: string): void {
    const entry = typeof msgid === 'string' ? this.entries.get(msgid) : undefined;
    if (!entry) return;
    const receiving = this.running();
    if (receiving && receiving.msgid === msgid && receiving.node === node) receiving.finished = true;
    const holder = this.holders.size > 0 ? this.holders.get(node) : undefined;
    if (holder?.held.has(entry.msgid)) {
      if (!error) {
        holder.doneNow.push(entry.msgid);
        this.endMomentLater(node, holder);
        return;
      }
      this.letGo(holder, entry.msgid); // it failed there: nothing of it will be sent
    }
    this.release(entry, error);
  }

  /**
   * A holding node sends a message to `destination` (Node-RED's preRoute, before the copy is queued). Everything the
   * node holds rides on it, and the copy is counted now, so nothing it carries finishes while it is being routed.
   * Returns true when the copy was counted: the caller must then not report it `queued`.
   */
  sent(node: string, msgid: unknown, destination: string): boolean {
    const holder = this.holders.size > 0 ? this.holders.get(node) : undefined;
    if (!holder || holder.held.size === 0 || typeof msgid !== 'string') return false;
    let carrier = this.entries.get(msgid);
    if (!carrier) {
      carrier = newEntry(msgid, undefined, false);
      this.entries.set(msgid, carrier);
    }
    this.queued(msgid, destination);
    for (const held of holder.held.keys()) {
      const entry = this.entries.get(held);
      // A message no longer followed (its delivery was emitted again) is no longer held for anyone.
      if (!entry) holder.held.delete(held);
      else if (entry !== carrier) this.carry(carrier, entry);
    }
    const kept = holder.kept;
    holder.kept = [];
    for (const id of kept) this.letGoAndRelease(holder, id);
    holder.sentNow = true;
    this.endMomentLater(node, holder);
    return true;
  }

  /**
   * A node logged an error. When it is the node whose handler is running on a tracked message (a handler that
   * threw, or reported the error without done), that message failed there and the node will not report done.
   */
  nodeError(node: string, reason: string): void {
    const receiving = this.running();
    if (!receiving || receiving.node !== node || receiving.finished) return;
    receiving.finished = true;
    this.completed(receiving.msgid, node, reason);
  }

  /**
   * The flows were (re)started: a holding node redeployed reported everything it held done at its close and sends
   * none of it, and its successor has the same id. What it kept stays counted, so its lease emits it again.
   */
  flowsStarted(): void {
    for (const [node, holder] of this.holders) {
      for (const id of holder.kept) this.letGo(holder, id);
      holder.kept = [];
      if (holder.held.size === 0 && !holder.ending) this.holders.delete(node);
    }
  }

  /** Stops following a message (its delivery is emitted again, or its node closes); what rides on it still counts. */
  forget(msgid: string): void {
    const entry = this.entries.get(msgid);
    if (!entry) return;
    entry.emission = undefined;
    if (entry.outstanding === 0 || !entry.riders?.size) this.entries.delete(msgid);
  }

  /** The innermost handler running on a tracked message now. */
  private running(): Receiving | undefined {
    return this.receivingDepth > 0 ? this.receiving[this.receivingDepth - 1] : undefined;
  }

  /** `carrier` carries `entry`'s delivery and what rides on it, for as long as copies of it are out. */
  private carry(carrier: Entry, entry: Entry): void {
    if (entry.emission) this.addRider(carrier, entry);
    if (entry.riders) for (const rider of entry.riders) this.addRider(carrier, rider);
  }

  private addRider(carrier: Entry, rider: Entry): void {
    if (rider === carrier || !rider.emission) return;
    carrier.riders ??= new Set();
    if (carrier.riders.has(rider)) return;
    carrier.riders.add(rider);
    rider.borrowed += carrier.outstanding;
  }

  /** One copy of the message is finished with (failed with `error`, if given). */
  private release(entry: Entry, error?: string): void {
    entry.outstanding--;
    if (error) entry.failure ??= error;
    if (entry.riders) {
      for (const rider of entry.riders) {
        rider.borrowed--;
        if (error) rider.failure ??= error;
        this.finishIfIdle(rider);
      }
    }
    this.finishIfIdle(entry);
  }

  private letGo(holder: Holder, msgid: string): void {
    const copies = holder.held.get(msgid) ?? 0;
    if (copies > 1) holder.held.set(msgid, copies - 1);
    else holder.held.delete(msgid);
  }

  private letGoAndRelease(holder: Holder, msgid: string): void {
    this.letGo(holder, msgid);
    const entry = this.entries.get(msgid);
    if (entry) this.release(entry);
  }

  private endMomentLater(node: string, holder: Holder): void {
    if (holder.ending) return;
    holder.ending = true;
    this.endOfMoment(() => this.endMoment(node, holder));
  }

  /** What the node reported done in this moment went with what it sent then, was dropped, or is kept. */
  private endMoment(node: string, holder: Holder): void {
    holder.ending = false;
    const done = holder.doneNow;
    holder.doneNow = [];
    const letGo = holder.sentNow || holder.holding === 'drops';
    holder.sentNow = false;
    for (const id of done) {
      if (letGo) this.letGoAndRelease(holder, id);
      else if (this.entries.has(id)) holder.kept.push(id);
      else this.letGo(holder, id);
    }
    if (holder.held.size === 0 && this.holders.get(node) === holder) this.holders.delete(node);
  }

  private finishIfIdle(entry: Entry): void {
    if (entry.sending || entry.outstanding > 0 || entry.borrowed > 0) return;
    if (this.entries.get(entry.msgid) === entry) this.entries.delete(entry.msgid);
    const emission = entry.emission;
    if (!emission) return;
    entry.emission = undefined;
    if (entry.failure !== undefined) emission.failed(entry.failure);
    else emission.handled();
  }
}
