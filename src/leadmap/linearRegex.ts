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

// String methods that turn a string argument into a regular expression; others that take one are refused.
const CONVERTING = new Set(['match', 'search']);
const REGEX_TAKING = new Set(['matchAll', 'replace', 'replaceAll', 'split']);
const TO_LINEAR = '_$_linearRegExp';

function toLinear(value: unknown): unknown {
  if (value instanceof LinearRegExp) return value;
  if (value instanceof RegExp) return new LinearRegExp(value.source, value.flags);
  // match("…") and search("…") would build a backtracking RegExp from a string, possibly one the sender sent.
  if (typeof value === 'string') return new LinearRegExp(value);
  return value;
}

/** Rewrites a filter's syntax tree so every regular expression it can build is a LinearRegExp. */
function rewrite(node: AstNode): void {
  if (!node || typeof node !== 'object') return;
  if (node.type === 'Literal' && node.value instanceof RegExp) {
    node.value = new LinearRegExp(node.value.source, node.value.flags);
  }
  if (node.type === 'CallExpression' && node.callee?.type === 'MemberExpression' && !node.callee.computed) {
    const method = node.callee.property?.name;
    if (method && CONVERTING.has(method) && node.arguments?.length) {
      node.arguments[0] = {
        type: 'CallExpression',
        callee: { type: 'Identifier', name: TO_LINEAR },
        arguments: [node.arguments[0]],
      };
    } else if (method && REGEX_TAKING.has(method)) {
      throw new FilterRegexError(`${method}() is not supported in a filter; use test() or match()`);
    }
  }
  if (node.type === 'MemberExpression' && node.computed) {
    // obj["match"](…) would escape the rewrite above.
    throw new FilterRegexError('computed member access (x["name"]) is not supported in a filter; use x.name');
  }
  for (const key of Object.keys(node)) {
    const child = node[key];
    if (Array.isArray(child)) child.forEach((c) => rewrite(c as AstNode));
    else if (child && typeof child === 'object' && typeof (child as AstNode).type === 'string')
      rewrite(child as AstNode);
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
    return this.script.runInNewContext({ ...context, [TO_LINEAR]: toLinear });
  }
}
