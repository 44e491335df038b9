/**
 * Plugins for the `tw` command (Twisted's `IServiceMaker` and `twistd`'s
 * plugin discovery): the interface, a registry, and loading user plugins from
 * module paths or URLs. Private to src/cli; mod.ts re-exports it.
 *
 * A plugin module exports its service maker as `serviceMaker`, as a list in
 * `serviceMakers`, or as its default export.
 *
 * @module
 */
import type { Reactor } from "../internet/reactor.ts";
import type { IService } from "../application/mod.ts";
import type { Options } from "./_usage.ts";

/** What `makeService` receives besides its options: Twisted's "pass the reactor". */
export interface PluginContext {
  /** The reactor the command runs. */
  reactor: Reactor;
  /** The working directory (after `--rundir`), for resolving relative paths. */
  cwd: string;
  /** Writes to standard output (`tw web --logfile -`). @default {reactor.runtime.writeStdout} */
  stdout?(text: string): void;
  /**
   * Opens a file for appending text and returns its writer (`tw web
   * --logfile PATH`); throws when it cannot. Absent when the host cannot
   * append to files.
   */
  openLogFile?(path: string): (text: string) => void;
}

/**
 * A plugin of the `tw` command (`twisted.application.service.IServiceMaker`):
 * `tw [options] TAPNAME [plugin options]` parses the plugin options with a
 * new `options` instance, then starts `makeService(options, context)`.
 *
 * @example
 * ```ts
 * import { type IServiceMaker, Options } from "@tw/core/cli";
 * import { Service } from "@tw/core/application";
 * class Hello extends Service {
 *   override startService(): void {
 *     super.startService();
 *     console.log("hello");
 *   }
 * }
 * export const serviceMaker: IServiceMaker = {
 *   tapname: "hello",
 *   description: "Logs hello",
 *   options: Options,
 *   makeService: () => new Hello(),
 * };
 * ```
 */
export interface IServiceMaker {
  /** The command word (`web`, `echo`...). */
  readonly tapname: string;
  /** One line shown by `tw --help`. */
  readonly description: string;
  /** The plugin's options class. */
  readonly options: new () => Options;
  /** Makes the service to run from the parsed options. */
  makeService(
    options: Options,
    context: PluginContext,
  ): IService | PromiseLike<IService>;
  /**
   * A command rather than a service (`tw trial`): when present, the runner
   * calls it instead of `makeService`, sets up no logging, runs no reactor,
   * and exits with the status it resolves with.
   */
  run?(options: Options, context: PluginContext): Promise<number>;
}

function isServiceMaker(value: unknown): value is IServiceMaker {
  const v = value as Partial<IServiceMaker> | null;
  return v !== null && typeof v === "object" && typeof v.tapname === "string" &&
    typeof v.makeService === "function" && typeof v.options === "function";
}

/**
 * A plugin whose module is imported only when it runs (Twisted's
 * `ServiceMaker`, which names a module to import later): `tw --help` lists
 * its name and description without loading it. `load()` imports the real
 * maker; the runner calls it once the plugin is chosen.
 *
 * @example
 * ```ts
 * import { ServiceMaker } from "@tw/core/cli";
 * const echo = new ServiceMaker("echo", "An echo server (RFC 862)", async () =>
 *   (await import("@tw/core/cli")).echoPlugin
 * );
 * console.log(echo.tapname); // "echo"
 * console.log((await echo.load()).description); // "An echo server (RFC 862)"
 * ```
 */
export class ServiceMaker implements IServiceMaker {
  /** The command word. */
  readonly tapname: string;
  /** One line shown by `tw --help`. */
  readonly description: string;
  #load: () => Promise<IServiceMaker>;
  #loaded: Promise<IServiceMaker> | null = null;
  #maker: IServiceMaker | null = null;

  /**
   * Makes a lazy plugin.
   * @param tapname the command word
   * @param description one line for `tw --help`
   * @param load imports the module and returns its maker
   */
  constructor(tapname: string, description: string, load: () => Promise<IServiceMaker>) {
    this.tapname = tapname;
    this.description = description;
    this.#load = load;
  }

  /** Imports the plugin's module (once) and returns its maker. */
  load(): Promise<IServiceMaker> {
    return this.#loaded ??= this.#load().then((maker) => (this.#maker = maker));
  }

  /** The options class; only once `load()` has finished. */
  get options(): new () => Options {
    return this.#loadedMaker().options;
  }

  /** Makes the service; only once `load()` has finished. */
  makeService(options: Options, context: PluginContext): IService | PromiseLike<IService> {
    return this.#loadedMaker().makeService(options, context);
  }

  #loadedMaker(): IServiceMaker {
    if (this.#maker === null) throw new Error(`Plugin ${this.tapname} is not loaded yet`);
    return this.#maker;
  }
}

/**
 * The service makers a module exports (`serviceMaker`, `serviceMakers`, or default).
 *
 * @example
 * ```ts
 * import { echoPlugin, serviceMakersOf } from "@tw/core/cli";
 * const module = { serviceMakers: [echoPlugin], helper: () => {} };
 * console.log(serviceMakersOf(module).map((maker) => maker.tapname)); // [ "echo" ]
 * ```
 */
export function serviceMakersOf(module: Record<string, unknown>): IServiceMaker[] {
  const found: IServiceMaker[] = [];
  for (const key of ["serviceMaker", "default"]) {
    if (isServiceMaker(module[key])) found.push(module[key] as IServiceMaker);
  }
  const list = module.serviceMakers;
  if (Array.isArray(list)) {
    for (const item of list) if (isServiceMaker(item)) found.push(item);
  }
  return [...new Set(found)];
}

/**
 * Turns a module path or URL into an import specifier: URLs stay, absolute
 * paths and relative ones (resolved against `base`, a directory) become
 * `file:` URLs.
 *
 * @example
 * ```ts
 * import { moduleURL } from "@tw/core/cli";
 * console.log(moduleURL("./plugins/hello.ts", "/srv/app")); // "file:///srv/app/plugins/hello.ts"
 * console.log(moduleURL("jsr:@me/tw-hello", "/srv/app")); // "jsr:@me/tw-hello"
 * ```
 */
export function moduleURL(specifier: string, base: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(specifier) && !/^[a-z]:[\\/]/i.test(specifier)) {
    return specifier;
  }
  const dir = base.endsWith("/") ? base : `${base}/`;
  const baseURL = new URL(`file://${dir.startsWith("/") ? "" : "/"}${dir}`);
  return new URL(specifier.replaceAll("\\", "/"), baseURL).href;
}

/**
 * The plugins known to one `tw` run: the built-ins plus those loaded.
 *
 * @example
 * ```ts
 * import { builtinPlugins, PluginRegistry } from "@tw/core/cli";
 * const registry = new PluginRegistry(builtinPlugins);
 * console.log(registry.get("echo")?.description); // "An echo server (RFC 862)"
 * // await registry.load("./my_plugin.ts", "/srv/app"); // adds what the module exports
 * ```
 */
export class PluginRegistry {
  #makers = new Map<string, IServiceMaker>();

  /**
   * Makes a registry holding `makers`.
   * @param makers the plugins to start with
   */
  constructor(makers: Iterable<IServiceMaker> = []) {
    for (const maker of makers) this.register(maker);
  }

  /** Adds (or replaces, for a user plugin overriding a built-in) a plugin. */
  register(maker: IServiceMaker): void {
    if (!/^[A-Za-z0-9][\w.-]*$/.test(maker.tapname)) {
      throw new TypeError(`Invalid plugin name: ${JSON.stringify(maker.tapname)}`);
    }
    this.#makers.set(maker.tapname, maker);
  }

  /** The plugin named `tapname`, if any. */
  get(tapname: string): IServiceMaker | undefined {
    return this.#makers.get(tapname);
  }

  /** Every plugin, sorted by name. */
  list(): IServiceMaker[] {
    // Names are ASCII (see register): code unit order, without the locale
    // collator that `localeCompare` sets up on first use (10 ms of `tw --help`).
    return [...this.#makers.values()].sort((a, b) =>
      a.tapname < b.tapname ? -1 : a.tapname > b.tapname ? 1 : 0
    );
  }

  /**
   * Imports a module and registers the service makers it exports. Throws
   * when the import fails or the module exports none.
   * @param specifier a path (relative to `base`) or URL
   * @param base the directory relative paths start from
   * @returns the plugins registered
   */
  async load(specifier: string, base: string): Promise<IServiceMaker[]> {
    const url = moduleURL(specifier, base);
    let module: Record<string, unknown>;
    try {
      module = await import(url);
    } catch (error) {
      const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
      throw new Error(`Cannot load plugin module ${specifier}: ${why}`, { cause: error });
    }
    const makers = serviceMakersOf(module);
    if (makers.length === 0) {
      throw new Error(
        `Plugin module ${specifier} exports no service maker (serviceMaker, serviceMakers or default)`,
      );
    }
    for (const maker of makers) this.register(maker);
    return makers;
  }
}
