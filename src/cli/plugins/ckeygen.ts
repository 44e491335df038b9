/**
 * The `ckeygen` plugin: `tw ckeygen`, Twisted's `ckeygen` (and the common
 * part of `ssh-keygen`): makes SSH keys, prints fingerprints and public
 * keys, changes passphrases.
 *
 *     tw ckeygen -t ed25519 -f ~/.ssh/id_ed25519 -N 'passphrase' -C me@host
 *     tw ckeygen -t rsa -b 4096 -f host_key --no-passphrase
 *     tw ckeygen -l -f ~/.ssh/id_ed25519.pub
 *     tw ckeygen -y -f ~/.ssh/id_ed25519 -P 'passphrase'
 *     tw ckeygen -p -f ~/.ssh/id_ed25519 -P old -N new
 *
 * It cannot prompt: passphrases come from `-N` / `-P`, or `--no-passphrase`.
 *
 * @module
 */
import type { IService } from "../../application/mod.ts";
import type { IServiceMaker, PluginContext } from "../_plugins.ts";
import {
  coerceChoice,
  coerceInt,
  type FlagSpec,
  Options,
  type ParameterSpec,
  UsageError,
} from "../_usage.ts";
import { BadKeyError, EncryptedKeyError } from "../../conch/keys/_errors.ts";
import { FingerprintFormats, Key } from "../../conch/keys/_key.ts";
import { readOpenSSHPrivatePublic } from "../../conch/keys/_openssh_format.ts";

const TYPES = ["ed25519", "ecdsa", "rsa"] as const;
const FORMATS = [FingerprintFormats.SHA256_BASE64, FingerprintFormats.MD5_HEX] as const;

/**
 * Options of `tw ckeygen` (Twisted's ckeygen names).
 *
 * @example
 * ```ts
 * import { CkeygenOptions } from "@tw/core/cli";
 * const options = new CkeygenOptions();
 * options.parseOptions(["-t", "ecdsa", "-b", "384", "-f", "key", "--no-passphrase"]);
 * console.log(options.opts.type, options.opts.bits, options.opts.filename); // "ecdsa" 384 "key"
 * ```
 */
export class CkeygenOptions extends Options {
  /** The usage line. */
  override synopsis: string = "tw ckeygen [options]";
  /** What the command does, for the help. */
  override longdesc: string =
    "Makes an SSH key pair (-t), written as FILE (OpenSSH format, mode 600; encrypted with " +
    "aes256-ctr and bcrypt-pbkdf when a passphrase is given) and FILE.pub; or prints a key's " +
    "fingerprint (-l) or public key (-y), or changes its passphrase (-p). Passphrases come " +
    "from -N and -P (or --no-passphrase): it does not prompt.";
  /** The flags. */
  override optFlags: FlagSpec[] = [
    { name: "fingerprint", short: "l", doc: "Show the fingerprint of the key file." },
    { name: "changepass", short: "p", doc: "Change the passphrase of the key file." },
    { name: "showpub", short: "y", doc: "Print the public key of the private key file." },
    { name: "no-passphrase", doc: "Write the key without a passphrase." },
  ];
  /** The options with values. */
  override optParameters: ParameterSpec[] = [
    { name: "bits", short: "b", metavar: "BITS", coerce: coerceInt, doc: "Key size in bits." },
    { name: "comment", short: "C", metavar: "COMMENT", doc: "The key's comment." },
    { name: "filename", short: "f", metavar: "FILE", doc: "The key file." },
    { name: "newpass", short: "N", metavar: "PASS", doc: "The new passphrase." },
    { name: "pass", short: "P", metavar: "PASS", doc: "The current passphrase." },
    { name: "type", short: "t", coerce: coerceChoice(TYPES), doc: "The type of key to make." },
    {
      name: "format",
      short: "o",
      default: FingerprintFormats.SHA256_BASE64,
      coerce: coerceChoice(FORMATS),
      doc: "The fingerprint format (-l).",
    },
    {
      name: "private-key-subtype",
      default: "v1",
      coerce: coerceChoice(["v1", "PEM"] as const),
      doc: "The format of private keys written: OpenSSH's v1 or PEM.",
    },
  ];

  /** Checks the combination of options; throws `UsageError`. */
  override postOptions(): void {
    const modes = ["fingerprint", "changepass", "showpub"].filter((m) => this.opts[m]);
    if (modes.length > 1) throw new UsageError("Give one of -l, -p and -y");
    if (modes.length === 0 && this.opts.type === undefined) {
      throw new UsageError("Give -t TYPE to make a key, or -l, -p or -y with -f FILE");
    }
    if (modes.length === 1 && this.opts.filename === undefined) {
      throw new UsageError("-l, -p and -y need -f FILE");
    }
    if (this.opts["no-passphrase"] && this.opts.newpass !== undefined) {
      throw new UsageError("Give either -N or --no-passphrase, not both");
    }
  }
}

function resolve(cwd: string, path: string): string {
  return path.startsWith("/") ? path : `${cwd.replace(/\/$/, "")}/${path}`;
}

function typeLabel(key: Key): string {
  return key.type() === "EC" ? "ECDSA" : key.type().toUpperCase();
}

async function readKey(
  context: PluginContext,
  path: string,
  passphrase: string | undefined,
): Promise<Key> {
  try {
    return await Key.fromFile(path, { passphrase, runtime: context.reactor.runtime });
  } catch (error) {
    if (error instanceof EncryptedKeyError) {
      throw new Error(
        passphrase === undefined
          ? `${path} is encrypted: give its passphrase with -P`
          : `Bad passphrase for ${path}`,
      );
    }
    if (error instanceof BadKeyError) throw new Error(`${path}: ${error.message}`);
    const code = (error as { code?: string } | null)?.code;
    throw new Error(`Cannot read ${path}${code ? ` (${code})` : ""}`);
  }
}

async function writeKeyPair(
  context: PluginContext,
  path: string,
  key: Key,
  opts: Record<string, unknown>,
  passphrase: string | undefined,
): Promise<void> {
  const runtime = context.reactor.runtime;
  const comment = key.comment;
  const subtype = opts["private-key-subtype"] as "v1" | "PEM";
  await runtime.writeFile(path, key.toString("openssh", { comment, passphrase, subtype }), {
    mode: 0o600,
  });
  await runtime.chmod(path, 0o600);
  await runtime.writeFile(`${path}.pub`, key.public().toString("openssh", { comment }) + "\n", {
    mode: 0o644,
  });
}

async function exists(context: PluginContext, path: string): Promise<boolean> {
  try {
    await context.reactor.runtime.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function generate(options: Options, context: PluginContext, out: (s: string) => void) {
  const opts = options.opts;
  const type = opts.type as typeof TYPES[number];
  const runtime = context.reactor.runtime;
  const newpass = opts.newpass ?? opts.pass;
  if (newpass === undefined && !opts["no-passphrase"]) {
    throw new UsageError("Give the new key's passphrase with -N PASS, or --no-passphrase");
  }
  if (type === "ed25519" && opts["private-key-subtype"] === "PEM") {
    throw new UsageError("Ed25519 keys are written in the v1 subtype only (OpenSSH reads no PEM)");
  }
  const home = runtime.env("HOME") ?? context.cwd;
  const path = resolve(
    context.cwd,
    (opts.filename as string | undefined) ?? `${home}/.ssh/id_${type}`,
  );
  if (await exists(context, path)) throw new Error(`${path} already exists; not overwritten`);
  if (opts.filename === undefined) {
    await runtime.mkdir(`${home}/.ssh`, { recursive: true, mode: 0o700 });
  }
  let key: Key;
  try {
    key = await Key.generate(type, { bits: opts.bits as number | undefined });
  } catch (error) {
    if (error instanceof BadKeyError) throw new UsageError(error.message);
    throw error;
  }
  key.comment = (opts.comment as string | undefined) ??
    `${runtime.env("USER") ?? "user"}@${runtime.env("HOSTNAME") ?? "localhost"}`;
  await writeKeyPair(context, path, key, opts, (newpass as string | undefined) || undefined);
  out(`Your identification has been saved in ${path}\n`);
  out(`Your public key has been saved in ${path}.pub\n`);
  out(`The key fingerprint is:\n${key.fingerprint()} ${key.comment}\n`);
}

async function fingerprint(options: Options, context: PluginContext, out: (s: string) => void) {
  const opts = options.opts;
  const path = resolve(context.cwd, opts.filename as string);
  let key: Key | null = null;
  if (!path.endsWith(".pub") && await exists(context, `${path}.pub`)) {
    key = await readKey(context, `${path}.pub`, undefined).catch(() => null);
  }
  if (key === null && opts.pass === undefined) {
    // An encrypted OpenSSH key's public half is readable without the passphrase.
    const text = await context.reactor.runtime.readFile(path).then(
      (bytes) => new TextDecoder().decode(bytes),
      () => "",
    );
    if (text.includes("-----BEGIN OPENSSH PRIVATE KEY-----")) {
      try {
        key = new Key(readOpenSSHPrivatePublic(text));
        key = Key.fromString(text); // unencrypted: with its comment
      } catch {
        // encrypted (keep the public half, no comment) or not a key (reported below)
      }
    }
  }
  key ??= await readKey(context, path, opts.pass as string | undefined);
  const format = opts.format as FingerprintFormats;
  const print = format === FingerprintFormats.MD5_HEX
    ? `MD5:${key.fingerprint(format)}`
    : key.fingerprint(format);
  out(`${key.size()} ${print} ${key.comment || "no comment"} (${typeLabel(key)})\n`);
}

async function changePassphrase(
  options: Options,
  context: PluginContext,
  out: (s: string) => void,
) {
  const opts = options.opts;
  const path = resolve(context.cwd, opts.filename as string);
  const key = await readKey(context, path, opts.pass as string | undefined);
  if (key.isPublic()) throw new Error(`${path} is a public key`);
  if (opts.newpass === undefined && !opts["no-passphrase"]) {
    throw new UsageError("Give the new passphrase with -N PASS, or --no-passphrase");
  }
  if (!key.comment && await exists(context, `${path}.pub`)) {
    const pub = await readKey(context, `${path}.pub`, undefined).catch(() => null);
    if (pub?.equals(key.public())) key.comment = pub.comment;
  }
  const subtype = opts["private-key-subtype"] as "v1" | "PEM";
  const passphrase = (opts.newpass as string | undefined) || undefined;
  await context.reactor.runtime.writeFile(
    path,
    key.toString("openssh", { comment: key.comment, passphrase, subtype }),
    { mode: 0o600 },
  );
  await context.reactor.runtime.chmod(path, 0o600);
  out("Your identification has been saved with the new passphrase.\n");
}

/** The `ckeygen` plugin: a command, not a service (see `IServiceMaker.run`). */
export const ckeygenPlugin: IServiceMaker = {
  tapname: "ckeygen",
  description: "Makes SSH keys, shows their fingerprints and changes their passphrases",
  options: CkeygenOptions,
  makeService(): IService {
    throw new UsageError("tw ckeygen is a command: run it with `tw ckeygen`");
  },
  async run(options: Options, context: PluginContext): Promise<number> {
    const out = context.stdout ?? ((text: string) => context.reactor.runtime.writeStdout(text));
    const opts = options.opts;
    if (opts.fingerprint) {
      await fingerprint(options, context, out);
    } else if (opts.showpub) {
      const path = resolve(context.cwd, opts.filename as string);
      const key = await readKey(context, path, opts.pass as string | undefined);
      out(key.public().toString("openssh") + "\n");
    } else if (opts.changepass) {
      await changePassphrase(options, context, out);
    } else {
      await generate(options, context, out);
    }
    return 0;
  },
};
