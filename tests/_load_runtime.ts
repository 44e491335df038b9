// The runtime adapter the socket suites test: TW_RUNTIME when set (the `+node`
// variants), else the one for the runtime running the tests.
import process from "node:process";
import type { Runtime } from "../src/internet/socket.ts";

/** Imports the adapter for TW_RUNTIME, or for this runtime. */
export async function loadRuntime(): Promise<Runtime> {
  const forced = process.env.TW_RUNTIME;
  const name = forced ?? ("Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node");
  switch (name) {
    case "deno":
      return (await import("../runtimes/deno.ts")).runtime;
    case "bun":
      return (await import("../runtimes/bun.ts")).runtime;
    default:
      return (await import("../runtimes/node.ts")).runtime;
  }
}
