// The error classes of twisted.internet.error.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as errors from "../../src/internet/error.ts";
import {
  AlreadyCalled,
  AlreadyCancelled,
  CannotListenError,
  ConnectError,
  ConnectionDone,
  ConnectionLost,
  ConnectionRefusedError,
  DNSLookupError,
  NotSupportedError,
  ProcessDone,
  ProcessTerminated,
  ReactorAlreadyRunning,
  ReactorNotRunning,
  TimeoutError,
  UserError,
} from "../../src/internet/error.ts";
import { trackLeaks } from "../../src/testing/mod.ts";

trackLeaks({ beforeEach, afterEach });

describe("the internet error classes", () => {
  it("are Error subclasses, each with its own name", () => {
    const made: Error[] = [
      new ConnectError(),
      new ConnectionRefusedError(),
      new DNSLookupError(),
      new TimeoutError(),
      new ConnectionDone(),
      new ConnectionLost(),
      new UserError(),
      new CannotListenError("", 80),
      new ReactorNotRunning(),
      new ReactorAlreadyRunning(),
      new AlreadyCalled(),
      new AlreadyCancelled(),
      new ProcessDone(),
      new ProcessTerminated(1),
      new errors.ProcessExitedAlready(),
      new NotSupportedError("bun", "X"),
    ];
    for (const error of made) {
      assert.ok(error instanceof Error);
      assert.equal(error.name, error.constructor.name);
      assert.ok(error.message.length > 0, `${error.name} has a message`);
    }
  });

  it("export every class under its own name", () => {
    for (const [name, value] of Object.entries(errors)) {
      if (typeof value === "function") assert.equal(value.name, name);
    }
  });

  it("make connection failures subclasses of ConnectError", () => {
    for (const E of [ConnectionRefusedError, DNSLookupError, TimeoutError, UserError]) {
      assert.ok(new E() instanceof ConnectError);
    }
    assert.ok(!(new ConnectionLost() instanceof ConnectError));
  });

  it("accept a custom message and a cause", () => {
    const cause = new Error("root");
    const e = new ConnectionLost("reset by peer", { cause });
    assert.equal(e.message, "reset by peer");
    assert.equal(e.cause, cause);
  });

  it("CannotListenError names the address and an address-in-use cause", () => {
    const cause = Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE" });
    const e = new CannotListenError("127.0.0.1", 80, cause);
    assert.equal(e.message, "Cannot listen on 127.0.0.1:80: address in use");
    assert.equal(e.interface, "127.0.0.1");
    assert.equal(e.port, 80);
    assert.equal(e.cause, cause);
  });

  it("CannotListenError describes all interfaces, Deno's error names and Unix paths", () => {
    const denoStyle = new Error("x");
    denoStyle.name = "PermissionDenied";
    assert.equal(
      new CannotListenError("", 22, denoStyle).message,
      "Cannot listen on 0.0.0.0:22: permission denied",
    );
    assert.equal(
      new CannotListenError("", "/tmp/s.sock", "taken").message,
      "Cannot listen on /tmp/s.sock: taken",
    );
    assert.equal(
      new CannotListenError("::1", 1).message,
      "Cannot listen on ::1:1: unknown error",
    );
    const notAvailable = Object.assign(new Error("x"), { code: "EADDRNOTAVAIL" });
    assert.match(new CannotListenError("10.9.9.9", 1, notAvailable).message, /not available$/);
    assert.match(new CannotListenError("h", 1, new Error("other")).message, /: other$/);
  });

  it("ProcessDone has exit code 0 and no signal", () => {
    const e = new ProcessDone();
    assert.equal(e.exitCode, 0);
    assert.equal(e.signal, null);
  });

  it("ProcessTerminated reports an exit code or a signal", () => {
    const byCode = new ProcessTerminated(3);
    assert.equal(byCode.exitCode, 3);
    assert.equal(byCode.signal, null);
    assert.match(byCode.message, /exit code 3/);
    const bySignal = new ProcessTerminated(null, "SIGTERM");
    assert.equal(bySignal.exitCode, null);
    assert.equal(bySignal.signal, "SIGTERM");
    assert.match(bySignal.message, /signal SIGTERM/);
  });

  it("NotSupportedError names the runtime, the feature and the hint", () => {
    assert.equal(
      new NotSupportedError("deno", "UDP multicast", "use --unstable-net").message,
      "UDP multicast is not supported on deno: use --unstable-net",
    );
    assert.equal(new NotSupportedError("bun", "X").message, "X is not supported on bun");
  });
});
