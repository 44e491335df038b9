// What the DNS interop tests share: finding peer programs (skipped when
// missing, except under CI), free ports, and `tw dns` as a subprocess.
import process from "node:process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { createSocket } from "node:dgram";
import { join } from "node:path";
import { CURRENT, start, terminate } from "../cli/_program.ts";

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
