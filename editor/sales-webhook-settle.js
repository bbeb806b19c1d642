// The editor dialog of sales-webhook-settle (Node-RED loads it from nodes/sales-webhook-settle.html; scripts/build.js serves it from resources/).
RED.nodes.registerType('sales-webhook settle', {
  category: 'sales',
  color: '#E9967A',
  paletteLabel: function () {
    return this._('sales-webhook-settle.label.palette');
  },
  defaults: {
    name: { value: '' },
    version: { value: SalesWebhooksEditor.currentVersion('sales-webhook settle') },
  },
  inputs: 1,
  outputs: 1,
  outputLabels: function () {
    return this._('sales-webhook-settle.label.output');
  },
  icon: 'sales-settle.svg',
  align: 'right',
  label: function () {
    return this.name || this._('sales-webhook-settle.label.default');
  },
  labelStyle: function () {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function () {
    SalesWebhooksEditor.migrateDialog(this, 'node-input');
  },
  oneditsave: function () {
    this.version = SalesWebhooksEditor.currentVersion(this.type);
  },
});
