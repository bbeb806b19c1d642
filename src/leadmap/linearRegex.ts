import { JSONPath } from 'jsonpath-plus';
import { RE2JS } from 're2js';

/**
 * JSONPath filters run in jsonpath-plus's safe interpreter, but a regular expression there is JavaScript's, which
 * backtracks: one pattern and a few dozen characters of sender data could block the event loop for minutes. Every
 * regular expression a filter can reach runs on re2js instead, whose matching time is linear in the input.
 */

interface AstNode {
  type: string;
  value?: unknown;
  name?: string;
  computed?: boolean;
  callee?: AstNode;
  object?: AstNode;
  property?: AstNode;
  arguments?: AstNode[];
  [key: string]: unknown;
}

interface SafeScriptInstance {
  ast: AstNode;
  runInNewContext(context: Record<string, unknown>): unknown;
}
type SafeScriptClass = new (expr: string) => SafeScriptInstance;

const SafeScript = (JSONPath.prototype as unknown as { safeVm: { Script: SafeScriptClass } }).safeVm.Script;

/** Thrown for a filter whose regular expression cannot run in linear time, or is used in a way we do not support. */
export class FilterRegexError extends Error {}

/** A regular expression with the parts of RegExp's interface that String.prototype.match/search and .test use. */
export class LinearRegExp {
  private readonly re: ReturnType<typeof RE2JS.compile>;
  readonly global: boolean;

  constructor(
    readonly source: string,
    readonly flags = '',
  ) {
    let mask = 0;
    for (const flag of flags) {
      if (flag === 'i') mask |= RE2JS.CASE_INSENSITIVE;
      else if (flag === 'm') mask |= RE2JS.MULTILINE;
      else if (flag === 's') mask |= RE2JS.DOTALL;
      else if (flag !== 'g' && flag !== 'u')
        throw new FilterRegexError(`the regular expression flag "${flag}" is not supported`);
    }
    try {
      this.re = RE2JS.compile(source, mask);
    } catch (err) {
      throw new FilterRegexError(
        `the regular expression /${source}/ uses a feature that cannot run in linear time (${(err as Error).message})`,
      );
    }
    this.global = flags.includes('g');
  }

  test(input: unknown): boolean {
    return this.re.matcher(String(input)).find();
  }

  [Symbol.match](input: string): string[] | null {
    const matcher = this.re.matcher(String(input));
    if (this.global) {
      const all: string[] = [];
      while (matcher.find()) all.push(matcher.group(0) as string);
      return all.length ? all : null;
    }
    if (!matcher.find()) return null;
    const groups: string[] = [];
    for (let i = 0; i <= matcher.groupCount(); i++) groups.push(matcher.group(i) as string);
    return groups;
  }

  [Symbol.search](input: string): number {
    const matcher = this.re.matcher(String(input));
    return matcher.find() ? matcher.start() : -1;
  }

  toString(): string {
    return `/${this.source}/${this.flags}`;
  }
}

// String methods that turn their argument into a regular expression: reached in any way (called, passed on, through
// call/apply/bind, a conditional, an assignment), they are a wrapper that hands them a LinearRegExp.
const CONVERTING = new Set(['match', 'search']);
// Methods that would build or use a backtracking RegExp in ways a wrapper cannot make linear: refused outright.
const REGEX_TAKING = new Set(['matchAll', 'replace', 'replaceAll', 'split']);
const LINEAR_MEMBER = '_$_linearMember';
const INTERNAL_NAME = /^_\$_linear/;

function toLinear(value: unknown): LinearRegExp {
  if (value instanceof LinearRegExp) return value;
  if (value instanceof RegExp) return new LinearRegExp(value.source, value.flags);
  // match(x) builds `new RegExp(x)` from anything else: a string, or an array or number turned into one.
  return new LinearRegExp(value === undefined ? '' : String(value));
}

/** obj.match / obj.search as a filter sees it: the method, bound to obj, with its pattern made linear first. */
function linearMember(object: unknown, name: string): unknown {
  if (object === undefined || object === null)
    throw new TypeError(`Cannot read properties of ${object} (reading '${name}')`);
  const value = (object as Record<string, unknown>)[name];
  if (typeof value !== 'function') return value;
  return (pattern: unknown, ...rest: unknown[]) => value.call(object, toLinear(pattern), ...rest);
}

/** The property a member expression reads when it can be known before running: x.name, x['name'], x[0]. */
function staticName(node: AstNode): string | undefined {
  if (!node.computed) return node.property?.name;
  return node.property?.type === 'Literal' && ['string', 'number'].includes(typeof node.property.value)
    ? String(node.property.value)
    : undefined;
}

/** Rewrites a filter's syntax tree so every regular expression it can build is a LinearRegExp. */
function rewrite(node: AstNode): void {
  if (!node || typeof node !== 'object') return;
  for (const key of Object.keys(node)) {
    const child = node[key];
    if (Array.isArray(child)) child.forEach((c) => rewrite(c as AstNode));
    else if (child && typeof child === 'object' && typeof (child as AstNode).type === 'string')
      rewrite(child as AstNode);
  }
  if (node.type === 'Identifier' && node.name && INTERNAL_NAME.test(node.name)) {
    // Assigning to the guard's own helper would replace it.
    throw new FilterRegexError(`the name ${node.name} is reserved in a filter`);
  }
  if (node.type === 'Literal' && node.value instanceof RegExp) {
    node.value = new LinearRegExp(node.value.source, node.value.flags);
  }
  if (node.type === 'MemberExpression') {
    const name = staticName(node);
    // obj[anything computed] could name match or matchAll at run time.
    if (name === undefined)
      throw new FilterRegexError('computed member access (x[expression]) is not supported in a filter; use x.name');
    if (REGEX_TAKING.has(name))
      throw new FilterRegexError(`${name}() is not supported in a filter; use test() or match()`);
    if (CONVERTING.has(name)) {
      const object = node.object as AstNode;
      for (const key of Object.keys(node)) delete node[key];
      Object.assign(node, {
        type: 'CallExpression',
        callee: { type: 'Identifier', name: LINEAR_MEMBER },
        arguments: [object, { type: 'Literal', value: name, raw: JSON.stringify(name) }],
      });
    }
  }
}

/** jsonpath-plus's `eval` class: its safe interpreter, with regular expressions on a linear-time engine. */
export class LinearSafeScript {
  private readonly script: SafeScriptInstance;

  constructor(expr: string) {
    this.script = new SafeScript(expr);
    rewrite(this.script.ast);
  }

  runInNewContext(context: Record<string, unknown>): unknown {
    return this.script.runInNewContext({ ...context, [LINEAR_MEMBER]: linearMember });
  }
}
