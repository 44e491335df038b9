// What the DNS interop tests share: finding peer programs (skipped when
// missing, except under CI), free ports, and `tw dns` as a subprocess.
import process from "node:process";
import { existsSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { createSocket } from "node:dgram";
import { join } from "node:path";
import { Deferred, type Failure, ProcessProtocol, reactor } from "../../mod.ts";
import { CURRENT, exec, start, terminate } from "../cli/_program.ts";

/** True when CI runs the tests: a missing peer is then a failure, not a skip. */
export const CI: boolean = process.env.CI === "true";

/** The path of a program on PATH (or in /usr/sbin, /sbin), or null. */
export function findTool(name: string): string | null {
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/sbin", "/usr/bin"];
  for (const dir of dirs) if (dir && existsSync(join(dir, name))) return join(dir, name);
  return null;
}

/** A node:test `skip` value: false when `tool` was found (or under CI), else why. */
export function skipWithout(tool: string | null, name: string, pkg: string): string | false {
  return tool !== null || CI
    ? false
    : `no ${name}: install Debian's ${pkg} package (apt-get install -y ${pkg})`;
}

const handedOut = new Set<number>();

/** A port free for both TCP and UDP on 127.0.0.1 (as far as one can tell), not handed out before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.on("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    if (handedOut.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const socket = createSocket("udp4");
      socket.on("error", () => resolve(false));
      socket.bind(port, "127.0.0.1", () => socket.close(() => resolve(true)));
    });
    if (free) {
      handedOut.add(port);
      return port;
    }
  }
}

/** Starts `tw dns` with `args` on `port` (0: a free one); fires with the port once it listens. */
export async function startDNS(args: string[], port = 0) {
  const [program, transport] = start(CURRENT, ["dns", "--port", String(port), ...args]);
  try {
    const m = await program.waitFor(/listening on 127\.0\.0\.1:(\d+) \(UDP and TCP\)/);
    return { program, transport, port: Number(m[1]) };
  } catch (error) {
    await terminate(program, transport);
    throw error;
  }
}

/** How `startNSD` runs nsd. */
export interface NSDOptions {
  /** nsd's log verbosity. @default 0 */
  verbosity?: number;
  /** What dig's answer to `example.com SOA` must show before nsd counts as up. @default any status */
  ready?: RegExp;
}

/**
 * Starts nsd in the foreground for the zone example.com (`zoneConfig`: the
 * zone's lines after `name:`) on 127.0.0.1:`port`, from a configuration in
 * `dir`; resolves once dig gets an answer. `stop` ends it, `hup` reloads it.
 */
export async function startNSD(
  dir: string,
  port: number,
  zoneConfig: string,
  options: NSDOptions = {},
) {
  const nsd = findTool("nsd")!, dig = findTool("dig")!;
  const conf = join(dir, "nsd.conf");
  writeFileSync(
    conf,
    `server:
  ip-address: 127.0.0.1@${port}
  database: ""
  username: ""
  chroot: ""
  zonelistfile: "${join(dir, "zone.list")}"
  xfrdfile: "${join(dir, "xfrd.state")}"
  xfrdir: "${dir}"
  pidfile: "${join(dir, "nsd.pid")}"
  verbosity: ${options.verbosity ?? 0}
  rrl-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: example.com
${zoneConfig}`,
  );
  const ended = new Deferred<void>();
  let output = "";
  class NSDProcess extends ProcessProtocol {
    override outReceived(data: Uint8Array): void {
      output += new TextDecoder().decode(data);
    }
    override errReceived(data: Uint8Array): void {
      output += new TextDecoder().decode(data);
    }
    override processEnded(_reason: Failure): void {
      ended.callback(undefined);
    }
  }
  const transport = reactor.spawnProcess(new NSDProcess(), nsd, [nsd, "-d", "-c", conf]);
  const stop = async () => {
    if (!ended.called) transport.signalProcess("TERM");
    await ended.addTimeout(10, reactor).asPromise().catch(() => transport.signalProcess("KILL"));
  };
  const hup = () => transport.signalProcess("HUP");
  const ready = options.ready ?? /status: \w+/;
  for (let i = 0; i < 50; i++) {
    if (ended.called) throw new Error(`nsd ended: ${output}`);
    const probe = await exec([
      dig,
      "@127.0.0.1",
      "-p",
      String(port),
      "+time=1",
      "+tries=1",
      "example.com",
      "SOA",
    ]);
    if (ready.test(probe.out)) return { stop, hup, output: () => output };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error(`nsd did not answer: ${output}`);
}
