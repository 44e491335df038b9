/**
 * The manhole's JavaScript interpreter (`twisted.conch.manhole.ManholeInterpreter`):
 * lines are gathered until a statement is complete, then evaluated in a
 * `namespace` whose bindings persist, with top-level `await`.
 * Private: re-exported by `mod.ts`.
 * @module
 */
import { inspect } from "./_inspect.ts";
import { isIncomplete, type Token, tokenize } from "./_tokens.ts";

/** Where the interpreter's output goes (the manhole). */
export interface ManholeOutput {
  /**
   * Output for the terminal. `async` is true when it comes while no
   * evaluation runs (a timer's `console.log`, a promise settling): the
   * receiver redraws its prompt around it.
   */
  addOutput(text: string, async: boolean): void;
}

/** Compiled manhole input: a function of the scope giving the completion value. */
export type CompiledCode = (scope: object) => unknown;

const AsyncFunction = (async function () {}).constructor as FunctionConstructor;
const DECLARATIONS = new Set(["let", "const", "var", "function", "class"]);

/** The most characters of input gathered for one statement. */
export const MAX_SOURCE: number = 1 << 20;
/** The most characters one evaluation may print; the rest is dropped. */
export const MAX_OUTPUT: number = 1 << 16;

function significant(tokens: Token[]): Token[] {
  return tokens.filter((t) => t.type !== "space" && t.type !== "comment");
}

/** Top-level `let`/`const`/`class X`/`function X` rewritten so they bind in the namespace. */
function rewriteDeclarations(source: string, tokens: Token[]): string {
  const sig = significant(tokens);
  const edits: [number, number, string][] = [];
  // `function f() {}` becomes `void (f = function f() {});`: bound in the
  // namespace, and no completion value, as a declaration has none.
  const bind = (k: number, name: string): void => {
    let open = k + 1;
    while (open < sig.length && !(sig[open].text === "{" && sig[open].depth === 0)) open++;
    let close = open + 1;
    while (close < sig.length && !(sig[close].text === "}" && sig[close].depth === 0)) close++;
    if (close >= sig.length) return;
    const end = sig[close].start + 1;
    edits.push([sig[k].start, sig[k].start, `void (${name} = `], [end, end, ");"]);
  };
  for (let k = 0; k < sig.length; k++) {
    const token = sig[k];
    if (token.depth !== 0 || token.type !== "keyword") continue;
    const previous = sig[k - 1];
    const atStart = previous === undefined || previous.text === ";" ||
      (previous.text === "}" && previous.depth === 0);
    if (!atStart) continue;
    if (token.text === "let" || token.text === "const") {
      if (
        sig[k + 1]?.type === "identifier" || sig[k + 1]?.text === "[" || sig[k + 1]?.text === "{"
      ) {
        edits.push([token.start, token.start + token.text.length, "var"]);
      }
    } else if (token.text === "class" || token.text === "function") {
      let nameAt = k + 1;
      if (sig[nameAt]?.text === "*") nameAt++;
      const name = sig[nameAt];
      if (name?.type === "identifier") bind(k, name.text);
    } else if (
      token.text === "async" && sig[k + 1]?.text === "function" &&
      sig[k + 2]?.type === "identifier"
    ) {
      bind(k, sig[k + 2].text);
    }
  }
  for (let k = 0; k + 1 < sig.length; k++) {
    // typeof on an unknown name is "undefined", not a ReferenceError from the scope.
    const name = sig[k + 1];
    if (sig[k].text !== "typeof" || name.type !== "identifier") continue;
    if (/^(\.|\?\.|\[|\(|=>)$/.test(sig[k + 2]?.text ?? "")) continue;
    edits.push([name.start, name.start + name.text.length, `__tw_scope[" typeof ${name.text}"]`]);
  }
  edits.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let out = source;
  for (const [from, to, text] of edits.reverse()) out = out.slice(0, from) + text + out.slice(to);
  return out;
}

/** Whether the last token asks for an operand (`1 +`, `a.`, `f(x,`): more lines. */
function endsInOperator(source: string): boolean {
  const last = significant(tokenize(source).tokens).at(-1);
  return last !== undefined && last.type === "punctuation" && !/^[;)\]}]$/.test(last.text) &&
    !/^(\+\+|--)$/.test(last.text);
}

/**
 * Evaluates JavaScript for a manhole (Twisted's `ManholeInterpreter`):
 * `push` a line; when the statement is complete it runs in `namespace`
 * (whose names persist: `x = 5`, then `x * 3`). An expression's value is
 * shown through `inspect` and kept as `_`; errors are shown as
 * `Uncaught ...` and never escape; `console` in the code writes to the
 * session; code with `await` runs as an async function.
 *
 * @example
 * ```ts
 * import { ManholeInterpreter } from "@tw/core/conch/manhole";
 * let out = "";
 * const interpreter = new ManholeInterpreter({ addOutput: (text) => (out += text) }, { y: 2 });
 * interpreter.push("x = 20");
 * interpreter.push("x + y");
 * console.log(out); // "20\n22\n"
 * ```
 */
export class ManholeInterpreter {
  /** The names code sees and sets. */
  readonly namespace: Record<string, unknown>;
  /** The lines of the statement being gathered. */
  buffer: string[] = [];
  /** The running asynchronous evaluation, or null. */
  running: Promise<void> | null = null;
  readonly #handler: ManholeOutput;
  readonly #scope: object;
  #generation = 0;
  readonly #async = new WeakSet<CompiledCode>();
  #busy = false;
  #printed = 0;
  #promises = 0;

  /** An interpreter writing to `handler`, over `namespace`. */
  constructor(handler: ManholeOutput, namespace: Record<string, unknown> = {}) {
    this.#handler = handler;
    this.namespace = namespace;
    const sessionConsole = this.#makeConsole();
    this.#scope = new Proxy(namespace, {
      has: (target, key) =>
        typeof key === "string" && key !== "__tw_scope" && key !== "__tw_code" &&
        (key in target || key === "console" || !(key in globalThis)),
      get: (target, key) => {
        if (key === Symbol.unscopables) return undefined;
        if (typeof key === "string" && key.startsWith(" typeof ")) {
          const name = key.slice(8);
          if (name in target) return target[name];
          if (name === "console") return sessionConsole;
          return (globalThis as Record<string, unknown>)[name];
        }
        if (key in target) return target[key as string];
        if (key === "console") return sessionConsole;
        if (key in globalThis) return (globalThis as Record<string | symbol, unknown>)[key];
        throw new ReferenceError(`${String(key)} is not defined`);
      },
      set: (target, key, value) => {
        target[key as string] = value;
        return true;
      },
    });
  }

  #makeConsole(): Console {
    const print = (...args: unknown[]) =>
      this.write(args.map((a) => typeof a === "string" ? a : inspect(a)).join(" ") + "\n");
    const methods: Record<string, (...args: unknown[]) => void> = {
      log: print,
      info: print,
      debug: print,
      warn: print,
      error: print,
      trace: print,
      dir: (value: unknown) => this.write(inspect(value) + "\n"),
    };
    return new Proxy(methods, {
      get: (target, key) =>
        typeof key === "string" && key in target
          ? target[key]
          : (console as unknown as Record<string | symbol, unknown>)[key],
    }) as unknown as Console;
  }

  /** Writes to the session, bounded per evaluation. */
  write(text: string): void {
    if (this.#printed >= MAX_OUTPUT) return;
    const room = MAX_OUTPUT - this.#printed;
    let out = text;
    if (out.length > room) out = `${out.slice(0, room)}\n... output truncated\n`;
    if (this.#busy) this.#printed += out.length;
    this.#handler.addOutput(out, !this.#busy);
  }

  /** Forgets the gathered lines. */
  resetBuffer(): void {
    this.buffer = [];
  }

  /**
   * Adds a line; runs the statement once complete. Returns true while more
   * lines are needed (the `... ` prompt). An empty line ends a statement
   * that would not end. When the code awaits, `running` is its promise.
   */
  push(line: string): boolean {
    this.buffer.push(line);
    const source = this.buffer.join("\n");
    if (source.length > MAX_SOURCE) {
      this.resetBuffer();
      this.#handler.addOutput(`Uncaught RangeError: input longer than ${MAX_SOURCE}\n`, false);
      return false;
    }
    const more = this.runsource(source, line.trim() === "" && this.buffer.length > 1);
    if (!more) this.resetBuffer();
    return more;
  }

  /** Runs `source` unless it is incomplete (and not `force`d): returns true to ask for more. */
  runsource(source: string, force = false): boolean {
    if (source.trim() === "") return false;
    if (!force && isIncomplete(source)) return true;
    let compiled: CompiledCode;
    try {
      compiled = this.compile(source);
    } catch (error) {
      if (!force && endsInOperator(source)) return true;
      this.#busy = true;
      this.#printed = 0;
      this.#showError(error);
      this.#busy = false;
      return false;
    }
    this.runcode(compiled);
    return false;
  }

  /**
   * Compiles `source` into a function of the scope that returns the code's
   * completion value (as the consoles show it). Code without `await` runs
   * through a direct `eval` inside the scope; code with `await` as an async
   * function that returns its last expression. Throws `SyntaxError`.
   */
  compile(source: string): CompiledCode {
    const { tokens } = tokenize(source);
    const sig = significant(tokens);
    const awaits = sig.some((t) => t.type === "keyword" && t.text === "await");
    let code = rewriteDeclarations(source, tokens);
    if (!awaits) {
      // An object literal, not a block, as the consoles read `{a: 1}`.
      if (/^\s*\{[^]*\}\s*$/.test(code)) {
        try {
          new Function(`return (${code}\n);`);
          code = `(${code}\n)`;
        } catch { /* a block */ }
      }
      new Function(code); // the syntax check: throws SyntaxError, runs nothing
      const run = new Function(
        "__tw_scope",
        "__tw_code",
        "with (__tw_scope) { return eval(__tw_code); }",
      ) as (scope: object, code: string) => unknown;
      return (scope: object) => run(scope, code);
    }
    const make = (body: string): CompiledCode =>
      this.#marked(
        new AsyncFunction("__tw_scope", `with (__tw_scope) {${body}\n}`) as CompiledCode,
      );
    const declaration = sig.length > 0 && DECLARATIONS.has(sig[0].text) ||
      (sig[0]?.text === "async" && sig[1]?.text === "function");
    if (!declaration) {
      try {
        return make(` return (\n${code}\n);`);
      } catch { /* not an expression */ }
      const again = tokenize(code);
      const semis = significant(again.tokens).filter((t) => t.text === ";" && t.depth === 0);
      const last = semis.at(-1);
      if (last !== undefined) {
        const tail = code.slice(last.start + 1);
        const tailTokens = significant(tokenize(tail).tokens);
        if (tailTokens.length > 0 && !DECLARATIONS.has(tailTokens[0].text)) {
          try {
            return make(`${code.slice(0, last.start + 1)} return (\n${tail}\n);`);
          } catch { /* the last statement is no expression */ }
        }
      }
    }
    return make(code);
  }

  #marked(compiled: CompiledCode): CompiledCode {
    this.#async.add(compiled);
    return compiled;
  }

  /** Runs compiled code and shows its value or its error. */
  runcode(compiled: CompiledCode): void {
    const generation = ++this.#generation;
    this.#busy = true;
    this.#printed = 0;
    let result: unknown;
    try {
      result = compiled(this.#scope);
    } catch (error) {
      this.#showError(error);
      this.#busy = false;
      return;
    }
    if (!(result instanceof Promise) || !this.#async.has(compiled)) {
      this.displayhook(result);
      this.#busy = false;
      return;
    }
    const running = (result as Promise<unknown>).then(
      (value) => {
        if (generation === this.#generation) this.displayhook(value);
      },
      (error) => {
        if (generation === this.#generation) this.#showError(error);
      },
    ).finally(() => {
      if (generation !== this.#generation) return;
      this.#busy = false;
      this.running = null;
    });
    this.running = running;
  }

  /** Abandons the running evaluation (Ctrl-C): its result is never shown. */
  cancel(): void {
    this.#generation++;
    this.#busy = false;
    this.running = null;
    this.resetBuffer();
  }

  /** Shows a value (not `undefined`) and keeps it as `_`. */
  displayhook(value: unknown): void {
    if (value === undefined) return;
    this.namespace._ = value;
    if (value instanceof Promise) {
      const n = this.#promises++;
      this.write(`<Promise #${n}>\n`);
      value.then(
        (v) => this.write(`Promise #${n} resolved: ${inspect(v)}\n`),
        (e) => this.write(`Promise #${n} rejected: ${this.#errorText(e)}\n`),
      );
      return;
    }
    this.write(inspect(value) + "\n");
  }

  #errorText(error: unknown): string {
    if (!(error instanceof Error)) return inspect(error);
    const lines = (typeof error.stack === "string" ? error.stack : "").split("\n");
    const head = `${error.name}: ${error.message}`;
    // The frames above the evaluated code (a library it called), not the manhole's own.
    const frames: string[] = [];
    for (const line of lines) {
      if (!/^\s+at /.test(line) && !/^\S*@/.test(line)) continue;
      if (/_interpreter|eval at|<anonymous>|^\s*eval@|^\s*anonymous@/.test(line)) break;
      frames.push(line.startsWith(" ") ? line : `    at ${line}`);
      if (frames.length === 8) break;
    }
    return [head, ...frames].join("\n");
  }

  #showError(error: unknown): void {
    this.write(`Uncaught ${this.#errorText(error)}\n`);
  }
}
