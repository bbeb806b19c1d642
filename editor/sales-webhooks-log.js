// The editor dialog of sales-webhooks-log (Node-RED loads it from nodes/sales-webhooks-log.html; scripts/build.js serves it from resources/).
(function () {
  // The delivery log sidebar. Everything a sender posted is shown with .text(), never as HTML.
  var NS = 'node-red-contrib-sales-webhooks/sales-webhooks-log:sales-webhooks-log.';
  // The states, their colours, the comms topic and the list's size come from the runtime (src/editorFacts.ts);
  // each state's label and explanation are in the locale (state.*, stateTip.*).
  var FACTS;
  // Deliveries of other instances (a shared store) announce nothing here: look again while the tab is open.
  var POLL_MS = 5000;
  function _(key, params) {
    return RED._(NS + key, params);
  }

  var view;
  var detailOf = null;
  var refreshTimer = null;
  var loading = false;
  var again = false;

  function el(tag, cls, text) {
    var e = $('<' + tag + '>');
    if (cls) {
      e.addClass(cls);
    }
    if (text !== undefined && text !== null) {
      e.text(String(text));
    }
    return e;
  }

  function errorText(xhr) {
    if (xhr.status === 401) {
      return _('errors.unauthorized');
    }
    if (xhr.responseJSON && xhr.responseJSON.error) {
      return xhr.responseJSON.error;
    }
    if (!xhr.status) {
      return _('errors.network', { reason: xhr.statusText || 'no connection' });
    }
    return xhr.status + ' ' + (xhr.statusText || '');
  }

  function request(method, url, body) {
    return $.ajax({
      url: url,
      method: method,
      cache: false,
      dataType: 'json',
      contentType: body ? 'application/json' : undefined,
      data: body ? JSON.stringify(body) : undefined,
    });
  }

  function showMessage(text, kind) {
    view.message.removeClass('is-error is-info').toggle(!!text);
    if (text) {
      view.message.text(text).addClass(kind === 'error' ? 'is-error' : 'is-info');
    }
  }

  function nodeLabel(id) {
    var n = RED.nodes.node(id);
    return n ? n.name || n.url || id : id;
  }

  function filterQuery() {
    var q = {};
    var provider = view.provider.val();
    var node = view.node.val();
    var state = view.state.val();
    var text = view.q.val().trim();
    if (provider) {
      q.provider = provider;
    }
    if (node) {
      q.node = node;
    }
    if (state) {
      q.state = state;
    }
    if (text) {
      q.q = text;
    }
    var from = view.from.val();
    var to = view.to.val();
    if (from) {
      q.from = String(new Date(from).getTime());
    }
    if (to) {
      q.to = String(new Date(to).getTime() + 59999);
    }
    return q;
  }

  function filtered() {
    var q = filterQuery();
    return Object.keys(q).length > 0;
  }

  function stateBadge(state) {
    return el('span', 'sales-webhooks-log-state sales-webhooks-log-state-' + state, _('state.' + state))
      .css('background', FACTS.stateColours[state] || '')
      .attr('title', _('stateTip.' + state));
  }

  /** The help's list of states, from the runtime's list with each one's label and explanation. */
  function statesHelp() {
    var list = el('dl', 'sales-webhooks-log-states-help');
    FACTS.states.forEach(function (state) {
      list.append(el('dt').append(stateBadge(state)), el('dd', null, _('stateTip.' + state)));
    });
    return list;
  }

  function formatTime(iso) {
    var d = new Date(iso);
    return isNaN(d.getTime()) ? iso : d.toLocaleString();
  }

  /** One entry per person (by e-mail, else name): the flow and the CRM's answer may each record the same lead. */
  function uniqueLeads(leads) {
    var byKey = {};
    var order = [];
    (leads || []).forEach(function (l) {
      var key = String(l.email || l.name || '').toLowerCase();
      if (!key) {
        return;
      }
      if (!byKey[key]) {
        byKey[key] = { email: l.email, name: l.name };
        order.push(key);
      } else if (!byKey[key].name) {
        byKey[key].name = l.name;
      }
    });
    return order.map(function (k) {
      return byKey[k];
    });
  }

  function leadText(d) {
    var list = uniqueLeads(d.leads).map(function (l) {
      return l.email || l.name;
    });
    if (!list.length) {
      return d.state === 'rejected' && d.statusCode ? d.statusCode + ' ' + (d.reason || '') : '';
    }
    return list.length > 1 ? list[0] + ' +' + (list.length - 1) : list[0];
  }

  function shortTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) {
      return iso;
    }
    return d.toDateString() === new Date().toDateString()
      ? d.toLocaleTimeString()
      : d.toLocaleDateString() + ' ' + d.toLocaleTimeString();
  }

  function crmText(d) {
    return (d.crm || [])
      .map(function (c) {
        return c.recordId || (c.state === 'failed' ? '✗' : '');
      })
      .filter(Boolean)
      .join(', ');
  }

  function renderList(deliveries) {
    view.rows.empty();
    view.empty.toggle(deliveries.length === 0).text(filtered() ? _('empty.noMatch') : _('empty.none'));
    view.table.toggle(deliveries.length > 0);
    view.more.toggle(deliveries.length >= FACTS.listLimit).text(_('label.more', { count: FACTS.listLimit }));
    deliveries.forEach(function (d) {
      // One cell of two stacked lines (what came and its state; who, where it went and when): five columns would
      // break words mid-character at the sidebar's default width.
      var row = el('tr', 'sales-webhooks-log-row')
        .attr('data-id', d.id)
        .attr('data-node', d.node)
        .attr('data-state', d.state);
      var what = el('div', 'sales-webhooks-log-line').append(
        el('span', 'sales-webhooks-log-provider', d.provider),
        el('span', 'sales-webhooks-log-event', d.eventType || ''),
        stateBadge(d.state),
      );
      var who = el('div', 'sales-webhooks-log-line').append(
        el('span', 'sales-webhooks-log-lead', leadText(d)),
        el('span', 'sales-webhooks-log-crm', crmText(d)),
        el('span', 'sales-webhooks-log-time', shortTime(d.receivedAt)).attr(
          'title',
          formatTime(d.receivedAt) + ' · ' + nodeLabel(d.node),
        ),
      );
      row.append(el('td').append(what, who));
      row.on('click', function () {
        openDetail(d.id, d.node);
      });
      view.rows.append(row);
    });
  }

  var SVG_NS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (k) {
      e.setAttribute(k, attrs[k]);
    });
    return e;
  }

  function outcomeCount(counts, outcome) {
    return FACTS.statsOutcomes[outcome].reduce(function (sum, state) {
      return sum + (counts[state] || 0);
    }, 0);
  }

  /** Stacked bars, one per bucket (refused on top of failed on top of delivered/handled), in plain inline SVG. */
  function chart(stats) {
    var outcomes = Object.keys(FACTS.statsOutcomes);
    // Each outcome in the colour of its first state (delivered, failed, rejected).
    var colours = {};
    outcomes.forEach(function (o) {
      colours[o] = FACTS.stateColours[FACTS.statsOutcomes[o][0]];
    });
    var height = 40;
    var max = 1;
    stats.buckets.forEach(function (counts) {
      max = Math.max(
        max,
        outcomes.reduce(function (sum, o) {
          return sum + outcomeCount(counts, o);
        }, 0),
      );
    });
    var box = svg('svg', {
      id: 'sales-webhooks-log-chart',
      class: 'sales-webhooks-log-chart',
      viewBox: '0 0 ' + stats.buckets.length * 10 + ' ' + height,
      preserveAspectRatio: 'none',
      role: 'img',
      'aria-label': _('label.chart'),
    });
    stats.buckets.forEach(function (counts, i) {
      var y = height;
      var start = new Date(stats.from + i * stats.bucketMs).toLocaleString();
      var group = svg('g', { class: 'sales-webhooks-log-chart-bucket', 'data-index': i });
      var tip = svg('title');
      var figures = { time: start };
      outcomes.forEach(function (o) {
        figures[o] = outcomeCount(counts, o);
      });
      tip.textContent = _('label.chartBar', figures);
      group.appendChild(tip);
      outcomes.forEach(function (o) {
        var n = outcomeCount(counts, o);
        if (!n) {
          return;
        }
        var h = (n / max) * height;
        y -= h;
        group.appendChild(
          svg('rect', {
            x: i * 10 + 1,
            y: y,
            width: 8,
            height: h,
            fill: colours[o],
            'data-outcome': o,
            'data-count': n,
          }),
        );
      });
      box.appendChild(group);
    });
    var legend = el('div', 'sales-webhooks-log-legend');
    outcomes.forEach(function (o) {
      legend.append(
        el('span', 'sales-webhooks-log-legend-item').append(
          el('i', 'sales-webhooks-log-swatch').css('background', colours[o]),
          ' ',
          el('span', null, _('label.outcome.' + o)),
        ),
      );
    });
    var axis = el('div', 'sales-webhooks-log-axis').append(
      el('span', null, shortTime(new Date(stats.from).toISOString())),
      el('span', null, shortTime(new Date().toISOString())),
    );
    return el('div', 'sales-webhooks-log-chart-box').append(box, axis, legend);
  }

  function renderHealth(stats) {
    var states = FACTS.states.filter(function (s) {
      return stats.totals[s];
    });
    view.healthCounts.empty();
    if (!states.length) {
      view.healthCounts.append(el('span', 'sales-webhooks-log-none', _('label.noDeliveriesInPeriod')));
    }
    states.forEach(function (s) {
      view.healthCounts.append(
        el('span', 'sales-webhooks-log-count')
          .attr('data-state', s)
          .append(stateBadge(s), ' ', el('b', null, stats.totals[s])),
      );
    });
    view.healthChart.empty().append(chart(stats));
    view.healthOf.text(_('label.healthOf', { period: _('label.period.' + stats.period) }));
  }

  /** A time as the health and the timeline show it: the time of day alone when it is today. */
  function timeOf(ms) {
    return shortTime(new Date(ms).toISOString());
  }

  /** One CRM account's health: a coloured state, its name and CRM, last success, next retry, why it fails. */
  function crmAccountRow(a) {
    var facts = FACTS.crmHealth;
    // One line that wraps whole parts: a wide sidebar shows it all in one, a narrow one stacks the times under the name.
    var times = el('div', 'sales-webhooks-log-line').append(
      el('span', 'sales-webhooks-log-crm-state', _('crmHealth.state.' + a.state))
        .css('background', facts.colours[a.state] || '')
        .attr('title', _('crmHealth.stateTip.' + a.state)),
      el('b', 'sales-webhooks-log-crm-name', a.name),
      el('span', 'sales-webhooks-log-crm-system', a.system),
    );
    times.append(
      el(
        'span',
        'sales-webhooks-log-crm-time',
        a.lastSuccessAt ? _('crmHealth.lastSuccess', { time: timeOf(a.lastSuccessAt) }) : _('crmHealth.noSuccess'),
      ),
    );
    if (a.nextRetry) {
      times.append(
        el(
          'span',
          'sales-webhooks-log-crm-time sales-webhooks-log-crm-retry',
          _('crmHealth.nextRetry.' + a.nextRetry.cause + (a.nextRetry.status ? 'Status' : ''), {
            time: timeOf(a.nextRetry.at),
            status: a.nextRetry.status,
          }),
        ),
      );
    }
    if (a.waiting) {
      times.append(el('span', 'sales-webhooks-log-crm-time', _('crmHealth.waiting', { count: a.waiting })));
    }
    if (a.dailyQuota) {
      times.append(el('span', 'sales-webhooks-log-crm-time', _('crmHealth.dailyQuota', a.dailyQuota)));
    }
    var row = el('li', 'sales-webhooks-log-crm-account')
      .attr('data-account', a.account)
      .attr('data-state', a.state)
      .css('border-left-color', facts.colours[a.state] || '')
      .append(times);
    if (a.failing) {
      row.append(
        el(
          'div',
          'sales-webhooks-log-crm-reason',
          _('crmHealth.failingSince', { time: timeOf(a.failing.since) }) +
            (a.failing.reason ? ': ' + a.failing.reason : ''),
        ),
      );
    }
    return row;
  }

  /** Each CRM account's health (GET sales-webhooks/crm-health), above the list; hidden while there is none. */
  function refreshCrmHealth() {
    request('GET', FACTS.crmHealth.route).done(function (data) {
      var accounts = (data && data.accounts) || [];
      view.crmHealth.empty().toggle(accounts.length > 0);
      if (accounts.length) {
        view.crmHealth.append(
          el('h4', null, _('crmHealth.title')),
          el('ul', 'sales-webhooks-log-crm-accounts').append(accounts.map(crmAccountRow)),
        );
      }
    });
  }

  /** The counts and chart above the list, for the filters' platform and node over the chosen period. */
  function refreshHealth() {
    if (!view.healthBody.is(':visible')) {
      return;
    }
    var q = { period: view.period.val() };
    var filter = filterQuery();
    ['provider', 'node'].forEach(function (k) {
      if (filter[k]) {
        q[k] = filter[k];
      }
    });
    request('GET', 'sales-webhooks/stats?' + $.param(q)).done(renderHealth);
  }

  /** Asks with the count, then asks the runtime to replay and says how many will be emitted again. */
  function confirmReplay(text, count, url, body) {
    confirmThen(text, _('confirm.replayButton', { count: count }), function () {
      request('POST', url, body)
        .done(function (result) {
          showMessage(_('notify.replayed', { count: result.replayed }), 'info');
          refreshSoon();
        })
        .fail(function (xhr) {
          showMessage(errorText(xhr), 'error');
        });
    });
  }

  /** "Replay these": counts the problem's deliveries first, asks with the count, then replays and says how many. */
  function replayProblem(problem) {
    var route = SalesWebhooksEditor.facts.alerts.replayRoute;
    request('POST', route, { key: problem.key, dryRun: true })
      .done(function (count) {
        if (!count.matching) {
          showMessage(_('confirm.replayProblemNone'), 'info');
          return;
        }
        var text = _('confirm.replayProblem', {
          count: count.matching,
          node: nodeLabel(problem.node),
          since: formatTime(problem.since),
        });
        confirmReplay(text, count.matching, route, { key: problem.key });
      })
      .fail(function (xhr) {
        showMessage(errorText(xhr), 'error');
      });
  }

  /** The open problems of the alert nodes, one line each: its sentence, since when, and "Replay these" where it helps. */
  function refreshProblems() {
    request('GET', SalesWebhooksEditor.facts.alerts.route).done(function (data) {
      var problems = (data && data.problems) || [];
      view.problems.empty().toggle(problems.length > 0);
      if (!problems.length) {
        return;
      }
      view.problems.append(el('h4', null, _('label.openProblems', { count: problems.length })));
      var list = el('ul').appendTo(view.problems);
      problems.forEach(function (p) {
        var item = el('li', 'sales-webhooks-log-problem')
          .attr('data-kind', p.kind)
          .append(el('span', null, p.text), ' ', el('small', null, _('label.since', { time: formatTime(p.since) })));
        if (p.replayable) {
          $('<button type="button" class="red-ui-button red-ui-button-small sales-webhooks-log-replay-problem">')
            .attr('title', _('label.replayTheseTip'))
            .append($('<i class="fa fa-repeat">'), ' ', el('span', null, _('label.replayThese')))
            .on('click', function () {
              replayProblem(p);
            })
            .appendTo(item);
        }
        list.append(item);
      });
    });
  }

  function refresh() {
    if (!view || detailOf) {
      return;
    }
    refreshProblems();
    refreshHealth();
    refreshCrmHealth();
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    var q = filterQuery();
    q.limit = String(FACTS.listLimit);
    request('GET', 'sales-webhooks/deliveries?' + $.param(q))
      .done(function (data) {
        if (!view.message.hasClass('is-info')) {
          showMessage('');
        }
        renderList(data.deliveries || []);
      })
      .fail(function (xhr) {
        showMessage(errorText(xhr), 'error');
      })
      .always(function () {
        loading = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  function refreshSoon() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () {
      if (detailOf) {
        openDetail(detailOf.id, detailOf.node, true);
      } else {
        refresh();
      }
    }, 300);
  }

  function section(title, body) {
    return el('div', 'sales-webhooks-log-section')
      .append(el('h4', null, title))
      .append(body);
  }

  function keyValueTable(rows) {
    var table = el('table', 'sales-webhooks-log-kv');
    rows.forEach(function (r) {
      table.append(
        el('tr')
          .append(el('th', null, r[0]))
          .append(el('td', null, r[1])),
      );
    });
    return table;
  }

  function prettyBody(text) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (e) {
      return text;
    }
  }

  /** One step of the timeline: what happened, when (if the record knows), and its details. */
  function step(kind, text, at, details) {
    var item = el('li', 'sales-webhooks-log-step').attr('data-step', kind);
    item.append(el('span', 'sales-webhooks-log-step-text', text));
    if (at) {
      item.append(' ', el('span', 'sales-webhooks-log-time', formatTime(new Date(at).toISOString())));
    }
    (details || []).filter(Boolean).forEach(function (d) {
      item.append(el('div', 'sales-webhooks-log-step-detail', d));
    });
    return item;
  }

  /** A request's text as sent (JSON laid out when it is whole), folded away until asked for. */
  function folded(label, text) {
    return $('<details class="sales-webhooks-log-call-text">').append(
      el('summary', null, label),
      el('pre', null, prettyBody(text)),
    );
  }

  /** One request to the CRM for this lead: method, URL, the answer's status and start, the retry it planned. */
  function callStep(c) {
    var answered = c.status ? String(c.status) : _('label.timelineStep.noAnswer');
    var item = step('call', c.method + ' ' + c.url + ' → ' + answered, c.at, [
      c.batch ? _('label.timelineStep.batch', { count: c.batch }) : '',
      c.retryAt ? _('label.timelineStep.retryAt', { time: timeOf(c.retryAt) }) : '',
    ]);
    if (c.answer) {
      item.append(el('div', 'sales-webhooks-log-call-answer', c.answer));
    }
    if (c.request) {
      item.append(folded(_('label.timelineStep.' + (c.batch ? 'requestPart' : 'request')), c.request));
    }
    return item;
  }

  /**
   * Received, each emission, each CRM answer, settled, the next retry: from the record's own fields (emissions carry
   * no time of their own), then the answer the platform got.
   */
  function timeline(d) {
    var list = el('ol', 'sales-webhooks-log-timeline').attr('id', 'sales-webhooks-log-timeline');
    if (d.state === 'rejected') {
      list.append(step('refused', _('label.timelineStep.refused'), d.receivedAt, [d.reason]));
    } else {
      list.append(step('stored', _('label.timelineStep.stored'), d.receivedAt));
    }
    for (var attempt = 1; attempt <= (d.attempt || 0); attempt++) {
      var replayed = d.replay && attempt === d.attempt && attempt > 1;
      list.append(
        step('emission', _('label.timelineStep.' + (replayed ? 'replayEmission' : 'emission'), { attempt: attempt })),
      );
    }
    var settlements = (d.settlements || []).slice().sort(function (a, b) {
      return (a.at || 0) - (b.at || 0);
    });
    settlements.forEach(function (s) {
      (s.calls || []).forEach(function (c) {
        list.append(callStep(c));
      });
      list.append(
        step(
          'settlement',
          _('label.timelineStep.settlement', { system: s.system || '', state: _('state.' + s.state) }),
          s.at,
          [
            s.recordId ? _('label.timelineStep.record', { id: s.recordId }) : '',
            s.action,
            s.attempts ? _('label.timelineStep.requests', { count: s.attempts }) : '',
            s.reason,
          ],
        ),
      );
    });
    if (FACTS.settledStates.indexOf(d.state) >= 0) {
      var last = settlements[settlements.length - 1];
      list.append(step('settled', _('label.timelineStep.settled', { state: _('state.' + d.state) }), last && last.at));
    } else if (d.leaseUntil && d.state !== 'rejected') {
      list.append(
        step('next', _('label.timelineStep.nextRetry', { time: formatTime(new Date(d.leaseUntil).toISOString()) })),
      );
    }
    var answer =
      d.state === 'rejected'
        ? d.statusCode + ' ' + JSON.stringify({ error: d.reason || '' })
        : '200 ' + ((d.issues || []).length ? FACTS.acceptedAnswers.invalid : FACTS.acceptedAnswers.accepted);
    return el('div').append(
      list,
      el('div', 'sales-webhooks-log-answer').append(
        el('span', null, _('label.platformAnswer') + ': '),
        el('code', null, answer).attr('id', 'sales-webhooks-log-answer'),
      ),
    );
  }

  function renderDetail(d) {
    var box = view.detailBody.empty();
    var head = el('div', 'sales-webhooks-log-detail-head');
    head
      .append(stateBadge(d.state))
      .append(' ')
      .append(el('b', null, d.provider + (d.eventType ? ' · ' + d.eventType : '')));
    box.append(head);
    var facts = [
      [_('label.time'), formatTime(d.receivedAt)],
      [_('label.node'), nodeLabel(d.node)],
      ['id', d.id],
    ];
    if (d.eventId) {
      facts.push([_('label.eventId'), d.eventId]);
    }
    if (d.attempt) {
      facts.push([_('label.attempt'), d.attempt + (d.replay ? ' (' + _('label.replayed') + ')' : '')]);
    }
    box.append(keyValueTable(facts));
    if (d.state === 'rejected') {
      box.append(
        el('p', 'sales-webhooks-log-rejected', _('label.rejected', { status: d.statusCode, reason: d.reason || '' })),
      );
    }
    box.append(section(_('label.timeline'), timeline(d)));
    var leads = uniqueLeads(d.leads);
    box.append(
      section(
        _('label.leads', { count: leads.length }),
        leads.length
          ? el('ul', 'sales-webhooks-log-leads').append(
              leads.map(function (l) {
                return el('li', null, [l.name, l.email].filter(Boolean).join(' · '));
              }),
            )
          : el('p', 'sales-webhooks-log-none', _('label.noLeads')),
      ),
    );
    var attempts = d.settlements || [];
    var crm = el('table', 'sales-webhooks-log-crm-table');
    crm.append(
      el('tr').append(
        [
          _('label.system'),
          _('label.state'),
          _('label.recordId'),
          _('label.action'),
          _('label.requests'),
          _('label.reason'),
          _('label.at'),
        ].map(function (h) {
          return el('th', null, h);
        }),
      ),
    );
    attempts.forEach(function (s) {
      crm.append(
        el('tr', 'sales-webhooks-log-attempt').append(
          el('td', null, s.system || ''),
          el('td').append(stateBadge(s.state)),
          el('td', null, s.recordId || ''),
          el('td', null, s.action || ''),
          el('td', null, s.attempts || ''),
          el('td', null, s.reason || ''),
          el('td', null, s.at ? formatTime(new Date(s.at).toISOString()) : ''),
        ),
      );
    });
    box.append(
      section(
        _('label.settlements'),
        attempts.length
          ? el('div', 'sales-webhooks-log-crm-wrap').append(crm)
          : el('p', 'sales-webhooks-log-none', _('label.noSettlements')),
      ),
    );
    box.append(
      section(
        _('label.issues'),
        (d.issues || []).length
          ? el('ul', 'sales-webhooks-log-issues').append(
              d.issues.map(function (i) {
                return el('li', null, i);
              }),
            )
          : el('p', 'sales-webhooks-log-none', _('label.noIssues')),
      ),
    );
    box.append(
      section(
        _('label.headers'),
        keyValueTable(
          Object.keys(d.headers || {})
            .sort()
            .map(function (k) {
              return [k, d.headers[k]];
            }),
        ).addClass('sales-webhooks-log-headers'),
      ),
    );
    var body = section(_('label.body'), el('pre', 'sales-webhooks-log-body', prettyBody(d.body || '')));
    if (d.bodyTruncated) {
      body.append(el('p', 'sales-webhooks-log-none', _('label.bodyTruncated')));
    }
    box.append(body);
    view.replayOne.toggle(d.state !== 'rejected');
  }

  function openDetail(id, node, quiet) {
    detailOf = { id: id, node: node };
    view.listPane.hide();
    view.detail.show();
    if (!quiet) {
      showMessage('');
      view.detailBody.empty();
    }
    request('GET', 'sales-webhooks/deliveries/' + encodeURIComponent(id) + '?' + $.param({ node: node }))
      .done(renderDetail)
      .fail(function (xhr) {
        showMessage(errorText(xhr), 'error');
      });
  }

  function closeDetail() {
    detailOf = null;
    view.detail.hide();
    view.listPane.show();
    showMessage('');
    refresh();
  }

  function confirmThen(text, buttonLabel, action) {
    // An element, not a string: RED.notify would read a string (with the typed address in it) as HTML.
    var notification = RED.notify($('<p>').text(text), {
      modal: true,
      fixed: true,
      type: 'warning',
      buttons: [
        {
          text: _('label.cancel'),
          id: 'sales-webhooks-log-confirm-cancel',
          click: function () {
            notification.close();
          },
        },
        {
          text: buttonLabel,
          id: 'sales-webhooks-log-confirm',
          class: 'primary',
          click: function () {
            notification.close();
            action();
          },
        },
      ],
    });
  }

  function replayOne() {
    if (!detailOf) {
      return;
    }
    var target = detailOf;
    request('POST', 'sales-webhooks/deliveries/' + encodeURIComponent(target.id) + '/replay', { node: target.node })
      .done(function () {
        showMessage(_('notify.replayedOne', { id: target.id }), 'info');
        openDetail(target.id, target.node, true);
      })
      .fail(function (xhr) {
        showMessage(errorText(xhr), 'error');
      });
  }

  function replayFailed() {
    var filter = filterQuery();
    var state = filter.state || FACTS.replayDefaultState;
    request('POST', 'sales-webhooks/replay', $.extend({}, filter, { dryRun: true }))
      .done(function (count) {
        var text =
          count.replayable > 0
            ? _('confirm.replayFailed', {
                count: count.matching,
                matching: count.matching,
                replayable: count.replayable,
                state: _('state.' + state),
              })
            : _('confirm.replayNone', { state: _('state.' + state) });
        if (count.notDeployed && count.notDeployed.length) {
          text +=
            ' ' +
            _('confirm.replayNotDeployed', {
              count: count.matching - count.replayable,
              nodes: count.notDeployed.map(nodeLabel).join(', '),
            });
        }
        if (count.replayable === 0) {
          showMessage(text, 'info');
          return;
        }
        confirmReplay(text, count.replayable, 'sales-webhooks/replay', filter);
      })
      .fail(function (xhr) {
        showMessage(errorText(xhr), 'error');
      });
  }

  function erase() {
    var email = view.eraseEmail.val().trim();
    confirmThen(_('confirm.erase', { email: email }), _('confirm.eraseButton'), function () {
      request('POST', 'sales-webhooks/erase', { email: email })
        .done(function (result) {
          view.erasePanel.hide();
          view.eraseEmail.val('');
          showMessage(_('notify.erased', { count: result.erased, email: email }), 'info');
          if (detailOf) {
            closeDetail();
          } else {
            refresh();
          }
        })
        .fail(function (xhr) {
          showMessage(errorText(xhr), 'error');
        });
    });
  }

  function fillNodes() {
    var current = view.node.val();
    view.node.empty().append($('<option value="">').text(_('label.allNodes')));
    RED.nodes.eachNode(function (n) {
      if (n.type === 'sales-webhook in') {
        view.node.append(
          $('<option>')
            .val(n.id)
            .text(n.name || n.url || n.id),
        );
      }
    });
    view.node.val(current || '');
  }

  function build() {
    var content = el('div', 'sales-webhooks-log');
    var toolbar = el('div', 'sales-webhooks-log-toolbar');
    var button = function (id, icon, label, iconOnly) {
      var b = $('<button type="button" class="red-ui-button red-ui-button-small">')
        .attr('id', id)
        .attr('title', label)
        .append($('<i>').addClass('fa ' + icon));
      return iconOnly ? b : b.append(' ').append(el('span', null, label));
    };
    var refreshButton = button('sales-webhooks-log-refresh', 'fa-refresh', _('label.refresh'), true);
    var replayButton = button('sales-webhooks-log-replay-failed', 'fa-repeat', _('label.replayFailed'));
    var eraseButton = button('sales-webhooks-log-erase', 'fa-user-times', _('label.erase'));
    var helpButton = button('sales-webhooks-log-help-toggle', 'fa-question-circle', _('label.help'), true);
    toolbar.append(replayButton, eraseButton, el('span', 'sales-webhooks-log-spacer'), refreshButton, helpButton);

    view = { content: content };
    view.help = el('div', 'sales-webhooks-log-help').attr('id', 'sales-webhooks-log-help').html(_('help')).hide();
    view.help
      .children('p')
      .first()
      .after(el('p').append(el('b', null, _('label.states'))), statesHelp());
    var filters = el('div', 'sales-webhooks-log-filters');
    view.provider = $('<select id="sales-webhooks-log-provider">').append(
      $('<option value="">').text(_('label.allPlatforms')),
    );
    view.node = $('<select id="sales-webhooks-log-node">');
    view.state = $('<select id="sales-webhooks-log-state">').append($('<option value="">').text(_('label.allStates')));
    FACTS.states.forEach(function (s) {
      view.state.append(
        $('<option>')
          .val(s)
          .text(_('state.' + s)),
      );
    });
    view.from = $('<input type="datetime-local" id="sales-webhooks-log-from">');
    view.to = $('<input type="datetime-local" id="sales-webhooks-log-to">');
    view.q = $('<input type="search" id="sales-webhooks-log-search">').attr('placeholder', _('label.search'));
    filters.append(
      el('div', 'sales-webhooks-log-filter-row').append(view.provider, view.node, view.state),
      el('div', 'sales-webhooks-log-filter-row').append(
        el('span', 'sales-webhooks-log-filter-pair').append(
          el('label', null, _('label.from')).attr('for', 'sales-webhooks-log-from'),
          view.from,
        ),
        el('span', 'sales-webhooks-log-filter-pair').append(
          el('label', null, _('label.to')).attr('for', 'sales-webhooks-log-to'),
          view.to,
        ),
      ),
      el('div', 'sales-webhooks-log-filter-row').append(view.q),
    );
    view.erasePanel = el('div', 'sales-webhooks-log-erase-panel').hide();
    view.eraseEmail = $('<input type="email" id="sales-webhooks-log-erase-email">').attr(
      'placeholder',
      _('label.eraseEmail'),
    );
    var eraseGo = $('<button type="button" class="red-ui-button" id="sales-webhooks-log-erase-go">').text(
      _('label.eraseConfirm'),
    );
    var eraseCancel = $('<button type="button" class="red-ui-button">').text(_('label.cancel'));
    view.erasePanel.append(view.eraseEmail, eraseGo, eraseCancel);
    view.message = el('div', 'sales-webhooks-log-message')
      .attr('id', 'sales-webhooks-log-message')
      .attr('role', 'alert')
      .hide();

    view.listPane = el('div', 'sales-webhooks-log-list').attr('id', 'sales-webhooks-log-list');
    view.table = el('table', 'sales-webhooks-log-table');
    view.rows = el('tbody');
    view.table.append(view.rows).hide();
    view.empty = el('div', 'sales-webhooks-log-empty').attr('id', 'sales-webhooks-log-empty');
    view.more = el('div', 'sales-webhooks-log-none').hide();
    view.listPane.append(view.table, view.empty, view.more);

    view.detail = el('div', 'sales-webhooks-log-detail').attr('id', 'sales-webhooks-log-detail').hide();
    var back = $('<button type="button" class="red-ui-button" id="sales-webhooks-log-back">')
      .append('<i class="fa fa-arrow-left"></i> ')
      .append(el('span', null, _('label.back')));
    view.replayOne = $('<button type="button" class="red-ui-button primary" id="sales-webhooks-log-replay-one">')
      .append('<i class="fa fa-repeat"></i> ')
      .append(el('span', null, _('label.replay')));
    view.detailBody = el('div', 'sales-webhooks-log-detail-body');
    view.detail.append(el('div', 'sales-webhooks-log-detail-buttons').append(back, view.replayOne), view.detailBody);

    // The alert nodes' open problems (GET sales-webhooks/alerts), above the list.
    view.problems = el('div', 'sales-webhooks-log-problems')
      .attr('id', 'sales-webhooks-log-problems')
      .css('border-left-color', FACTS.stateColours.failed)
      .hide();
    // Each CRM account's health (GET sales-webhooks/crm-health), under the counts and chart.
    view.crmHealth = el('div', 'sales-webhooks-log-crm-health').attr('id', 'sales-webhooks-log-crm-health').hide();
    // Health: counts by state and the chart, over the chosen period; hidden on demand.
    view.period = $('<select id="sales-webhooks-log-period">');
    FACTS.statsPeriods.forEach(function (p) {
      view.period.append(
        $('<option>')
          .val(p)
          .text(_('label.period.' + p)),
      );
    });
    view.period.val(FACTS.defaultStatsPeriod);
    var healthToggle = $('<button type="button" class="red-ui-button red-ui-button-small">')
      .attr('id', 'sales-webhooks-log-health-toggle')
      .attr('title', _('label.healthToggle'))
      .append($('<i class="fa fa-bar-chart">'), ' ', el('span', null, _('label.health')));
    view.healthCounts = el('div', 'sales-webhooks-log-counts').attr('id', 'sales-webhooks-log-counts');
    view.healthChart = el('div');
    view.healthOf = el('div', 'sales-webhooks-log-health-of');
    view.healthBody = el('div').append(view.healthCounts, view.healthChart, view.healthOf);
    var health = el('div', 'sales-webhooks-log-health')
      .attr('id', 'sales-webhooks-log-health')
      .append(el('div', 'sales-webhooks-log-health-head').append(healthToggle, view.period), view.healthBody);
    healthToggle.on('click', function () {
      view.healthBody.toggle();
      view.period.toggle(view.healthBody.is(':visible'));
      refreshHealth();
    });
    view.period.on('change', refreshHealth);
    content.append(
      toolbar,
      view.problems,
      health,
      view.crmHealth,
      view.help,
      filters,
      view.erasePanel,
      view.message,
      view.listPane,
      view.detail,
    );

    refreshButton.on('click', function () {
      if (detailOf) {
        openDetail(detailOf.id, detailOf.node);
      } else {
        refresh();
      }
    });
    replayButton.on('click', replayFailed);
    eraseButton.on('click', function () {
      view.erasePanel.toggle();
      view.eraseEmail.trigger('focus');
    });
    eraseGo.on('click', erase);
    view.eraseEmail.on('keydown', function (e) {
      if (e.key === 'Enter') {
        erase();
      }
    });
    eraseCancel.on('click', function () {
      view.erasePanel.hide();
    });
    helpButton.on('click', function () {
      view.help.toggle();
    });
    back.on('click', closeDetail);
    view.replayOne.on('click', replayOne);
    var searchTimer;
    view.q.on('input', function () {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(refresh, 300);
    });
    view.provider.add(view.node).add(view.state).add(view.from).add(view.to).on('change', refresh);
    return { content: content };
  }

  function visible() {
    return view && view.content.is(':visible') && document.visibilityState !== 'hidden';
  }

  // scripts/build.js runs this once the shared script has run (Node-RED loads them side by side).
  FACTS = SalesWebhooksEditor.facts.deliveryLog;
  registerSidebar();

  function registerSidebar() {
    RED.plugins.registerPlugin('sales-webhooks-log', {
      type: 'sales-webhooks-log',
      onadd: function () {
        var parts = build();
        RED.sidebar.addTab({
          id: 'sales-webhooks-log',
          label: _('label.tab'),
          name: _('label.name'),
          iconClass: 'fa fa-inbox',
          content: parts.content,
          enableOnEdit: true,
          action: 'sales-webhooks:show-delivery-log',
          onchange: function () {
            fillNodes();
            refresh();
          },
        });
        RED.actions.add('sales-webhooks:show-delivery-log', function () {
          RED.sidebar.show('sales-webhooks-log');
        });
        fillNodes();
        request('GET', 'sales-webhooks/options').done(function (options) {
          (options.providers || []).forEach(function (p) {
            view.provider.append($('<option>').val(p.id).text(p.label));
          });
        });
        RED.events.on('deploy', fillNodes);
        RED.events.on('workspace:change', function () {
          if (visible()) {
            fillNodes();
          }
        });
        // Ids and states only: the list asks for the rest, with the user's own permissions.
        RED.comms.subscribe(FACTS.topic, function () {
          if (visible()) {
            refreshSoon();
          }
        });
        RED.comms.subscribe(SalesWebhooksEditor.facts.alerts.topic, function () {
          if (visible()) {
            refreshSoon();
          }
        });
        // Not while a text search is on: it reads every body, and comms still brings this instance's changes.
        setInterval(function () {
          if (visible() && !detailOf && !view.q.val().trim()) {
            refresh();
          }
        }, POLL_MS);
      },
    });
  }
})();
