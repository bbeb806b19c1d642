import fs from 'node:fs';
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import {
  compileMapping,
  leadSourceFrom,
  listPaths,
  mapEvent,
  MappingConfigError,
  rowValues,
  startMapping,
  type CompiledMapping,
  type FieldFailure,
  type LeadMapping,
  type MapResult,
} from '../leadmap';
import { effectiveMapping, type LeadMapConfig } from '../leadmap/config';
import { migrate } from '../migrations';
import { throttledStatus } from '../shared/throttledStatus';
import type { MappingRow } from '../leadmap/types';
import { getLeadPreset, listLeadPresets } from '../providers/registry';
import { sampleEventFile } from '../sampleEvents';
import { nearestUpstream, type FlowNodeConfig } from '../flowGraph';
import { noteLeadsOfDelivery, partOf, settleLead } from './settle';
import { passOn, reasonOf } from './passOn';
import { onErasure } from '../log/erasures';
import { hasPermission } from '../log/filter';
import { READ_PERMISSION as LOG_READ_PERMISSION } from './delivery-log-routes';
import { guardPackageAdminRoutes } from './admin-guard';

const PREVIEW_MAX_RECORDS = 200;
/**
 * Records of a split mapped, and leads sent, in one turn of the event loop, so other deliveries' answers never wait
 * long behind a large split. Measured: 5,000 records mapped at once held Node-RED 123 ms (200 take about 5 ms), and
 * 200 leads sent at once 55-74 ms (Node-RED clones each message and runs its hooks), 50 at once 18-36 ms.
 */
const MAP_SLICE = 200;
const SEND_SLICE = 25;

function describeFailures(failures: FieldFailure[]): string {
  return failures
    .map((f) => {
      const where = f.row ? `${f.field} (${f.path}): ` : f.path ? `${f.path}: ` : '';
      return f.records && where ? `${where}${f.reason} (${f.records} records)` : `${where}${f.reason}`;
    })
    .join('; ');
}

interface LeadMapNodeDef extends NodeDef, LeadMapConfig {}

export = function (RED: NodeAPI) {
  guardPackageAdminRoutes(RED);
  function SalesLeadMap(this: Node, rawConfig: LeadMapNodeDef) {
    RED.nodes.createNode(this, rawConfig);
    const node = this;
    const config = migrate('sales-lead-map', rawConfig);
    const property = config.property || 'payload';
    let mapping: CompiledMapping | undefined;
    let configError: string | undefined;
    const effective = effectiveMapping(config, getLeadPreset);
    try {
      if (effective.mappings.length === 0 && config.preset && config.preset !== 'custom') {
        throw new MappingConfigError(
          undefined,
          undefined,
          RED._('sales-lead-map.errors.unknown-preset-rows', { preset: config.preset }),
        );
      }
      mapping = compileMapping(effective.mappings, { split: effective.split, splitPath: effective.splitPath });
    } catch (err) {
      if (!(err instanceof MappingConfigError)) throw err;
      configError = RED._('sales-lead-map.errors.config', { reason: err.message });
      node.warn(configError);
      node.status({ fill: 'red', shape: 'ring', text: err.message });
    }
    if (mapping) node.status({});

    const counts = { leads: 0, failed: 0 };
    const status = throttledStatus(() =>
      node.status({
        fill: counts.failed > 0 ? 'yellow' : 'green',
        shape: 'dot',
        text: RED._('sales-lead-map.status.counts', { leads: String(counts.leads), failed: String(counts.failed) }),
      }),
    );
    const scheduleStatus = status.schedule;

    const system = config.name || 'lead map';

    node.on('input', (msg: NodeMessage & { webhook?: unknown }, send, done) => {
      const fail = (message: string, fields: FieldFailure[], leadsSent = false) => {
        counts.failed++;
        scheduleStatus();
        const error = {
          message,
          fields: fields.map(({ field, path: p, reason, records }) => ({
            field,
            path: p,
            reason,
            ...(records ? { records } : {}),
          })),
        };
        // Mapping the same event again fails the same way: the delivery is failed now, with why, rather than emitted
        // again at each lease. Once the mapping is fixed, "replay failed" sends it through again.
        if (!leadsSent) settleLead(node, msg, { state: 'failed', system, reason: message });
        passOn(
          node,
          (reason) => RED._('sales-lead-map.errors.not-passed-on', { message, reason }),
          () => {
            send([null, { ...msg, error } as NodeMessage]);
            done(new Error(message));
          },
        );
      };
      if (!mapping) return fail(configError ?? RED._('sales-lead-map.errors.unconfigured'), []);
      const compiled = mapping;
      const event = RED.util.getMessageProperty(msg, property);
      if (event === undefined || event === null || typeof event !== 'object') {
        return fail(RED._('sales-lead-map.errors.no-object', { property: `msg.${property}` }), []);
      }
      let mapped: LeadMapping | undefined;
      // Each turn guards itself: past the input handler's turn Node-RED catches nothing for us, and a record that
      // throws (a getter a function node left in msg.payload) must fail this message, not the process.
      const mapMore = () => {
        if (closed) return;
        try {
          mapped ??= startMapping(compiled, event, leadSourceFrom(msg.webhook));
          // Nearly every event is mapped in this turn; only a large split goes on in later ones.
          if (mapped.next(MAP_SLICE)) return void setImmediate(mapMore);
          emitLeads(msg, mapped, send, done, fail);
        } catch (err) {
          fail(RED._('sales-lead-map.errors.record', { reason: reasonOf(err) }), []);
        }
      };
      mapMore();
    });

    const emitLeads = (
      msg: NodeMessage & { webhook?: unknown },
      { leads, failures }: MapResult,
      send: (out: (NodeMessage | NodeMessage[] | null)[]) => void,
      done: (err?: Error) => void,
      fail: (message: string, fields: FieldFailure[], leadsSent?: boolean) => void,
    ) => {
      // One message per lead, each with its own lead and msg.webhook; the event itself is not copied (it is large).
      // In split mode each lead settles its part of the delivery (msg.webhook.part), so the delivery settles when all have.
      const messages = leads.map((lead, index) => ({
        ...msg,
        payload: lead,
        ...(msg.webhook
          ? { webhook: { ...(msg.webhook as object), ...(config.split ? partOf(index, leads.length) : {}) } }
          : {}),
      })) as NodeMessage[];
      if (leads.length > 0) {
        counts.leads += leads.length;
        scheduleStatus();
        noteLeadsOfDelivery(msg, leads);
      }
      const finish = () => {
        if (failures.length > 0)
          return fail(
            RED._('sales-lead-map.errors.fields', { fields: describeFailures(failures) }),
            failures,
            leads.length > 0,
          );
        passOn(node, (reason) => RED._('sales-lead-map.errors.not-completed', { reason }), done);
      };
      if (messages.length === 0) return finish();
      sendInSlices(messages, send, finish, fail);
    };

    let closed = false;
    /**
     * Leads go out SEND_SLICE at a time, the rest of a large split in later turns of the event loop: Node-RED delivers
     * a send's messages in one go, so 5,000 at once would hold every other delivery's answer until they were handled.
     * Closed midway (mapping or sending), the rest is not sent and done() not called: the delivery stays unsettled and
     * is emitted again. Leads Node-RED cannot pass on fail their parts, so the delivery fails now with the reason.
     */
    const sendInSlices = (
      messages: NodeMessage[],
      send: (out: (NodeMessage[] | null)[]) => void,
      finish: () => void,
      fail: (message: string, fields: FieldFailure[], leadsSent?: boolean) => void,
    ) => {
      const sendFrom = (start: number) => {
        if (closed) return;
        try {
          send([messages.slice(start, start + SEND_SLICE), null]);
        } catch (err) {
          const reason = RED._('sales-lead-map.errors.send', { reason: reasonOf(err) });
          for (const unsent of messages.slice(start)) settleLead(node, unsent, { state: 'failed', system, reason });
          return fail(reason, [], true);
        }
        if (start + SEND_SLICE < messages.length) setImmediate(sendFrom, start + SEND_SLICE);
        else finish();
      };
      sendFrom(0);
    };

    node.on('close', () => {
      closed = true;
      status.cancel();
    });
  }

  RED.nodes.registerType('sales-lead-map', SalesLeadMap as any);

  const read = RED.auth.needsPermission('sales-lead-map.read');
  const write = RED.auth.needsPermission('sales-lead-map.write');

  RED.httpAdmin.get('/sales-lead-map/presets', read, (_req, res) => {
    res.json(listLeadPresets());
  });

  // Only names from the preset list reach the file system, never a path from the request.
  RED.httpAdmin.get('/sales-lead-map/fixture/:preset', read, (req, res) => {
    const preset = getLeadPreset(String(req.params.preset));
    if (!preset) return res.status(404).json({ error: RED._('sales-lead-map.errors.unknown-preset') });
    const file = sampleEventFile(preset.provider, preset.eventType);
    fs.readFile(file, 'utf8', (err, text) => {
      if (err) return res.status(404).json({ error: RED._('sales-lead-map.errors.no-fixture') });
      res.json({ payload: JSON.parse(text), webhook: { provider: preset.provider, eventType: preset.eventType } });
    });
  });

  type ReceiverNode = Node & { lastDelivery?: unknown; type?: string };
  // A delivery is personal data: loading one needs the delivery log's read permission too, as the log does.
  type AuthedReq = { user?: unknown; authInfo?: { scope?: unknown } };
  const logRead = (req: AuthedReq, res: { status(code: number): { json(body: unknown): void } }, next: () => void) => {
    if (!req.user || hasPermission(req.authInfo?.scope, LOG_READ_PERMISSION)) return next();
    res.status(403).json({ error: RED._('sales-lead-map.errors.log-permission', { permission: LOG_READ_PERMISSION }) });
  };
  // …and a person erased from the log is forgotten here too, since the last delivery lives in memory, not in a store.
  onErasure((mentions) =>
    RED.nodes.eachNode((config: unknown) => {
      const receiver = RED.nodes.getNode((config as FlowNodeConfig).id) as ReceiverNode | null;
      if (receiver?.lastDelivery && mentions(JSON.stringify(receiver.lastDelivery))) delete receiver.lastDelivery;
    }),
  );
  const sendLastDelivery = (
    receiverId: string,
    res: { status(code: number): { json(body: unknown): void }; json(body: unknown): void },
  ) => {
    const receiver = RED.nodes.getNode(receiverId) as ReceiverNode | null;
    if (!receiver || receiver.type !== 'sales-webhook in')
      return res.status(404).json({ error: RED._('sales-lead-map.errors.no-receiver-node') });
    if (!receiver.lastDelivery) return res.status(404).json({ error: RED._('sales-lead-map.errors.no-delivery-yet') });
    res.json(receiver.lastDelivery);
  };

  RED.httpAdmin.get('/sales-lead-map/last-delivery/:nodeId', read, logRead, (req, res) =>
    sendLastDelivery(String(req.params.nodeId), res),
  );

  // The dialog's "Last delivery": the nearest sales webhook in upstream of this lead map in the deployed flows,
  // through any nodes (switch, change, link out → link in, link call).
  RED.httpAdmin.get('/sales-lead-map/:id/upstream-delivery', read, logRead, (req, res) => {
    const nodes: FlowNodeConfig[] = [];
    RED.nodes.eachNode((config: unknown) => {
      nodes.push(config as FlowNodeConfig);
    });
    const id = String(req.params.id);
    if (!nodes.some((n) => n.id === id))
      return res.status(404).json({ error: RED._('sales-lead-map.errors.not-deployed') });
    const receiver = nearestUpstream(nodes, id, (n) => n.type === 'sales-webhook in');
    if (!receiver) return res.status(404).json({ error: RED._('sales-lead-map.errors.not-connected') });
    sendLastDelivery(receiver.id, res);
  });

  // Bounded like every request from the editor: a preview maps at most PREVIEW_MAX_RECORDS records, and any failure
  // is answered as JSON the dialog can show, never as an HTML stack trace.
  RED.httpAdmin.post('/sales-lead-map/preview', write, (req, res) => {
    try {
      const body = (req.body ?? {}) as {
        mappings?: MappingRow[];
        split?: boolean;
        splitPath?: string;
        sample?: unknown;
        webhook?: unknown;
        property?: string;
      };
      const paths = body.sample && typeof body.sample === 'object' ? listPaths(body.sample) : [];
      const hasSample = Boolean(body.sample && typeof body.sample === 'object');
      const rows = () =>
        hasSample
          ? rowValues(
              body.mappings ?? [],
              { split: body.split, splitPath: body.splitPath },
              body.sample,
              leadSourceFrom(body.webhook),
            )
          : [];
      let compiled: CompiledMapping;
      try {
        compiled = compileMapping(body.mappings ?? [], { split: body.split, splitPath: body.splitPath });
      } catch (err) {
        if (!(err instanceof MappingConfigError)) throw err;
        return res.json({
          leads: [],
          failures: [{ row: err.row ?? 0, field: err.field ?? '', reason: err.message }],
          paths,
          rows: rows(),
        });
      }
      if (!hasSample) return res.json({ leads: [], failures: [], paths, rows: [] });
      const { leads, failures } = mapEvent(compiled, body.sample, leadSourceFrom(body.webhook), {
        maxRecords: PREVIEW_MAX_RECORDS,
      });
      res.json({ leads, failures, paths, rows: rows() });
    } catch (err) {
      res.status(400).json({
        error: RED._('sales-lead-map.errors.preview-failed', { reason: (err as Error)?.message ?? String(err) }),
      });
    }
  });
};
