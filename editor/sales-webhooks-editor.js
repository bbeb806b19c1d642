// The editor side of src/migrations.ts and src/editorFacts.ts. scripts/build.js wraps this file with the compiled
// migrations (`migrations`) and the runtime's constants (`facts`) into resources/sales-webhooks-editor.js, which
// every dialog loads before its own script.
window.SalesWebhooksEditor = {
  facts: facts,
  migrate: migrations.migrate,
  currentVersion: migrations.currentVersion,
  /**
   * For oneditprepare: the node's stored properties brought up to the current version by the same steps the
   * runtime applies. Changed plain values are written into the dialog's inputs (`prefix` is node-input or
   * node-config-input) so Done saves them; the dialog reads lists (rows) from the returned copy.
   */
  migrateDialog: function (node, prefix) {
    const stored = {};
    Object.keys(node._def.defaults).forEach(function (key) {
      stored[key] = node[key];
    });
    const migrated = migrations.migrate(node.type, stored);
    Object.keys(migrated).forEach(function (key) {
      const value = migrated[key];
      if (key === 'version' || value === stored[key] || (value !== null && typeof value === 'object')) return;
      const $input = $('#' + prefix + '-' + key);
      if (!$input.length) return;
      if ($input.is(':checkbox')) $input.prop('checked', !!value);
      else $input.val(value);
    });
    return migrated;
  },
  /** Runs the dialog scripts that arrived before this one (see scripts/build.js), each once. */
  runQueued: function () {
    const queued = window.SalesWebhooksEditorQueue || [];
    while (queued.length) queued.shift()();
  },
};
window.SalesWebhooksEditor.runQueued();
