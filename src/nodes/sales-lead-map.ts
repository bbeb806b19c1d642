import fs from 'node:fs';
import path from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { compileMapping, leadSourceFrom, listPaths, mapEvent, MappingConfigError, type CompiledMapping, type FieldFailure } from '../leadmap';
import { migrateLeadMapConfig, type LeadMapConfig } from '../leadmap/config';
import type { MappingRow } from '../leadmap/types';
import { getLeadPreset, listLeadPresets } from '../providers/registry';
import { noteLeadsOfDelivery, partOf } from './settle';

const FIXTURES_DIR = path.resolve(__dirname, '..', '..', 'test', 'fixtures');
const STATUS_INTERVAL_MS = 250;

function describeFailures(failures: FieldFailure[]): string {
  return failures.map((f) => (f.row ? `${f.field} (${f.path}): ${f.reason}` : `${f.path}: ${f.reason}`)).join('; ');
}

interface LeadMapNodeDef extends NodeDef, LeadMapConfig {}

export = function (RED: NodeAPI) {
  function SalesLeadMap(this: Node, rawConfig: LeadMapNodeDef) {
    RED.nodes.createNode(this, rawConfig);
    const node = this;
    const config = migrateLeadMapConfig(rawConfig);
    const property = config.property || 'payload';
    let mapping: CompiledMapping | undefined;
    let configError: string | undefined;
    try {
      mapping = compileMapping(config.mappings ?? [], { split: config.split, splitPath: config.splitPath });
    } catch (err) {
      if (!(err instanceof MappingConfigError)) throw err;
      configError = RED._('sales-lead-map.errors.config', { reason: err.message });
      node.warn(configError);
      node.status({ fill: 'red', shape: 'ring', text: err.message });
    }
    if (mapping) node.status({});

    const counts = { leads: 0, failed: 0 };
    let statusTimer: NodeJS.Timeout | undefined;
    const scheduleStatus = () => {
      statusTimer ??= setTimeout(() => {
        statusTimer = undefined;
        node.status({
          fill: counts.failed > 0 ? 'yellow' : 'green',
          shape: 'dot',
          text: RED._('sales-lead-map.status.counts', { leads: String(counts.leads), failed: String(counts.failed) }),
        });
      }, STATUS_INTERVAL_MS);
    };

    node.on('input', (msg: NodeMessage & { webhook?: unknown }, send, done) => {
      const fail = (message: string, fields: FieldFailure[]) => {
        counts.failed++;
        scheduleStatus();
        const error = { message, fields: fields.map(({ field, path: p, reason }) => ({ field, path: p, reason })) };
        send([null, { ...msg, error } as NodeMessage]);
        done(new Error(message));
      };
      if (!mapping) return fail(configError ?? RED._('sales-lead-map.errors.unconfigured'), []);
      const event = RED.util.getMessageProperty(msg, property);
      if (event === undefined || event === null || typeof event !== 'object') {
        return fail(RED._('sales-lead-map.errors.no-object', { property: `msg.${property}` }), []);
      }
      const { leads, failures } = mapEvent(mapping, event, leadSourceFrom(msg.webhook));
      if (leads.length > 0) {
        counts.leads += leads.length;
        scheduleStatus();
        // One message per lead, each with its own lead and msg.webhook; the event itself is not copied (it is large).
        // In split mode each lead settles its part of the delivery (msg.webhook.part), so the delivery settles when all have.
        const messages = leads.map((lead, index) => ({ ...msg, payload: lead, ...(msg.webhook ? { webhook: { ...(msg.webhook as object), ...(config.split ? partOf(index, leads.length) : {}) } } : {}) }));
        noteLeadsOfDelivery(msg, leads);
        send([messages as NodeMessage[], null]);
      }
      if (failures.length > 0) return fail(RED._('sales-lead-map.errors.fields', { fields: describeFailures(failures) }), failures);
      done();
    });

    node.on('close', () => {
      if (statusTimer) clearTimeout(statusTimer);
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
    const file = path.join(FIXTURES_DIR, preset.provider, `${preset.eventType}.json`);
    fs.readFile(file, 'utf8', (err, text) => {
      if (err) return res.status(404).json({ error: RED._('sales-lead-map.errors.no-fixture') });
      res.json({ payload: JSON.parse(text), webhook: { provider: preset.provider, eventType: preset.eventType } });
    });
  });

  RED.httpAdmin.get('/sales-lead-map/last-delivery/:nodeId', read, (req, res) => {
    const source = RED.nodes.getNode(String(req.params.nodeId)) as (Node & { lastDelivery?: unknown; type?: string }) | null;
    if (!source || source.type !== 'sales-webhook in') return res.status(404).json({ error: RED._('sales-lead-map.errors.no-source-node') });
    if (!source.lastDelivery) return res.status(404).json({ error: RED._('sales-lead-map.errors.no-delivery-yet') });
    res.json(source.lastDelivery);
  });

  RED.httpAdmin.post('/sales-lead-map/preview', write, (req, res) => {
    const body = (req.body ?? {}) as { mappings?: MappingRow[]; split?: boolean; splitPath?: string; sample?: unknown; webhook?: unknown; property?: string };
    const paths = body.sample && typeof body.sample === 'object' ? listPaths(body.sample) : [];
    let compiled: CompiledMapping;
    try {
      compiled = compileMapping(body.mappings ?? [], { split: body.split, splitPath: body.splitPath });
    } catch (err) {
      if (!(err instanceof MappingConfigError)) throw err;
      return res.json({ leads: [], failures: [{ row: err.row ?? 0, field: err.field ?? '', reason: err.message }], paths });
    }
    if (!body.sample || typeof body.sample !== 'object') return res.json({ leads: [], failures: [], paths });
    const { leads, failures } = mapEvent(compiled, body.sample, leadSourceFrom(body.webhook));
    res.json({ leads, failures, paths });
  });
};
