/**
 * The commands that change the connection under AMP
 * (`twisted.protocols.amp.StartTLS` and `ProtocolSwitchCommand`). Private to
 * src/protocols; the public face is `amp.ts`.
 *
 * @module
 */
import { ConnectionLost } from "../../internet/error.ts";
import { Failure } from "../../internet/failure.ts";
import type { IProtocol, IProtocolFactory } from "../../internet/interfaces.ts";
import { Logger } from "../../logger/mod.ts";
import { afterSend, AmpBox, localValues } from "./_box.ts";
import { Argument } from "./_arguments.ts";
import { callHooks, Command } from "./_command.ts";
import { OnlyOneTLS, RemoteAmpError } from "./_errors.ts";
import { type SenderControl, senderControls, type TLSParameters } from "./_protocol.ts";

const log = new Logger("tw.protocols.amp");

/** A certificate and its private key, as PEM text (what Twisted's `PrivateCertificate` holds). */
export interface PrivateCertificate {
  /** The PEM certificate (chain). */
  cert: string;
  /** The PEM private key. */
  key: string;
}

/**
 * A value that stays on this side: never written, never read (what
 * `StartTLS` uses for its certificate and authorities). `toBox` keeps the
 * value with the box for whoever sends it.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * const box = new amp.AmpBox();
 * new amp.LocalArgument<string[]>().toBox("ca", box, { ca: ["..."] }, null);
 * console.log(box.size); // 0
 * ```
 */
export class LocalArgument<T, O extends boolean = false> extends Argument<T, O> {
  /** Reads nothing: a local value never arrives. */
  override fromBox(): void {}

  /**
   * Keeps `objects[name]` with the box, off the wire.
   * @param name the key
   * @param strings the box
   * @param objects the values
   * @param _proto the connection (unused)
   */
  override toBox(
    name: string,
    strings: AmpBox,
    objects: Readonly<Record<string, unknown>>,
    _proto?: object | null,
  ): void {
    const value = objects[name];
    if (value === undefined || value === null) return;
    let local = localValues.get(strings);
    if (local === undefined) localValues.set(strings, local = {});
    local[name] = value;
  }

  /**
   * Never used: a local value has no wire form.
   * @throws {TypeError} always
   */
  fromString(_bytes: Uint8Array): T {
    throw new TypeError("A LocalArgument has no wire form");
  }

  /**
   * Never used: a local value has no wire form.
   * @throws {TypeError} always
   */
  toString(_value: T): Uint8Array {
    throw new TypeError("A LocalArgument has no wire form");
  }
}

/** The arguments and response of `StartTLS`: local TLS parameters, never sent. */
export type StartTLSSchema = {
  /** This side's certificate. */
  tls_localCertificate: LocalArgument<PrivateCertificate, true>;
  /** CA certificates the peer's certificate must chain to. */
  tls_verifyAuthorities: LocalArgument<string[], true>;
};

function controlOf(sender: object): SenderControl {
  const control = senderControls.get(sender);
  if (control === undefined) {
    throw new TypeError("This command needs a BinaryBoxProtocol (or AMP) connection");
  }
  return control;
}

function canStartTLS(control: SenderControl): boolean {
  const t = control.transport() as { startTLS?: unknown } | null;
  return t !== null && typeof t.startTLS === "function";
}

function tlsParameters(box: AmpBox): TLSParameters {
  const local = localValues.get(box) ?? {};
  return {
    certificate: local.tls_localCertificate as PrivateCertificate | undefined,
    authorities: local.tls_verifyAuthorities as string[] | undefined,
  };
}

/**
 * Starts TLS on the connection (Twisted's `StartTLS`). The caller passes
 * `tls_localCertificate` (its certificate, optional) and
 * `tls_verifyAuthorities` (CA certificates that must have signed the peer's;
 * without, the peer is not verified); the responder returns the same keys,
 * and must return a certificate: the answering side is the TLS server. Both
 * are PEM text and never go on the wire.
 *
 * Once the answer is written, both sides upgrade; boxes the caller sends
 * meanwhile wait and go out over TLS. A second `StartTLS` fails with
 * `OnlyOneTLS`. Unlike Twisted, an AMP has no default StartTLS responder (it
 * would need a throw-away certificate): register one.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 *
 * class Secure extends amp.AMP {}
 * amp.StartTLS.responder(Secure, () => ({
 *   tls_localCertificate: { cert: "-----BEGIN CERTIFICATE-----...", key: "-----BEGIN PRIVATE KEY-----..." },
 * }));
 * // On the other side, over a real connection:
 * // await client.callRemote(amp.StartTLS, { tls_verifyAuthorities: [caPem] });
 * ```
 */
export class StartTLS extends Command {
  /** The local TLS parameters (never sent). */
  static override arguments: StartTLSSchema = {
    tls_localCertificate: new LocalArgument<PrivateCertificate, true>({ optional: true }),
    tls_verifyAuthorities: new LocalArgument<string[], true>({ optional: true }),
  };
  /** The answering side's TLS parameters (never sent). */
  static override response: StartTLSSchema = {
    tls_localCertificate: new LocalArgument<PrivateCertificate, true>({ optional: true }),
    tls_verifyAuthorities: new LocalArgument<string[], true>({ optional: true }),
  };

  /**
   * The (empty) answer, which starts TLS as the server once written.
   * @param objects the responder's TLS parameters
   * @param proto the locator (the connection, for an AMP)
   * @throws {RemoteAmpError} `TLS_ERROR` when there is no certificate or TLS cannot start here
   */
  static override makeResponse(objects: unknown, proto: object | null): AmpBox {
    const box = super.makeResponse(objects ?? {}, proto);
    const parameters = tlsParameters(box);
    if (parameters.certificate === undefined) {
      throw new RemoteAmpError(
        "TLS_ERROR",
        "StartTLS needs tls_localCertificate on the answering side",
      );
    }
    const control = proto === null ? undefined : senderControls.get(proto);
    if (control !== undefined) {
      if (!canStartTLS(control)) throw new RemoteAmpError("TLS_ERROR", "TLS not available");
      if (control.tlsInUse()) throw new OnlyOneTLS();
    }
    afterSend.set(box, (sender) => {
      const control = senderControls.get(sender);
      try {
        if (control === undefined || !canStartTLS(control)) {
          throw new TypeError("StartTLS was answered on a connection that cannot start TLS");
        }
        control.startTLS(true, parameters);
      } catch (e) {
        log.failure("Cannot start TLS after answering StartTLS: closing", e, "error");
        control?.transport()?.loseConnection();
      }
    });
    return box;
  }
}

callHooks.set(StartTLS, {
  before(sender) {
    const control = controlOf(sender);
    if (!canStartTLS(control)) {
      throw new TypeError("StartTLS needs a transport that can start TLS (startTLS)");
    }
    if (control.tlsInUse()) throw new OnlyOneTLS();
  },
  sent(sender) {
    controlOf(sender).prepareTLS();
  },
  answered(sender, box) {
    controlOf(sender).startTLS(false, tlsParameters(box));
  },
  failed(sender) {
    controlOf(sender).cancelTLS();
  },
});

const switchFactories = new WeakMap<AmpBox, IProtocolFactory>();

type ClientFactoryLike = IProtocolFactory & {
  clientConnectionFailed?(connector: unknown, reason: Failure): void;
};

/**
 * Switches the connection from AMP to another protocol (Twisted's
 * `ProtocolSwitchCommand`), for using AMP to negotiate a connection. The
 * caller gives the factory of its new protocol after the arguments
 * (`callRemote(Switch, args, factory)`) and sends nothing more over AMP; the
 * responder returns the answering side's new protocol. Once the answer is
 * written (and, on the caller's side, read), each new protocol gets the
 * connection and any bytes already read past the answer. If the call fails,
 * the caller's AMP works again and the factory's `clientConnectionFailed`
 * is called.
 *
 * @example
 * ```ts
 * import * as amp from "@tw/core/protocols/amp";
 * import { AccumulatingProtocol, connectedServerAndClient } from "@tw/core/testing";
 * import { Factory } from "@tw/core/protocol";
 *
 * class SwitchToRaw extends amp.ProtocolSwitchCommand {
 *   static override arguments = { name: new amp.Unicode() };
 * }
 * const serverSide = new AccumulatingProtocol();
 * class Server extends amp.AMP {}
 * SwitchToRaw.responder(Server, () => serverSide);
 *
 * const [client, , pump] = connectedServerAndClient<amp.AMP>(() => new Server(), () => new amp.AMP());
 * const switched = client.callRemote(SwitchToRaw, { name: "raw" }, Factory.forProtocol(AccumulatingProtocol));
 * pump.flush();
 * await switched;
 * console.log(client.innerProtocol instanceof AccumulatingProtocol); // true
 * ```
 */
export class ProtocolSwitchCommand extends Command {
  /** Marks the command as a protocol switch (for the types of `callRemote` and responders). */
  static readonly switchesProtocol: true = true;

  /**
   * The (empty) answer, which hands the connection to `innerProtocol` once written.
   * @param innerProtocol what the responder returned: the protocol to switch to
   * @throws {TypeError} when it is not a protocol
   */
  static override makeResponse(innerProtocol: unknown, _proto: object | null): AmpBox {
    if (
      innerProtocol === null || typeof innerProtocol !== "object" ||
      typeof (innerProtocol as IProtocol).makeConnection !== "function"
    ) {
      throw new TypeError(
        "A ProtocolSwitchCommand responder must return the protocol to switch to",
      );
    }
    const box = new AmpBox();
    afterSend.set(box, (sender) => {
      const control = controlOf(sender);
      control.lockForSwitch();
      control.switchTo(innerProtocol as IProtocol);
    });
    return box;
  }
}

callHooks.set(ProtocolSwitchCommand, {
  before(sender, box, extra) {
    controlOf(sender);
    const factory = extra[0] as IProtocolFactory | undefined;
    if (factory === undefined || typeof factory.buildProtocol !== "function") {
      throw new TypeError("A ProtocolSwitchCommand call needs the factory of the new protocol");
    }
    switchFactories.set(box, factory);
  },
  sent(sender) {
    controlOf(sender).lockForSwitch();
  },
  answered(sender, box) {
    const control = controlOf(sender);
    const factory = switchFactories.get(box)!;
    const transport = control.transport();
    if (transport === null) throw new ConnectionLost();
    const protocol = factory.buildProtocol(transport.getPeer());
    if (protocol === null) {
      throw new TypeError("The factory of a ProtocolSwitchCommand built no protocol");
    }
    control.switchTo(protocol, factory);
  },
  failed(sender, box, reason) {
    const control = senderControls.get(sender);
    if (control === undefined) return;
    try {
      control.unlockFromSwitch();
    } catch {
      return;
    }
    const factory = switchFactories.get(box) as ClientFactoryLike | undefined;
    factory?.clientConnectionFailed?.(
      null,
      new Failure(new ConnectionLost(reason.getErrorMessage())),
    );
  },
});
