'use strict';
// A lead map's JSONPath filter never runs a backtracking regular expression, whichever way it reaches one: called,
// through call/apply/bind, a conditional, an assignment, an array, a computed name. Checked by structure, not by
// time: while a filter runs, RegExp.prototype.exec (which every JavaScript regular expression match goes through)
// records each pattern it runs, and none may be one the filter wrote or the sender sent; those run on re2js.
const assert = require('node:assert/strict');
const fc = require('fast-check');
const { compileMapping, mapEvent } = require('../../dist/leadmap');

const EVIL = ['^(a|a)+$', '^(a+)+$', '(a|aa)+$'];
const SENDER_DATA = { name: 'aaaaaaaa!', pattern: EVIL[0], patterns: [EVIL[1]], flag: true, email: 'x@example.com' };

/** Runs `fn`, returning the sources of the JavaScript regular expressions executed meanwhile. */
function regexpsRunDuring(fn) {
  const { exec } = RegExp.prototype;
  const ran = [];
  RegExp.prototype.exec = function (...args) {
    ran.push(this.source);
    return exec.apply(this, args);
  };
  try {
    fn();
  } finally {
    RegExp.prototype.exec = exec;
  }
  return ran;
}

/** Deploys a mapping with the filter and maps one event; 'refused' when the deploy refuses the filter. */
function runFilter(filter) {
  let mapping;
  try {
    mapping = compileMapping([{ field: 'email', path: `items[?(${filter})].email`, type: 'email' }]);
  } catch (err) {
    assert.match(err.message, /row 1 \(email\)/, 'a refusal names the row');
    return { refused: true, ran: [] };
  }
  let emails;
  const ran = regexpsRunDuring(() => {
    emails = mapEvent(mapping, { items: [SENDER_DATA] }).leads.map((lead) => lead.email);
  });
  return { refused: false, ran, emails };
}

const backtracking = (ran) =>
  ran.filter((source) => EVIL.some((evil) => source.includes(evil.replace(/^\^|\$$/g, ''))));

// Expressions that may evaluate to a string method which takes a pattern.
const pattern = fc.constantFrom(
  `'${EVIL[0]}'`,
  `"${EVIL[2]}"`,
  '@.pattern',
  '@.patterns',
  '@.patterns[0]',
  `/${EVIL[1]}/`,
  `/${EVIL[0]}/i`,
  `['${EVIL[0]}']`,
);
const { method } = fc.letrec((tie) => ({
  method: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(
      '@.name.match',
      '@.name.search',
      '@.name.matchAll',
      '@.name.replace',
      '@.name.split',
      "@.name['match']",
      "@.name['mat'+'ch']",
      '@.name[@.pattern]',
      "@['name'].search",
      '@.name.constructor.prototype.match',
      '@.name.__lookupGetter__',
    ),
    fc.tuple(tie('method'), tie('method')).map(([a, b]) => `(@.flag ? ${a} : ${b})`),
    fc.tuple(tie('method'), tie('method')).map(([a, b]) => `(${a} || ${b})`),
    tie('method').map((m) => `[${m}][0]`),
    tie('method').map((m) => `${m}.bind(@.name)`),
    tie('method').map((m) => `${m}.bind(0)`),
    tie('method').map((m) => `${m}.call.bind(${m})`),
  ),
}));
const call = fc
  .tuple(method, pattern, fc.integer({ min: 0, max: 6 }))
  .map(
    ([m, p, shape]) =>
      [
        `${m}(${p})`,
        `${m}.call(@.name, ${p})`,
        `${m}.call(0, ${p})`,
        `${m}.apply(@.name, [${p}])`,
        `${m}.bind(@.name)(${p})`,
        `f = ${m}; f(${p})`,
        `${m}.call.call(${m}, @.name, ${p})`,
      ][shape],
  );
const filter = fc
  .tuple(
    call,
    fc.constantFrom(
      (c) => c,
      (c) => `${c} == null`,
      (c) => `!${c}`,
      (c) => `@.flag ? ${c} : 0`,
    ),
  )
  .map(([c, wrap]) => wrap(c));

describe("the lead map's filter guard: no filter runs a backtracking regular expression", function () {
  this.timeout(20000);

  it('the recorder sees a backtracking pattern that plain JavaScript runs (the check can fail)', function () {
    assert.deepEqual(backtracking(regexpsRunDuring(() => SENDER_DATA.name.match.call(SENDER_DATA.name, EVIL[0]))), [
      EVIL[0],
    ]);
  });

  for (const [filter, emails] of [
    [`@.name.match.call(0, '${EVIL[0]}')`, [undefined]],
    [`@.name.match.apply(0, ['${EVIL[0]}'])`, [undefined]],
    [`@.name.match.bind(0)('${EVIL[0]}')`, [undefined]],
    [`(@.flag ? @.name.match : @.name.search)('${EVIL[0]}')`, [undefined]],
    [`f = @.name.search; f(@.pattern) == -1`, ['x@example.com']],
    ["@.name['match']('a+!')", ['x@example.com']],
  ]) {
    it(`${filter}: runs on re2js`, function () {
      const result = runFilter(filter);
      assert.equal(result.refused, false);
      assert.deepEqual(backtracking(result.ran), []);
      assert.deepEqual(result.emails, emails);
    });
  }

  for (const filter of [
    "@.name['mat'+'ch']('a')",
    '@.name[@.pattern]',
    "@.name.matchAll('a')",
    "_$_linearMember = @.name.match; @.name.match('a')",
  ]) {
    it(`${filter}: refused at deploy`, function () {
      assert.equal(runFilter(filter).refused, true);
    });
  }

  it('fuzz: any expression built from methods, calls, conditionals, assignments and patterns is refused or linear', function () {
    fc.assert(
      fc.property(filter, (expression) => {
        const { ran } = runFilter(expression);
        assert.deepEqual(backtracking(ran), [], expression);
      }),
      { numRuns: 400 },
    );
  });
});
