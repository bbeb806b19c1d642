// The editor dialog of sales-webhook-alert (Node-RED loads it from nodes/sales-webhook-alert.html; scripts/build.js serves it from resources/).
(function () {
  var FACTS = SalesWebhooksEditor.facts.alerts;

  function minutesValid(v) {
    return v === '' || v === undefined || (!isNaN(Number(v)) && Number(v) >= 0);
  }

  RED.nodes.registerType('sales-webhook alert', {
    category: 'sales',
    color: '#E9967A',
    paletteLabel: function () {
      return this._('sales-webhook-alert.label.palette');
    },
    defaults: {
      name: { value: '' },
      kinds: {
        value: FACTS.kinds.slice(),
        validate: function (v) {
          return Array.isArray(v) && v.length > 0;
        },
      },
      scope: { value: 'all' },
      backlogMinutes: { value: FACTS.defaults.backlogMinutes, validate: minutesValid },
      quietMinutes: { value: FACTS.defaults.quietMinutes, validate: minutesValid },
      rejections: { value: FACTS.defaults.rejections, validate: RED.validators.number() },
      keepIn: { value: FACTS.keepIn.automatic },
      problemStore: {
        value: '',
        type: 'sales-webhook-redis',
        required: false,
        validate: function (v) {
          return this.keepIn !== FACTS.keepIn.named || (!!v && v !== '_ADD_');
        },
      },
      version: { value: SalesWebhooksEditor.currentVersion('sales-webhook alert') },
    },
    inputs: 0,
    outputs: 1,
    outputLabels: function () {
      return this._('sales-webhook-alert.label.output');
    },
    icon: 'alert.svg',
    label: function () {
      return this.name || this._('sales-webhook-alert.label.default');
    },
    labelStyle: function () {
      return this.name ? 'node_label_italic' : '';
    },
    oneditprepare: function () {
      var node = this;
      SalesWebhooksEditor.migrateDialog(this, 'node-input');
      // A node imported without them shows the defaults the runtime uses.
      Object.keys(FACTS.defaults).forEach(function (field) {
        var input = $('#node-input-' + field);
        if (input.val() === '') {
          input.val(FACTS.defaults[field]);
        }
      });
      // "Keep open problems in": the choices come from the runtime; a Redis node is named only for the last one.
      var keepIn = $('#node-input-keepIn').empty();
      FACTS.keepIn.choices.forEach(function (choice) {
        keepIn.append(
          $('<option>')
            .val(choice)
            .text(node._('sales-webhook-alert.keepIn.' + choice)),
        );
      });
      keepIn
        .val(FACTS.keepIn.choices.indexOf(node.keepIn) !== -1 ? node.keepIn : FACTS.keepIn.automatic)
        .on('change', function () {
          $('#sales-webhook-alert-problem-store-row').toggle(keepIn.val() === FACTS.keepIn.named);
        })
        .trigger('change');
      var list = $('#sales-webhook-alert-kinds').empty();
      var chosen = Array.isArray(node.kinds) && node.kinds.length ? node.kinds : FACTS.kinds;
      FACTS.kinds.forEach(function (kind) {
        var box = $('<input type="checkbox" style="width:auto; margin:0 6px 0 0;">')
          .val(kind)
          .prop('checked', chosen.indexOf(kind) !== -1);
        $('<label style="display:block; width:auto;">')
          .append(box, $('<span>').text(node._('sales-webhook-alert.kind.' + kind)))
          .appendTo(list);
      });
    },
    oneditsave: function () {
      var kinds = [];
      $('#sales-webhook-alert-kinds input:checked').each(function () {
        kinds.push($(this).val());
      });
      this.kinds = kinds;
      // Named only when chosen: a stale reference would keep the Redis node "in use".
      if ($('#node-input-keepIn').val() !== FACTS.keepIn.named) {
        $('#node-input-problemStore').val('_ADD_');
      }
      this.version = SalesWebhooksEditor.currentVersion(this.type);
    },
  });
})();
