// The editor dialog of sales-webhook-redis (Node-RED loads it from nodes/sales-webhook-redis.html; scripts/build.js serves it from resources/).
RED.nodes.registerType('sales-webhook-redis', {
  category: 'config',
  defaults: {
    name: { value: '' },
    url: {
      value: 'redis://127.0.0.1:6379',
      required: true,
      validate: function (v) {
        return (
          typeof v === 'string' &&
          /^rediss?:\/\/[^/\s]/.test(v.trim()) &&
          !/^rediss?:\/\/[^/@\s]*:[^/@\s]*@/.test(v.trim())
        );
      },
    },
    prefix: {
      value: SalesWebhooksEditor.facts.redis.prefix,
      validate: function (v) {
        return !v || /^[^{}\s]+$/.test(v);
      },
    },
    tls: { value: false },
    version: { value: SalesWebhooksEditor.currentVersion('sales-webhook-redis') },
  },
  credentials: {
    username: { type: 'text' },
    password: { type: 'password' },
  },
  label: function () {
    return this.name || (this.url ? this.url.replace(/\/\/[^@/]*@/, '//') : 'Redis');
  },
  oneditprepare: function () {
    SalesWebhooksEditor.migrateDialog(this, 'node-config-input');
    $('#node-config-input-prefix').attr('placeholder', SalesWebhooksEditor.facts.redis.prefix);
    const tls = function () {
      if (/^rediss:/.test($('#node-config-input-url').val())) $('#node-config-input-tls').prop('checked', true);
    };
    $('#node-config-input-url').on('change', tls);
  },
  oneditsave: function () {
    this.version = SalesWebhooksEditor.currentVersion(this.type);
  },
});
