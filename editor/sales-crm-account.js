// The editor dialog of sales-crm-account (Node-RED loads it from nodes/sales-crm-account.html; scripts/build.js serves it from resources/).
(function () {
  // Which ways each CRM authenticates, its default servers and Zoho's data centres come from the runtime (one copy of each fact).
  let systemsCache = null;
  const CRM = SalesWebhooksEditor.facts.crm;
  const DEFAULTS = CRM.accountDefaults;
  const CREDENTIALS = Object.keys(CRM.accountCredentials);
  const SETTINGS = [
    'system',
    'auth',
    'baseUrl',
    'loginUrl',
    'dataCenter',
    'apiVersion',
    'batchWindow',
    'rateLimit',
    'maxAttempts',
    'minDelay',
    'maxDelay',
    'timeout',
    'concurrency',
  ];
  RED.nodes.registerType('sales-crm-account', {
    category: 'config',
    defaults: {
      name: { value: '' },
      system: { value: CRM.systems[0], required: true },
      // Absent in accounts saved before OAuth: it then means `token` (Zoho: `refresh-token`, its only way).
      auth: { value: 'token' },
      baseUrl: { value: '' },
      loginUrl: { value: '' },
      dataCenter: { value: DEFAULTS.dataCenter },
      // Empty: the CRM's current version (Salesforce v68.0, HubSpot 2026-09); the runtime checks an override's form.
      apiVersion: { value: DEFAULTS.apiVersion },
      batchWindow: {
        value: DEFAULTS.batchWindowMs,
        validate: function (v) {
          return v === '' || Number(v) >= 0;
        },
      },
      // 0: the CRM's documented limit (HubSpot 100 per 10 s; 190 on Professional and Enterprise).
      rateLimit: {
        value: DEFAULTS.rateLimit,
        validate: function (v) {
          return v === '' || Number(v) >= 0;
        },
      },
      maxAttempts: {
        value: DEFAULTS.maxAttempts,
        validate: function (v) {
          return Number(v) >= 1;
        },
      },
      minDelay: {
        value: DEFAULTS.minDelayMs,
        validate: function (v) {
          return Number(v) >= 0;
        },
      },
      maxDelay: {
        value: DEFAULTS.maxDelayMs,
        validate: function (v) {
          return Number(v) >= 0;
        },
      },
      timeout: {
        value: DEFAULTS.timeoutMs,
        validate: function (v) {
          return Number(v) >= 100;
        },
      },
      concurrency: {
        value: DEFAULTS.concurrency,
        validate: function (v) {
          return Number(v) >= 1;
        },
      },
      version: { value: SalesWebhooksEditor.currentVersion('sales-crm-account') },
    },
    credentials: CRM.accountCredentials,
    label: function () {
      return this.name || (this.system ? this._('sales-crm-account.system.' + this.system) : 'CRM account');
    },
    oneditprepare: function () {
      const node = this;
      SalesWebhooksEditor.migrateDialog(node, 'node-config-input');
      const $system = $('#node-config-input-system');
      // The CRMs the runtime knows, in its order: the template holds an empty select.
      CRM.systems.forEach(function (system) {
        $('<option>')
          .val(system)
          .text(node._('sales-crm-account.system.' + system))
          .appendTo($system);
      });
      $system.val(node.system || CRM.systems[0]);
      const $auth = $('#node-config-input-auth');
      systemsCache = systemsCache || $.getJSON('sales-crm/systems');
      function showFields() {
        const system = $system.val();
        const auth = $auth.val() || 'token';
        const rows = {
          instanceUrl: system === 'salesforce' && auth === 'token',
          headerName: system === 'http' && auth === 'token',
          token: auth === 'token',
          clientId: auth !== 'token',
          clientSecret: auth === 'client-credentials' || auth === 'refresh-token',
          refreshToken: auth === 'refresh-token',
          username: auth === 'jwt',
          privateKey: auth === 'jwt',
          loginUrl: auth !== 'token',
          dataCenter: system === 'zoho',
        };
        Object.keys(rows).forEach(function (field) {
          $('#sales-crm-account-row-' + field).toggle(rows[field]);
        });
        // Empty means the CRM's current version, named here; a CRM whose paths carry no version has none to choose.
        const apiVersion = CRM.defaultApiVersions[system];
        const $apiVersionRow = $('#sales-crm-account-row-apiVersion');
        const advancedShown = $('.sales-crm-account-advanced').not($apiVersionRow).first().is(':visible');
        $apiVersionRow.toggleClass('sales-crm-account-advanced', !!apiVersion).toggle(!!apiVersion && advancedShown);
        $('#node-config-input-apiVersion').attr(
          'placeholder',
          apiVersion ? node._('sales-crm-account.placeholder.apiVersionOf', { version: apiVersion }) : '',
        );
        $('#sales-crm-account-token-tip').text(node._('sales-crm-account.tip.token-' + system));
        $('#sales-crm-account-client-tip').text(node._('sales-crm-account.tip.client-' + system));
        $('#sales-crm-account-auth-tip').text(node._('sales-crm-account.tip.auth-' + auth));
        $('#sales-crm-account-loginUrl-tip').text(node._('sales-crm-account.tip.loginUrl-' + system));
        systemsCache.done(function (facts) {
          const dc = $('#node-config-input-dataCenter').val() || DEFAULTS.dataCenter;
          const login = system === 'zoho' ? facts.zohoDataCenters[dc] : facts.loginUrls[system];
          $('#node-config-input-loginUrl').attr(
            'placeholder',
            login || (system === 'http' ? 'https://auth.example.com/oauth2/token' : ''),
          );
          const fromToken = auth !== 'token' && system !== 'http' && system !== 'hubspot';
          $('#node-config-input-baseUrl').attr(
            'placeholder',
            fromToken
              ? node._('sales-crm-account.placeholder.fromToken')
              : facts.baseUrls[system] ||
                  (system === 'salesforce'
                    ? node._('sales-crm-account.placeholder.instanceFirst')
                    : 'https://crm.example.com'),
          );
        });
      }
      function fillAuths() {
        systemsCache.done(function (facts) {
          const system = $system.val();
          const allowed = facts.auths[system] || ['token'];
          const current = $auth.val() || node.auth || allowed[0];
          $auth.empty();
          allowed.forEach(function (auth) {
            $('<option>')
              .val(auth)
              .text(node._('sales-crm-account.auth.' + auth + '-' + system))
              .appendTo($auth);
          });
          $auth.val(allowed.indexOf(current) >= 0 ? current : allowed[0]);
          showFields();
        });
        showFields();
      }
      systemsCache.done(function (facts) {
        const $dc = $('#node-config-input-dataCenter').empty();
        Object.keys(facts.zohoDataCenters).forEach(function (dc) {
          $('<option>')
            .val(dc)
            .text(dc + ' (' + facts.zohoDataCenters[dc].replace('https://', '') + ')')
            .appendTo($dc);
        });
        $dc.val(node.dataCenter || DEFAULTS.dataCenter);
      });
      $auth
        .append(
          $('<option>')
            .val(node.auth || 'token')
            .text(node.auth || 'token'),
        )
        .val(node.auth || 'token');
      $system.on('change', fillAuths);
      $auth.on('change', showFields);
      $('#node-config-input-dataCenter').on('change', showFields);
      fillAuths();
      $('#sales-crm-account-advanced-toggle').on('click', function (e) {
        e.preventDefault();
        $('.sales-crm-account-advanced').toggle();
      });

      // Test connection: the runtime fetches a token with these values and makes one harmless read. A password
      // field left as it was holds Node-RED's placeholder; the runtime then uses the stored secret.
      $('#sales-crm-account-test').on('click', function (e) {
        e.preventDefault();
        const $result = $('#sales-crm-account-test-result')
          .removeClass('sales-crm-account-ok sales-crm-account-failed')
          .css('color', '')
          .text(node._('sales-crm-account.test.running'));
        const config = {};
        SETTINGS.forEach(function (k) {
          config[k] = $('#node-config-input-' + k).val();
        });
        const credentials = {};
        CREDENTIALS.forEach(function (k) {
          credentials[k] = $('#node-config-input-' + k).val();
        });
        $.ajax({
          url: 'sales-crm-account/test-connection',
          type: 'POST',
          contentType: 'application/json',
          data: JSON.stringify({ id: node.id, config: config, credentials: credentials }),
        })
          .done(function (answer) {
            $result
              .addClass(answer.ok ? 'sales-crm-account-ok' : 'sales-crm-account-failed')
              .css(
                'color',
                answer.ok ? 'var(--red-ui-text-color-success, #3a3)' : 'var(--red-ui-text-color-error, #c00)',
              )
              .text((answer.ok ? '✔ ' : '✘ ') + answer.message);
          })
          .fail(function (xhr) {
            $result
              .addClass('sales-crm-account-failed')
              .css('color', 'var(--red-ui-text-color-error, #c00)')
              .text('✘ ' + ((xhr.responseJSON && xhr.responseJSON.message) || xhr.statusText));
          });
      });
    },
    oneditsave: function () {
      this.version = SalesWebhooksEditor.currentVersion(this.type);
    },
  });
})();
