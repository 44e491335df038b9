/**
 * Command-line options in the spirit of `twisted.python.usage`: an `Options`
 * subclass declares its flags, parameters and sub-commands; `parseOptions`
 * fills `opts` and `args` or throws a `UsageError` that names the bad option;
 * `getUsage` generates the help text. Private to src/cli; mod.ts re-exports it.
 *
 * Parsing follows POSIX getopt, as Twisted's does: options come first, the
 * first argument that is not an option (or `--`) ends them. That is what lets
 * `tw procmon node server.js --port 8080` pass `--port` to the child.
 *
 * @module
 */

/**
 * A bad command line (`twisted.python.usage.UsageError`); the message names the option.
 *
 * @example
 * ```ts
 * import { coercePort, Options, UsageError } from "@tw/core/cli";
 * class ServeOptions extends Options {
 *   override optParameters = [{ name: "port", coerce: coercePort }];
 * }
 * try {
 *   new ServeOptions().parseOptions(["--port", "http"]);
 * } catch (e) {
 *   if (!(e instanceof UsageError)) throw e;
 *   console.log(e.message); // Invalid value for --port: "http" is not an integer
 * }
 * ```
 */
export class UsageError extends Error {
  /** The sub-command whose options were bad (the innermost), if any. */
  command: string | undefined = undefined;
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Thrown by `parseOptions` when it meets `--help` / `-h`: the caller prints
 * `usage` to standard output and exits 0 (Twisted's `opt_help` exits itself;
 * a library must not).
 *
 * @example
 * ```ts
 * import { HelpRequested, Options } from "@tw/core/cli";
 * class ServeOptions extends Options {
 *   override optFlags = [{ name: "verbose", short: "v", doc: "Say more" }];
 * }
 * try {
 *   new ServeOptions().parseOptions(["--help"]);
 * } catch (e) {
 *   if (e instanceof HelpRequested) console.log(e.usage.includes("--verbose")); // true
 * }
 * ```
 */
export class HelpRequested extends Error {
  /** The generated help text of the options that saw `--help`. */
  readonly usage: string;
  /** Creates the signal with the help text to print. */
  constructor(usage: string) {
    super("Help requested");
    this.name = "HelpRequested";
    this.usage = usage;
  }
}

/** A boolean option (`optFlags`): present means true. */
export interface FlagSpec {
  /** The long name, without dashes (`"verbose"` for `--verbose`). */
  name: string;
  /** A one-letter short form (`"v"` for `-v`). */
  short?: string;
  /** One line of help. */
  doc?: string;
}

/** An option taking a value (`optParameters`). */
export interface ParameterSpec {
  /** The long name, without dashes; `_` and `-` are interchangeable on the command line. */
  name: string;
  /** A one-letter short form. */
  short?: string;
  /**
   * The value when the option is absent (not coerced). For a `multiple`
   * option, the default is an empty array unless given.
   * @default {undefined}
   */
  default?: unknown;
  /** One line of help. */
  doc?: string;
  /**
   * Turns the text into the value; throws (any Error) for a bad one, whose
   * message is reported as `Invalid value for --name: <message>`.
   * @default {the string itself}
   */
  coerce?: (value: string) => unknown;
  /**
   * Collect every occurrence into an array instead of keeping the last.
   * @default {false}
   */
  multiple?: boolean;
  /** The value's name in the help (`--port PORT`). @default {the upper-cased name} */
  metavar?: string;
}

/** A sub-command (`subCommands`): a word that hands the rest of the line to other Options. */
export interface SubCommandSpec {
  /** The word on the command line. */
  name: string;
  /** Another word for it. */
  short?: string;
  /** Makes the Options that parse the sub-command's arguments. */
  options: () => Options;
  /** One line of help. */
  doc?: string;
}

/** A value coercion with a description for the help (`twisted.python.usage` coerceDoc). */
export type Coercer<T> = ((value: string) => T) & { coerceDoc?: string };

/** Coerces to an integer; rejects anything but optional sign and digits. */
export const coerceInt: Coercer<number> = Object.assign((value: string): number => {
  if (!/^[+-]?\d+$/.test(value.trim())) {
    throw new Error(`${JSON.stringify(value)} is not an integer`);
  }
  return Number.parseInt(value, 10);
}, { coerceDoc: "an integer" });

/** Coerces to a finite number. */
export const coerceFloat: Coercer<number> = Object.assign((value: string): number => {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n)) {
    throw new Error(`${JSON.stringify(value)} is not a number`);
  }
  return n;
}, { coerceDoc: "a number" });

/** Coerces to a TCP/UDP port number, 0 to 65535 (`twisted.python.usage.portCoerce`). */
export const coercePort: Coercer<number> = Object.assign((value: string): number => {
  const n = coerceInt(value);
  if (n < 0 || n > 65535) throw new Error(`port number ${n} is not in 0..65535`);
  return n;
}, { coerceDoc: "a port number, 0 to 65535" });

/**
 * Makes a coercion that accepts only the given words.
 *
 * @example
 * ```ts
 * import { coerceChoice } from "@tw/core/cli";
 * const level = coerceChoice(["debug", "info", "warn"] as const);
 * console.log(level("info"), level.coerceDoc); // info one of debug, info, warn
 * ```
 */
export function coerceChoice<T extends string>(choices: readonly T[]): Coercer<T> {
  return Object.assign((value: string): T => {
    if (!choices.includes(value as T)) {
      throw new Error(`${JSON.stringify(value)} is not one of ${choices.join(", ")}`);
    }
    return value as T;
  }, { coerceDoc: `one of ${choices.join(", ")}` });
}

type Found =
  | { kind: "flag"; spec: FlagSpec }
  | { kind: "param"; spec: ParameterSpec };

/**
 * Declarative command-line options (`twisted.python.usage.Options`). Subclass
 * it and set `optFlags`, `optParameters`, `subCommands`, `synopsis`;
 * override `parseArgs` to take positional arguments (the default takes none)
 * and `postOptions` to check combinations. After `parseOptions(argv)`,
 * `opts` maps each long name to its value (flags to booleans), `args` holds
 * the positional arguments and, when a sub-command was given, `subCommand`
 * and `subOptions` say which and with what.
 *
 * `--help` / `-h` is built in: it throws `HelpRequested` with `getUsage()`.
 *
 * @example
 * ```ts
 * import { coercePort, Options } from "@tw/core/cli";
 * class ServeOptions extends Options {
 *   override optFlags = [{ name: "verbose", short: "v", doc: "Say more" }];
 *   override optParameters = [
 *     { name: "port", short: "p", default: 8080, coerce: coercePort, doc: "Port to listen on" },
 *   ];
 * }
 * const options = new ServeOptions();
 * options.parseOptions(["-v", "--port=8081"]);
 * options.opts.port; // 8081
 * ```
 */
export class Options {
  /** Boolean options. */
  optFlags: FlagSpec[] = [];
  /** Options with a value. */
  optParameters: ParameterSpec[] = [];
  /** Words that hand the rest of the line to other Options. */
  subCommands: SubCommandSpec[] = [];
  /** The sub-command used when none is given (none by default: then it is optional). */
  defaultSubCommand: string | undefined = undefined;
  /** The first help line after "Usage: ", e.g. `"tw [options] PLUGIN [plugin options]"`. */
  synopsis = "";
  /** A paragraph printed after the synopsis. */
  longdesc = "";
  /** The heading of the sub-command list in the help. */
  subCommandsHeading = "Commands";
  /** The value of every option by long name; filled by `parseOptions`. */
  opts: Record<string, unknown> = {};
  /** Positional arguments (when `parseArgs` is not overridden to consume them). */
  args: string[] = [];
  /** The sub-command given, if any. */
  subCommand: string | undefined = undefined;
  /** The sub-command's parsed Options. */
  subOptions: Options | undefined = undefined;
  /** The Options this one is a sub-command of. */
  parent: Options | undefined = undefined;

  /**
   * Parses `argv` (the words after the program or sub-command name). Throws
   * `UsageError` for a bad line and `HelpRequested` for `--help`.
   */
  parseOptions(argv: readonly string[]): void {
    this.#setDefaults();
    let i = 0;
    for (; i < argv.length; i++) {
      const word = argv[i];
      if (word === "--") {
        i++;
        break;
      }
      if (word.startsWith("--")) {
        i = this.#long(argv, i);
      } else if (word.startsWith("-") && word.length > 1) {
        i = this.#short(argv, i);
      } else {
        break;
      }
    }
    let rest = argv.slice(i);
    if (this.subCommands.length > 0) {
      const word = rest[0];
      const sub = word === undefined ? undefined : this.#findSubCommand(word);
      if (sub === undefined && this.defaultSubCommand !== undefined) {
        const fallback = this.#findSubCommand(this.defaultSubCommand);
        if (fallback === undefined) {
          throw new UsageError(`Unknown default sub-command: ${this.defaultSubCommand}`);
        }
        this.#runSubCommand(fallback, rest);
        rest = [];
      } else if (sub !== undefined) {
        this.#runSubCommand(sub, rest.slice(1));
        rest = [];
      } else if (word !== undefined) {
        throw new UsageError(`Unknown command: ${word}`);
      }
    }
    this.args = rest;
    this.parseArgs(...rest);
    this.postOptions();
  }

  /**
   * Receives the positional arguments. The default accepts none: override it
   * to take some (throw `UsageError` for a wrong count).
   */
  parseArgs(...args: string[]): void {
    if (args.length > 0) {
      throw new UsageError(`Unexpected argument: ${args[0]}`);
    }
  }

  /** Called after parsing: check combinations here and throw `UsageError`. */
  postOptions(): void {}

  /** Generates the help text: synopsis, description, options and sub-commands. */
  getUsage(width = 80): string {
    const lines: string[] = [];
    if (this.synopsis) lines.push(`Usage: ${this.synopsis}`);
    if (this.longdesc) lines.push("", ...wrap(this.longdesc, width));
    const rows: [string, string][] = [];
    for (const flag of this.optFlags) {
      rows.push([optionLabel(flag.name, flag.short), flag.doc ?? ""]);
    }
    for (const param of this.optParameters) {
      const metavar = param.metavar ?? param.name.toUpperCase().replaceAll("-", "_");
      let doc = param.doc ?? "";
      const coerceDoc = (param.coerce as Coercer<unknown> | undefined)?.coerceDoc;
      if (coerceDoc) doc += ` (${coerceDoc})`;
      if (param.multiple) doc += " (repeatable)";
      if (param.default !== undefined && !(Array.isArray(param.default))) {
        doc += ` [default: ${String(param.default)}]`;
      }
      rows.push([`${optionLabel(param.name, param.short)} ${metavar}`, doc.trim()]);
    }
    const helpShort = this.#findShort("h") === undefined ? "h" : undefined;
    rows.push([optionLabel("help", helpShort), "Display this help and exit."]);
    lines.push("", "Options:", ...table(rows, width));
    if (this.subCommands.length > 0) {
      const subs: [string, string][] = this.subCommands.map((s) => [
        s.short ? `${s.name} (${s.short})` : s.name,
        s.doc ?? "",
      ]);
      lines.push("", `${this.subCommandsHeading}:`, ...table(subs, width));
    }
    return lines.join("\n") + "\n";
  }

  #setDefaults(): void {
    this.opts = {};
    for (const flag of this.optFlags) this.opts[flag.name] = false;
    for (const param of this.optParameters) {
      this.opts[param.name] = param.multiple
        ? [...((param.default as unknown[] | undefined) ?? [])]
        : param.default;
    }
  }

  #find(name: string): Found | undefined {
    const norm = (s: string): string => s.replaceAll("-", "_");
    const wanted = norm(name);
    const flag = this.optFlags.find((f) => norm(f.name) === wanted);
    if (flag) return { kind: "flag", spec: flag };
    const param = this.optParameters.find((p) => norm(p.name) === wanted);
    if (param) return { kind: "param", spec: param };
    return undefined;
  }

  #findShort(letter: string): Found | undefined {
    const flag = this.optFlags.find((f) => f.short === letter);
    if (flag) return { kind: "flag", spec: flag };
    const param = this.optParameters.find((p) => p.short === letter);
    if (param) return { kind: "param", spec: param };
    return undefined;
  }

  #findSubCommand(word: string): SubCommandSpec | undefined {
    return this.subCommands.find((s) => s.name === word || s.short === word);
  }

  #runSubCommand(sub: SubCommandSpec, argv: string[]): void {
    const options = sub.options();
    options.parent = this;
    if (!options.synopsis) {
      options.synopsis = `${this.#programName()} ${sub.name} [options]`;
    }
    try {
      options.parseOptions(argv);
    } catch (error) {
      if (error instanceof UsageError) error.command ??= sub.name;
      throw error;
    }
    this.subCommand = sub.name;
    this.subOptions = options;
  }

  #programName(): string {
    return this.synopsis.split(" ")[0] || "program";
  }

  /** Handles `--name`, `--name=value`, `--name value`; returns the index of the last word used. */
  #long(argv: readonly string[], i: number): number {
    const word = argv[i];
    const eq = word.indexOf("=");
    const name = eq === -1 ? word.slice(2) : word.slice(2, eq);
    const inline = eq === -1 ? undefined : word.slice(eq + 1);
    if (name === "help") throw new HelpRequested(this.getUsage());
    const found = this.#find(name);
    if (found === undefined) throw new UsageError(`Unknown option: --${name}`);
    if (found.kind === "flag") {
      if (inline !== undefined) throw new UsageError(`Flag --${name} takes no value`);
      this.opts[found.spec.name] = true;
      return i;
    }
    if (inline !== undefined) {
      this.#set(found.spec, `--${name}`, inline);
      return i;
    }
    if (i + 1 >= argv.length) throw new UsageError(`Option --${name} requires a value`);
    this.#set(found.spec, `--${name}`, argv[i + 1]);
    return i + 1;
  }

  /** Handles `-v`, `-abc` (grouped flags), `-p 80`, `-p80`. */
  #short(argv: readonly string[], i: number): number {
    const word = argv[i];
    for (let j = 1; j < word.length; j++) {
      const letter = word[j];
      const found = this.#findShort(letter);
      // -h is help unless an option claims the letter (Twisted's portforward: --host).
      if (found === undefined && letter === "h") throw new HelpRequested(this.getUsage());
      if (found === undefined) throw new UsageError(`Unknown option: -${letter}`);
      if (found.kind === "flag") {
        this.opts[found.spec.name] = true;
        continue;
      }
      const attached = word.slice(j + 1);
      if (attached !== "") {
        this.#set(found.spec, `-${letter}`, attached);
        return i;
      }
      if (i + 1 >= argv.length) throw new UsageError(`Option -${letter} requires a value`);
      this.#set(found.spec, `-${letter}`, argv[i + 1]);
      return i + 1;
    }
    return i;
  }

  #set(spec: ParameterSpec, label: string, text: string): void {
    let value: unknown = text;
    if (spec.coerce) {
      try {
        value = spec.coerce(text);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        throw new UsageError(`Invalid value for ${label}: ${why}`);
      }
    }
    if (spec.multiple) (this.opts[spec.name] as unknown[]).push(value);
    else this.opts[spec.name] = value;
  }
}

function optionLabel(name: string, short: string | undefined): string {
  return short ? `-${short}, --${name}` : `    --${name}`;
}

function table(rows: [string, string][], width: number): string[] {
  const left = Math.min(32, Math.max(...rows.map(([l]) => l.length)) + 2);
  const out: string[] = [];
  for (const [label, doc] of rows) {
    const docLines = wrap(doc, Math.max(20, width - left - 2));
    if (label.length + 2 > left) {
      out.push(`  ${label}`);
      for (const line of docLines) out.push(`${" ".repeat(left + 2)}${line}`);
    } else {
      const [first = "", ...more] = docLines;
      out.push(`  ${label.padEnd(left)}${first}`.trimEnd());
      for (const line of more) out.push(`${" ".repeat(left + 2)}${line}`);
    }
  }
  return out;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}
