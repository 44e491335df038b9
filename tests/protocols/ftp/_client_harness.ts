// The FTPClient unit tests' harness: a client over a StringTransport that
// records startTLS, a MemoryReactor whose ports get numbers, and helpers to
// play the server's side and read what the client sent.
import type { Deferred } from "../../../src/internet/defer.ts";
import { Failure } from "../../../src/internet/failure.ts";
import { IPv4Address } from "../../../src/internet/address.ts";
import { ConnectionDone } from "../../../src/internet/error.ts";
import type {
  IProtocol,
  IProtocolFactory,
  ListenTCPOptions,
} from "../../../src/internet/interfaces.ts";
import { Protocol } from "../../../src/internet/protocol.ts";
import type { TlsOptions } from "../../../src/internet/socket.ts";
import { FakePort, MemoryReactor, StringTransport } from "../../../src/testing/mod.ts";
import { FTPClient, type FTPClientOptions } from "../../../src/protocols/ftp/mod.ts";
import assert from "node:assert/strict";

export const enc = new TextEncoder();
export const dec = new TextDecoder();

/** A StringTransport that records `startTLS` calls. */
export class TLSStringTransport extends StringTransport {
  tls: (TlsOptions & { isServer?: boolean })[] = [];
  startTLS(options: TlsOptions & { isServer?: boolean }): void {
    this.tls.push(options);
  }
}

/** A MemoryReactor whose listening ports get real-looking port numbers. */
export class PortReactor extends MemoryReactor {
  next = 40000;
  override listenTCP(port: number, factory: IProtocolFactory, options?: ListenTCPOptions) {
    this.tcpServers.push([port, factory, options?.backlog ?? 511, options?.interface ?? ""]);
    const fake = new FakePort(new IPv4Address("TCP", options?.interface ?? "0.0.0.0", this.next++));
    this.ports.push(fake);
    return fake;
  }
}

export class Collect extends Protocol {
  text = "";
  lost: Failure | null = null;
  override dataReceived(data: Uint8Array): void {
    this.text += dec.decode(data);
  }
  override connectionLost(reason: Failure): void {
    this.lost = reason;
  }
}

export function setup(
  options: FTPClientOptions = {},
  user: [string, string | null] | [] = ["alice", "secret"],
) {
  const reactor = new PortReactor();
  const client = user.length === 0
    ? new FTPClient(undefined, undefined, { reactor, ...options })
    : new FTPClient(user[0], user[1], { reactor, ...options });
  const transport = new TLSStringTransport({
    hostAddress: new IPv4Address("TCP", "10.0.0.1", 1234),
    peerAddress: new IPv4Address("TCP", "192.168.1.1", 21),
  });
  client.makeConnection(transport);
  const server = (text: string): void => client.dataReceived(enc.encode(text));
  const sent = (): string => {
    const text = transport.valueText();
    transport.clear();
    return text;
  };
  return { reactor, client, transport, server, sent };
}

export type Harness = ReturnType<typeof setup>;

export function login(h: Harness): void {
  h.server("220 welcome\r\n");
  assert.equal(h.sent(), "USER alice\r\n");
  h.server("331 password please\r\n");
  assert.equal(h.sent(), "PASS secret\r\n");
  h.server("230 logged in\r\n");
  assert.equal(h.sent(), "TYPE I\r\n");
  h.server("200 binary\r\n");
  assert.equal(h.sent(), "");
}

export function outcome<T>(d: Deferred<T>): { value?: T; error?: Error } {
  const seen: { value?: T; error?: Error } = {};
  d.addCallbacks((value) => {
    seen.value = value;
  }, (failure: Failure) => {
    seen.error = failure.value;
  });
  return seen;
}

export function dataProtocol(
  h: Harness,
  index = 0,
): { protocol: IProtocol; transport: TLSStringTransport } {
  const [, , factory] = h.reactor.tcpClients[index];
  const protocol = factory.buildProtocol(new IPv4Address("TCP", "192.168.1.1", 5000))!;
  const transport = new TLSStringTransport();
  protocol.makeConnection(transport);
  return { protocol, transport };
}

export const done = (): Failure => new Failure(new ConnectionDone());
