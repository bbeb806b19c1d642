// The editor dialog of sales-webhook-in (Node-RED loads it from nodes/sales-webhook-in.html; scripts/build.js serves it from resources/).
RED.nodes.registerType('sales-webhook in', {
  category: 'sales',
  color: '#E9967A',
  paletteLabel: function () {
    return this._('sales-webhook-in.label.palette');
  },
  defaults: {
    name: { value: '' },
    url: {
      value: SalesWebhooksEditor.facts.webhookIn.url,
      required: true,
      validate: function (v) {
        return typeof v === 'string' && v.trim().length > 0 && !/\s/.test(v.trim());
      },
    },
    source: { value: '', type: 'sales-webhook-source', required: true },
    maxBytes: { value: SalesWebhooksEditor.facts.webhookIn.maxBytes, validate: RED.validators.number() },
    bodyTimeout: {
      value: SalesWebhooksEditor.facts.webhookIn.bodyTimeout,
      required: false,
      validate: function (v) {
        return v === undefined || v === '' || Number(v) > 0;
      },
    },
    dedupe: { value: true },
    dedupeHours: {
      value: SalesWebhooksEditor.facts.webhookIn.dedupeHours,
      validate: function (v) {
        return Number(v) > 0;
      },
    },
    dedupeLimit: {
      value: SalesWebhooksEditor.facts.webhookIn.dedupeLimit,
      validate: function (v) {
        return Number(v) >= 1;
      },
    },
    dedupeStore: { value: '' },
    inbox: { value: true },
    store: { value: '', type: 'sales-webhook-redis', required: false },
    leaseMinutes: {
      value: SalesWebhooksEditor.facts.webhookIn.leaseMinutes,
      validate: function (v) {
        return v === undefined || v === '' || Number(v) > 0;
      },
    },
    maxAttempts: {
      value: SalesWebhooksEditor.facts.webhookIn.maxAttempts,
      validate: function (v) {
        return v === undefined || v === '' || (Number(v) >= 1 && Number.isInteger(Number(v)));
      },
    },
    version: { value: SalesWebhooksEditor.currentVersion('sales-webhook in') },
  },
  inputs: 0,
  outputs: 2,
  outputLabels: function (i) {
    return this._(i === 0 ? 'sales-webhook-in.label.outputAccepted' : 'sales-webhook-in.label.outputRejected');
  },
  icon: 'sales-webhook.svg',
  label: function () {
    return this.name || '[post] ' + (this.url || this._('sales-webhook-in.label.default'));
  },
  labelStyle: function () {
    return this.name ? 'node_label_italic' : '';
  },
  // A node added from the palette takes a path no other sales webhook uses: the default, else the default with -2, -3, ….
  onadd: function () {
    const base = SalesWebhooksEditor.facts.webhookIn.url;
    if (this.url !== base) return;
    const self = this;
    const taken = new Set();
    RED.nodes.eachNode(function (n) {
      if (n.type === 'sales-webhook in' && n !== self) taken.add(n.url);
    });
    let url = base;
    for (let i = 2; taken.has(url); i++) url = base + '-' + i;
    this.url = url;
  },
  oneditprepare: function () {
    SalesWebhooksEditor.migrateDialog(this, 'node-input');
    const root = (RED.settings.httpNodeRoot || '/').replace(/\/$/, '');
    function showFullUrl() {
      const path = ($('#node-input-url').val() || '').trim().replace(/^\/*/, '/');
      $('#sales-webhook-in-full-url').text(location.protocol + '//' + location.host + root + path);
    }
    $('#node-input-url').on('input change', showFullUrl);
    showFullUrl();
    // Warn before deploy about a path the runtime would refuse (one that hides an editor route, or is not a plain path).
    let checkTimer = null;
    function checkPath() {
      const url = ($('#node-input-url').val() || '').trim();
      $.getJSON('sales-webhook-in/check-path', { url: url }).done(function (answer) {
        $('#sales-webhook-in-url-warning')
          .text(answer.problem || '')
          .toggle(Boolean(answer.problem));
      });
    }
    $('#node-input-url').on('input change', function () {
      clearTimeout(checkTimer);
      checkTimer = setTimeout(checkPath, 250);
    });
    checkPath();
    const node = this;
    // Send test event: the runtime signs the example with the deployed source's secret and posts it here.
    const $event = $('#sales-webhook-in-test-event');
    const $result = $('#sales-webhook-in-test-result');
    let providers = null;
    function fillEvents() {
      const source = RED.nodes.node($('#node-input-source').val());
      $event.empty();
      if (!source || !providers) return;
      const profile = providers.find(function (p) {
        return p.id === source.provider;
      });
      (profile ? profile.events : []).forEach(function (e) {
        $('<option>').val(e.type).text(e.type).appendTo($event);
      });
    }
    $.getJSON('sales-webhook-source/providers').done(function (list) {
      providers = list;
      fillEvents();
    });
    $('#node-input-source').on('change', fillEvents);
    $('#sales-webhook-in-test-send').on('click', function (e) {
      e.preventDefault();
      $result.css('color', '').text(node._('sales-webhook-in.label.sending'));
      $.ajax({
        url: 'sales-webhook-in/' + encodeURIComponent(node.id) + '/send-test',
        method: 'POST',
        contentType: 'application/json',
        data: JSON.stringify({ eventType: $event.val(), tamper: $('#sales-webhook-in-test-tamper').is(':checked') }),
      })
        .done(function (answer) {
          const good = answer.tamper ? answer.status === 401 : answer.status >= 200 && answer.status < 300;
          $result
            .css('color', good ? 'var(--red-ui-text-color-success, #3a3)' : 'var(--red-ui-text-color-error, #c00)')
            .text(answer.status + ' ' + answer.body);
        })
        .fail(function (xhr) {
          $result
            .css('color', 'var(--red-ui-text-color-error, #c00)')
            .text((xhr.responseJSON && xhr.responseJSON.error) || xhr.statusText);
        });
    });
    // Flows saved before the inbox existed lack its properties: on, with the defaults, like a new node.
    if (node.inbox === undefined) $('#node-input-inbox').prop('checked', true);
    if (node.leaseMinutes === undefined || node.leaseMinutes === '')
      $('#node-input-leaseMinutes').val(SalesWebhooksEditor.facts.webhookIn.leaseMinutes);
    if (node.maxAttempts === undefined || node.maxAttempts === '')
      $('#node-input-maxAttempts').val(SalesWebhooksEditor.facts.webhookIn.maxAttempts);
    function toggleRows() {
      const inbox = $('#node-input-inbox').is(':checked');
      const dedupe = $('#node-input-dedupe').is(':checked');
      const redis = Boolean($('#node-input-store').val()) && $('#node-input-store').val() !== '_ADD_';
      $('.sales-webhook-in-dedupe-row').toggle(dedupe);
      // Remember bounds the keys held in memory: by the embedded inbox, or by the memory guard with the inbox off.
      $('.sales-webhook-in-remember-row').toggle(dedupe && !(inbox && redis));
      // The context store belongs to the memory guard, used only with the inbox off.
      $('.sales-webhook-in-memory-row').toggle(dedupe && !inbox);
      $('.sales-webhook-in-inbox-row').toggle(inbox);
    }
    $('#node-input-dedupe, #node-input-inbox, #node-input-store').on('change', toggleRows);
    toggleRows();
  },
  oneditsave: function () {
    this.version = SalesWebhooksEditor.currentVersion(this.type);
  },
});
