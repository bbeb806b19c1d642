// The editor dialog of sales-webhook-source (Node-RED loads it from nodes/sales-webhook-source.html; scripts/build.js serves it from resources/).
(function () {
  const FACTS = SalesWebhooksEditor.facts.sourceDialog;
  let providersCache;
  function loadProviders() {
    providersCache = providersCache || $.getJSON('sales-webhook-source/providers');
    return providersCache;
  }

  // The runtime's header-name rule, so a typo is marked in the dialog before a deploy refuses it.
  const HEADER_NAME = new RegExp(SalesWebhooksEditor.facts.headerNamePattern);
  function headerName(v) {
    return !v || HEADER_NAME.test(String(v).trim());
  }

  RED.nodes.registerType('sales-webhook-source', {
    category: 'config',
    defaults: {
      name: { value: '' },
      provider: { value: FACTS.defaultProvider, required: true },
      tolerance: {
        value: SalesWebhooksEditor.facts.source.toleranceSeconds,
        validate: function (v) {
          return v === '' || v === undefined || Number(v) > 0;
        },
      },
      headerName: { value: '', validate: headerName },
      signatureHeader: { value: '', validate: headerName },
      algorithm: { value: '' },
      encoding: { value: '' },
      prefix: { value: '' },
      template: {
        value: '',
        validate: function (v) {
          return !v || v.indexOf(FACTS.templateMustContain) !== -1;
        },
      },
      timestampHeader: { value: '', validate: headerName },
      idHeader: { value: '', validate: headerName },
      version: { value: SalesWebhooksEditor.currentVersion('sales-webhook-source') },
    },
    credentials: {
      secret: { type: 'password' },
      previousSecret: { type: 'password' },
      token: { type: 'password' },
    },
    label: function () {
      return this.name || this.provider || this._('sales-webhook-source.label.default');
    },
    oneditprepare: function () {
      const node = this;
      const config = SalesWebhooksEditor.migrateDialog(node, 'node-config-input');
      const $provider = $('#node-config-input-provider');
      // The choices the runtime's HMAC verifier accepts; the stored value is selected once they exist.
      FACTS.algorithms.forEach(function (a) {
        $('<option>').val(a).text(a.replace(/^sha/, 'SHA-')).appendTo('#node-config-input-algorithm');
      });
      FACTS.encodings.forEach(function (e) {
        $('<option>').val(e).text(e).appendTo('#node-config-input-encoding');
      });
      $('#node-config-input-algorithm').val(config.algorithm || '');
      $('#node-config-input-encoding').val(config.encoding || '');
      function showProvider(profile) {
        $('#sales-webhook-source-description').text(profile ? profile.description : '');
        const fields = profile ? profile.fields : [];
        FACTS.fields.forEach(function (field) {
          $('#sales-webhook-source-row-' + field).toggle(fields.indexOf(field) !== -1);
        });
        // Placeholders show the provider's defaults, so an empty field means "as the platform does it".
        const v = profile ? profile.verification : {};
        FACTS.fields.forEach(function (field) {
          const $input = $('#node-config-input-' + field);
          // Secrets keep their own placeholder text; the scheme calls the signature header just "header".
          if (/\[placeholder\]/.test($input.attr('data-i18n') || '')) return;
          const fromScheme = field === 'signatureHeader' ? v.header : v[field];
          $input.attr('placeholder', typeof fromScheme === 'string' ? fromScheme : '');
        });
        const $events = $('#sales-webhook-source-events').empty();
        const events = profile ? profile.events : [];
        if (!events.length) {
          $('<li>').text(node._('sales-webhook-source.label.anyEvent')).appendTo($events);
        }
        events.forEach(function (e) {
          $('<li>')
            .append($('<code>').text(e.type))
            .append(document.createTextNode(' ' + e.description))
            .appendTo($events);
        });
      }
      loadProviders()
        .then(function (providers) {
          const current = node.provider;
          $provider.empty();
          providers.forEach(function (p) {
            $('<option>').val(p.id).text(p.label).appendTo($provider);
          });
          $provider.val(current);
          const byId = {};
          providers.forEach(function (p) {
            byId[p.id] = p;
          });
          $provider.on('change', function () {
            showProvider(byId[$provider.val()]);
          });
          showProvider(byId[current]);
        })
        .catch(function () {
          $('#sales-webhook-source-description').text(node._('sales-webhook-source.errors.providers-unavailable'));
        });
    },
    oneditsave: function () {
      this.version = SalesWebhooksEditor.currentVersion(this.type);
    },
  });
})();
