import type { NodeAPI } from 'node-red';
import type { Problem } from '../alerts/problems';
import { REPLAYABLE_KINDS, deliveriesOfProblem } from '../alerts/replay';
import { ALERTS_REPLAY_ROUTE } from '../alerts/signals';
import { announceReplay } from '../delivery/announce';
import { inboxConsumer } from '../delivery/registry';
import { DeliveryLogError } from '../log/filter';
import { WRITE_PERMISSION, logRouteTools } from './delivery-log-routes';

/** What the route needs of the running alert nodes. */
export interface OpenProblems {
  /** The open problem with this key, seen by any alert node. */
  find(key: string): Problem | undefined;
}

/**
 * POST <admin>/sales-webhooks/alerts/replay `{ key, dryRun? }`: replays the deliveries an open problem is about
 * (src/alerts/replay.ts says which) through the log's replay (the store marks them due, their node emits them), with
 * the log's permission to replay. A dry run only counts them, for the confirmation.
 */
export function registerAlertReplayRoute(RED: NodeAPI, problems: OpenProblems): void {
  const { allow, handle, audit } = logRouteTools(RED);
  RED.httpAdmin.post(
    `/${ALERTS_REPLAY_ROUTE}`,
    ...allow(WRITE_PERMISSION, 'replay'),
    handle(async (req) => {
      const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
      if (typeof body.key !== 'string' || !body.key) throw new DeliveryLogError(400, 'errors.problemKey');
      const problem = problems.find(body.key);
      if (!problem) throw new DeliveryLogError(409, 'errors.problemResolved');
      if (!REPLAYABLE_KINDS.includes(problem.kind) || !problem.node)
        throw new DeliveryLogError(400, 'errors.problemNotReplayable', { kind: problem.kind });
      const owner = inboxConsumer(problem.node);
      if (!owner) throw new DeliveryLogError(409, 'errors.notDeployed', { node: problem.node });
      const { store } = owner;
      const unavailable = (err: unknown) =>
        new DeliveryLogError(503, 'errors.unavailable', {
          store: store.kind,
          location: store.location,
          reason: (err as Error)?.message ?? String(err),
        });
      const ids = await deliveriesOfProblem(problem, store).catch((err) => {
        throw unavailable(err);
      });
      if (body.dryRun === true) return { matching: ids.length, replayed: 0 };
      const replayed = ids.length
        ? await store.requestReplay(ids).catch((err) => {
            throw unavailable(err);
          })
        : 0;
      // Announced by its count alone; each delivery announces `emitted` as its node claims it.
      owner.poke();
      audit({ event: 'sales-webhooks.replay', count: replayed, problem: problem.kind, node: problem.node }, req);
      announceReplay(replayed);
      return { matching: ids.length, replayed };
    }),
  );
}
