// The editor dialog of sales-lead-map (Node-RED loads it from nodes/sales-lead-map.html; scripts/build.js serves it from resources/).
(function () {
  const FACTS = SalesWebhooksEditor.facts;
  const CUSTOM = FACTS.leadMap.customPreset;
  const FIELD_NAME = new RegExp(FACTS.leadMap.fieldNamePattern);
  let presetCache = null;
  function readMappingRows($list) {
    const rows = [];
    $list.editableList('items').each(function () {
      const $row = $(this);
      rows.push({
        field: $row.find('.sales-lead-map-field').val().trim(),
        path: $row.find('.sales-lead-map-path').val().trim(),
        type: $row.find('.sales-lead-map-type').val(),
        required: $row.find('.sales-lead-map-required').is(':checked'),
        default: $row.find('.sales-lead-map-default').val(),
      });
    });
    return rows;
  }
  function loadPresets() {
    presetCache = presetCache || $.getJSON('sales-lead-map/presets');
    return presetCache;
  }
  // A node that names a preset and stores no rows follows the preset as the installed package defines it.
  function followsPreset(node) {
    return !!node.preset && node.preset !== CUSTOM && (!node.mappings || node.mappings.length === 0);
  }
  function shortValue(value) {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    return text.length > 60 ? text.slice(0, 57) + '…' : text;
  }

  RED.nodes.registerType('sales-lead-map', {
    category: 'sales',
    color: '#E9967A',
    paletteLabel: function () {
      return this._('sales-lead-map.label.palette');
    },
    defaults: {
      name: { value: '' },
      preset: { value: CUSTOM },
      mappings: {
        value: FACTS.leadMap.newNode.mappings,
        validate: function (rows) {
          if (Array.isArray(rows) && rows.length === 0) return followsPreset({ preset: this.preset, mappings: rows });
          return (
            Array.isArray(rows) &&
            rows.every(function (r) {
              return (
                r &&
                typeof r.field === 'string' &&
                FIELD_NAME.test(r.field.trim()) &&
                typeof r.path === 'string' &&
                r.path.trim() !== '' &&
                FACTS.mappingTypes.indexOf(r.type) !== -1
              );
            })
          );
        },
      },
      property: { value: FACTS.leadMap.newNode.property, required: true },
      split: { value: false },
      splitPath: { value: '' },
      version: { value: SalesWebhooksEditor.currentVersion('sales-lead-map') },
    },
    inputs: 1,
    outputs: 2,
    outputLabels: function (i) {
      return this._(i === 0 ? 'sales-lead-map.label.outputLeads' : 'sales-lead-map.label.outputFailed');
    },
    icon: 'sales-lead.svg',
    label: function () {
      if (this.name) return this.name;
      return this.preset && this.preset !== CUSTOM ? this.preset : this._('sales-lead-map.label.default');
    },
    labelStyle: function () {
      return this.name ? 'node_label_italic' : '';
    },
    oneditprepare: function () {
      const node = this;
      const config = SalesWebhooksEditor.migrateDialog(node, 'node-input');
      const $list = $('#node-input-mapping-container');
      const $preset = $('#node-input-preset');
      const $sample = $('#sales-lead-map-sample');
      const $preview = $('#sales-lead-map-preview');
      const $count = $('#sales-lead-map-preview-count');
      const $paths = $('#sales-lead-map-paths');
      const $search = $('#sales-lead-map-paths-search');
      const $message = $('#sales-lead-map-sample-message');
      const $mode = $('#sales-lead-map-mode-text');
      const $followAgain = $('#sales-lead-map-follow-again');
      let presets = [];
      let sampleWebhook = null;
      let previewTimer = null;
      // The newest preview asked for: an answer to an older one, arriving late, must not replace what it shows.
      let previewsAsked = 0;
      let edited = false;
      let following = followsPreset(config);
      node._salesLeadMapFollowing = function () {
        return following;
      };

      $('#node-input-property').typedInput({ types: ['msg'], typeField: '#node-input-property-type' });
      const $standard = $('#sales-lead-map-standard-fields').empty();
      FACTS.standardLeadFields.forEach(function (f) {
        $('<option>').val(f).appendTo($standard);
      });

      function chosenPreset() {
        return presets.find(function (p) {
          return p.id === $preset.val();
        });
      }
      function showMode() {
        const preset = chosenPreset();
        const key = !preset ? 'modeCustom' : following ? 'modeFollowing' : 'modeCopied';
        $mode.text(node._('sales-lead-map.tip.' + key, { preset: preset ? preset.label : '' }));
        $('#sales-lead-map-mode').attr('data-mode', !preset ? CUSTOM : following ? 'following' : 'copied');
        $followAgain.toggle(!!preset && !following);
      }
      function rowsChanged() {
        edited = true;
        if (following) {
          following = false;
          showMode();
        }
        schedulePreview();
      }
      function newRow(row) {
        return $.extend({ field: '', path: '', type: FACTS.leadMap.newRowType, required: false, default: '' }, row);
      }
      function addRow(row) {
        $list.editableList('addItem', newRow(row));
      }
      // The row a path picked in the sample's fields goes to: the one last worked on, until a pick has filled it.
      let targetRow = null;
      function showTarget() {
        const field =
          targetRow && targetRow.closest('body').length ? targetRow.find('.sales-lead-map-field').val() : '';
        $('#sales-lead-map-paths-target').text(
          field ? node._('sales-lead-map.tip.pickFills', { field: field }) : node._('sales-lead-map.tip.pickAdds'),
        );
      }
      // Two lines a row, each column as wide as its content needs: nothing is cut at the dialog's default width.
      $list.editableList({
        height: 'auto',
        addButton: node._('sales-lead-map.label.addRow'),
        addItem: function (container, index, row) {
          row = newRow(row);
          container.addClass('sales-lead-map-row');
          const $field = $('<input type="text" class="sales-lead-map-field" list="sales-lead-map-standard-fields">')
            .attr('placeholder', node._('sales-lead-map.placeholder.field'))
            .attr('aria-label', node._('sales-lead-map.label.field'))
            .val(row.field);
          const $type = $('<select class="sales-lead-map-type">').attr(
            'aria-label',
            node._('sales-lead-map.label.type'),
          );
          FACTS.mappingTypes.forEach(function (t) {
            $('<option>').val(t).text(t).appendTo($type);
          });
          $type.val(row.type);
          const $required = $('<input type="checkbox" class="sales-lead-map-required">')
            .prop('checked', !!row.required)
            .attr('title', node._('sales-lead-map.label.required'));
          const $default = $('<input type="text" class="sales-lead-map-default">')
            .attr('placeholder', node._('sales-lead-map.placeholder.default'))
            .attr('aria-label', node._('sales-lead-map.label.defaultValue'))
            .val(row.default || '');
          const $path = $('<input type="text" class="sales-lead-map-path">')
            .attr('placeholder', node._('sales-lead-map.placeholder.path'))
            .attr('aria-label', node._('sales-lead-map.label.path'))
            .val(row.path);
          const $value = $('<span class="sales-lead-map-value"></span>');
          container.append($field, $type, $required, $default, $path, $value);
          container.find('input, select').on('input change', rowsChanged);
          container.find('input, select').on('focus', function () {
            targetRow = container;
            showTarget();
          });
          // A row added by the add button or the field picker is an edit too.
          if (!row.field && !row.path) rowsChanged();
        },
        removeItem: function () {
          showTarget();
          rowsChanged();
        },
        sortItems: rowsChanged,
        sortable: true,
        removable: true,
      });

      function setRows(rows) {
        $list.editableList('empty');
        rows.forEach(function (r) {
          $list.editableList('addItem', newRow(r));
        });
        edited = false;
      }
      function followPreset(preset) {
        setRows(preset.mappings);
        following = true;
        $('#node-input-split').prop('checked', !!preset.splitPath).trigger('change');
        $('#node-input-splitPath').val(preset.splitPath || '');
        showMode();
      }
      if (!following) setRows(config.mappings || []);

      function readSample() {
        const text = $sample.val().trim();
        if (!text) return { sample: null };
        try {
          return { sample: JSON.parse(text) };
        } catch (e) {
          return { error: node._('sales-lead-map.errors.sample-json') };
        }
      }
      function showRowValues(values, failures) {
        const items = $list.editableList('items');
        items.each(function () {
          $(this).css('background', '');
          $(this)
            .find('.sales-lead-map-value')
            .text('')
            .attr('title', '')
            .removeClass('sales-lead-map-value-error')
            .css('color', '');
        });
        (values || []).forEach(function (v) {
          const $value = $(items[v.row - 1]).find('.sales-lead-map-value');
          if (v.reason) {
            $value
              .addClass('sales-lead-map-value-error')
              .css('color', 'var(--red-ui-text-color-error, #c00)')
              .text(v.reason)
              .attr('title', v.reason);
          } else if (v.value === undefined) {
            $value
              .css('color', 'var(--red-ui-secondary-text-color, #888)')
              .text(node._('sales-lead-map.label.nothing'));
          } else {
            $value
              .text(shortValue(v.value))
              .attr('title', typeof v.value === 'string' ? v.value : JSON.stringify(v.value));
          }
        });
        (failures || []).forEach(function (f) {
          if (f.row) $(items[f.row - 1]).css('background', 'var(--red-ui-form-input-background-error, #fee)');
        });
      }
      function rowWhere(test) {
        let found = null;
        $list.editableList('items').each(function () {
          if (!found && test($(this))) found = $(this);
        });
        return found;
      }
      // A picked path fills the row being worked on, else updates the row of the field it names, else fills an
      // empty row, else adds one: never a second row for the same field.
      function pickPath(path) {
        const name = path
          .split(/[.[\]']/)
          .filter(Boolean)
          .pop()
          .replace(/[^\w-]/g, '_');
        const field = FIELD_NAME.test(name) ? name : 'field_' + name;
        const valueOf = (cls) => ($row) => $row.find(cls).val().trim();
        let $row = targetRow && targetRow.closest('body').length ? targetRow : null;
        if (!$row) $row = rowWhere((r) => valueOf('.sales-lead-map-field')(r) === field);
        if (!$row) $row = rowWhere((r) => valueOf('.sales-lead-map-path')(r) === path);
        if (!$row) $row = rowWhere((r) => !valueOf('.sales-lead-map-field')(r) && !valueOf('.sales-lead-map-path')(r));
        if (!$row) {
          addRow({ field: field, path: path });
          const items = $list.editableList('items');
          $row = $(items[items.length - 1]);
        } else {
          if (!valueOf('.sales-lead-map-field')($row)) $row.find('.sales-lead-map-field').val(field);
          $row.find('.sales-lead-map-path').val(path);
        }
        targetRow = null;
        showTarget();
        rowsChanged();
        $row[0].scrollIntoView({ block: 'nearest' });
        $row.addClass('sales-lead-map-row-picked');
        setTimeout(function () {
          $row.removeClass('sales-lead-map-row-picked');
        }, 1500);
      }
      function filterPaths() {
        const words = $search.val().trim().toLowerCase().split(/\s+/).filter(Boolean);
        let shown = 0;
        $paths.children().each(function () {
          const text = $(this).attr('data-search');
          const match = words.every(function (w) {
            return text.indexOf(w) !== -1;
          });
          $(this).toggle(match);
          if (match) shown++;
        });
        const total = $paths.children().length;
        $('#sales-lead-map-paths-count').text(
          total ? node._('sales-lead-map.label.pathsShown', { count: shown, total: total }) : '',
        );
      }
      // The paths last shown: a preview that finds the same ones leaves the list alone, so a click that is under way
      // (mouse down on an entry, the preview's answer, mouse up) is not lost on an entry replaced in between.
      let shownPaths = null;
      function showPaths(paths) {
        const shown = JSON.stringify(paths);
        if (shown === shownPaths) return;
        shownPaths = shown;
        $paths.empty();
        paths.forEach(function (p) {
          const value = shortValue(p.value);
          $('<li class="sales-lead-map-path-item">')
            .attr('title', node._('sales-lead-map.tip.pick'))
            .attr('data-path', p.path)
            .attr('data-search', (p.path + ' ' + value).toLowerCase())
            .append($('<code>').text(p.path))
            .append($('<span class="sales-lead-map-path-value">').text(value))
            .on('click', function () {
              pickPath(p.path);
            })
            .appendTo($paths);
        });
        filterPaths();
      }
      $search.on('input', filterPaths);
      $search.on('keydown', function (e) {
        // Enter picks the only path left, as a search box for one thing should.
        if (e.key !== 'Enter') return;
        e.preventDefault();
        const visible = $paths.children(':visible');
        if (visible.length === 1) visible.trigger('click');
      });
      showTarget();
      function preview() {
        // A preview scheduled just before the dialog closed has nothing left to update.
        if (!document.body.contains($list[0])) return;
        const read = readSample();
        if (read.error) {
          $message.text(read.error);
          return;
        }
        $message.text('');
        const asked = ++previewsAsked;
        $.ajax({
          url: 'sales-lead-map/preview',
          method: 'POST',
          contentType: 'application/json',
          data: JSON.stringify({
            mappings: readMappingRows($list),
            split: $('#node-input-split').is(':checked'),
            splitPath: $('#node-input-splitPath').val(),
            sample: read.sample,
            webhook: sampleWebhook,
          }),
        })
          .done(function (result) {
            if (!document.body.contains($list[0]) || asked !== previewsAsked) return;
            $list.toggleClass('sales-lead-map-with-sample', !!read.sample);
            showPaths(result.paths || []);
            showRowValues(result.rows, result.failures);
            const general = (result.failures || [])
              .filter(function (f) {
                return !f.row;
              })
              .map(function (f) {
                return f.reason;
              });
            if (!read.sample) {
              $count.text('');
              $preview.text(node._('sales-lead-map.label.noSample'));
              return;
            }
            // A failure shared by several records of a split is one entry with their count.
            const failed = (result.failures || []).reduce(function (sum, f) {
              return sum + (f.records || 1);
            }, 0);
            $count.text(
              node._('sales-lead-map.label.leadCount', { count: result.leads.length }) +
                (failed ? ' · ' + node._('sales-lead-map.label.failedCount', { count: failed }) : ''),
            );
            $preview.text(
              (general.length ? general.join('\n') + '\n' : '') +
                JSON.stringify(result.leads.length === 1 ? result.leads[0] : result.leads, null, 2),
            );
          })
          .fail(function (xhr) {
            if (asked !== previewsAsked) return;
            $preview.text((xhr.responseJSON && xhr.responseJSON.error) || xhr.statusText);
          });
      }
      function schedulePreview() {
        clearTimeout(previewTimer);
        previewTimer = setTimeout(preview, 250);
      }
      $sample.on('input', function () {
        sampleWebhook = null;
        schedulePreview();
      });
      $('#node-input-split, #node-input-splitPath').on('input change', function (e) {
        // Only a person's change makes the rows their own; followPreset sets these too.
        if (e.originalEvent) rowsChanged();
        else schedulePreview();
      });
      $('#node-input-split')
        .on('change', function () {
          $('#sales-lead-map-split-row').toggle($(this).is(':checked'));
        })
        .trigger('change');

      function loadSample(url) {
        $message.text('');
        $.getJSON(url)
          .done(function (delivery) {
            sampleWebhook = delivery.webhook || null;
            $sample.val(JSON.stringify(delivery.payload, null, 2));
            schedulePreview();
          })
          .fail(function (xhr) {
            $message.text((xhr.responseJSON && xhr.responseJSON.error) || xhr.statusText);
          });
      }
      $('#sales-lead-map-from-fixture').on('click', function (e) {
        e.preventDefault();
        const preset = $preset.val();
        if (!preset || preset === CUSTOM) {
          $message.text(node._('sales-lead-map.errors.choose-preset'));
          return;
        }
        loadSample('sales-lead-map/fixture/' + encodeURIComponent(preset));
      });
      // The runtime finds the nearest sales webhook in upstream in the deployed flows, through any nodes and links.
      $('#sales-lead-map-from-delivery').on('click', function (e) {
        e.preventDefault();
        loadSample('sales-lead-map/' + encodeURIComponent(node.id) + '/upstream-delivery');
      });
      $followAgain.on('click', function (e) {
        e.preventDefault();
        const preset = chosenPreset();
        if (preset) {
          followPreset(preset);
          schedulePreview();
        }
      });

      loadPresets().done(function (list) {
        presets = list;
        $preset.empty();
        $('<option>').val(CUSTOM).text(node._('sales-lead-map.label.custom')).appendTo($preset);
        presets.forEach(function (p) {
          $('<option>').val(p.id).text(p.label).attr('title', p.id).appendTo($preset);
        });
        $preset.val(chosenPresetId(config.preset));
        $preset.data('previous', $preset.val());
        if (following && chosenPreset()) followPreset(chosenPreset());
        else {
          following = false;
          showMode();
        }
        schedulePreview();
        $preset.on('change', function (e) {
          // A person's choice only: Node-RED fires "change" on every field once the dialog is prepared, and from the
          // second opening (presets already loaded) that replaced a node's own rows with the preset's.
          if (!e.originalEvent) return;
          const chosen = chosenPreset();
          if (!chosen) {
            following = false;
            $preset.data('previous', CUSTOM);
            showMode();
            return;
          }
          if (!following && edited && !window.confirm(node._('sales-lead-map.tip.replaceRows'))) {
            $preset.val($preset.data('previous'));
            return;
          }
          $preset.data('previous', chosen.id);
          followPreset(chosen);
          if (!$sample.val().trim()) loadSample('sales-lead-map/fixture/' + encodeURIComponent(chosen.id));
          else schedulePreview();
        });
      });
      function chosenPresetId(id) {
        return presets.some(function (p) {
          return p.id === id;
        })
          ? id
          : CUSTOM;
      }
      showMode();
      schedulePreview();
    },
    oneditsave: function () {
      const following = this._salesLeadMapFollowing && this._salesLeadMapFollowing();
      delete this._salesLeadMapFollowing;
      // Following a preset stores no rows, so a package update's improvements to the preset reach this node.
      this.mappings = following ? [] : readMappingRows($('#node-input-mapping-container'));
      this.version = SalesWebhooksEditor.currentVersion(this.type);
    },
    oneditcancel: function () {
      delete this._salesLeadMapFollowing;
    },
  });
})();
