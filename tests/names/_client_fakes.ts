// Fakes for the DNS client's unit tests: a reactor with fake time whose UDP
// ports the test drives (`FakeDNSReactor`), TCP through MemoryReactor's
// records and StringTransport, and files in memory (`FakeFiles`).
import { Deferred, succeed } from "../../src/internet/defer.ts";
import { type Address, IPv4Address, IPv6Address } from "../../src/internet/address.ts";
import type { IProtocol } from "../../src/internet/interfaces.ts";
import type {
  DatagramAddress,
  DatagramProtocol,
  IUDPTransport,
} from "../../src/internet/protocol.ts";
import type { FileInfo } from "../../src/internet/socket.ts";
import {
  FakePort,
  MemoryReactorClock,
  registerLeakSource,
  StringTransportWithDisconnection,
} from "../../src/testing/mod.ts";
import {
  Message,
  type MessageFields,
  Record_A,
  Record_SOA,
  RRHeader,
} from "../../src/names/dns.ts";

const encoder = new TextEncoder();

/** Files in memory, with mtimes, as `reactor.runtime` offers them. */
export class FakeFiles {
  files = new Map<string, { data: Uint8Array; mtime: Date }>();
  reads = 0;
  stats = 0;
  #tick = 1_700_000_000_000;

  /** Writes `text` to `path` with a new mtime. */
  write(path: string, text: string): void {
    this.#tick += 1000;
    this.files.set(path, { data: encoder.encode(text), mtime: new Date(this.#tick) });
  }

  remove(path: string): void {
    this.files.delete(path);
  }

  #get(path: string): { data: Uint8Array; mtime: Date } {
    const file = this.files.get(path);
    if (file === undefined) {
      throw Object.assign(new Error(`ENOENT: no such file, ${path}`), { code: "ENOENT" });
    }
    return file;
  }

  readFile(path: string): Promise<Uint8Array> {
    this.reads++;
    try {
      return Promise.resolve(this.#get(path).data.slice());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  stat(path: string): Promise<FileInfo> {
    this.stats++;
    try {
      const file = this.#get(path);
      return Promise.resolve({
        isFile: true,
        isDirectory: false,
        isSymlink: false,
        size: file.data.length,
        mtime: file.mtime,
        mode: 0o644,
      });
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

/** A UDP port the test drives: records datagrams, delivers replies. */
export class FakeUDPPort extends FakePort implements IUDPTransport {
  readonly protocol: DatagramProtocol;
  readonly interface: string;
  written: [Uint8Array, DatagramAddress][] = [];
  #waiters: Deferred<FakePort>[] = [];
  #bound = false;

  constructor(address: Address, iface: string, protocol: DatagramProtocol, bound: boolean) {
    super(address);
    this.interface = iface;
    this.protocol = protocol;
    if (bound) this.bind();
  }

  /** Finishes the bind: the protocol starts and `whenListening` fires. */
  bind(): void {
    if (this.#bound || this.stopped) return;
    this.#bound = true;
    this.protocol.makeConnection(this);
    for (const d of this.#waiters.splice(0)) d.callback(this);
  }

  override whenListening(): Deferred<FakePort> {
    if (this.#bound) return succeed<FakePort>(this);
    const d = new Deferred<FakePort>();
    this.#waiters.push(d);
    return d;
  }

  write(data: Uint8Array, addr?: DatagramAddress): void {
    if (this.stopped) throw new Error("The port is stopped");
    this.written.push([data.slice(), addr!]);
  }

  connect(): void {}

  override stopListening(): Deferred<void> {
    if (!this.stopped) {
      this.stopped = true;
      if (this.#bound) this.protocol.doStop();
      for (const d of this.#waiters.splice(0)) d.errback(new Error("port was stopped"));
    }
    return succeed(undefined);
  }

  loseConnection(): void {
    this.stopListening();
  }

  /** The last datagram sent, decoded, and where it went. */
  sent(index = -1): [Message, DatagramAddress] {
    const [bytes, to] = this.written.at(index)!;
    return [Message.fromStr(bytes), to];
  }

  /** Delivers `message` as if from `from` (default: where the last query went). */
  deliver(message: Message, from?: DatagramAddress): void {
    this.protocol.datagramReceived(message.toStr(), from ?? this.sent()[1]);
  }

  /** Answers the last query with a response built from it. */
  reply(fields: MessageFields = {}, from?: DatagramAddress): void {
    this.deliver(answerTo(this.sent()[0], fields), from);
  }
}

const reactors = new Set<FakeDNSReactor>();
registerLeakSource({
  name: "fake DNS socket",
  find: () => {
    const open: string[] = [];
    for (const reactor of reactors) {
      for (const port of reactor.udp) {
        if (!port.stopped) open.push(`UDP port ${port.getHost()}`);
      }
      for (const [transport] of reactor.tcp) {
        if (!transport.disconnecting) open.push(`TCP connection to ${transport.getPeer()}`);
      }
    }
    return open;
  },
  cleanUp: () => reactors.clear(),
});

/** A MemoryReactorClock whose UDP ports the test drives, with files in memory. */
export class FakeDNSReactor extends MemoryReactorClock {
  readonly runtime: FakeFiles = new FakeFiles();
  readonly udp: FakeUDPPort[] = [];
  readonly tcp: [StringTransportWithDisconnection, IProtocol][] = [];
  /** When true, new ports bind only when the test calls `port.bind()`. */
  deferBinds = false;
  #nextPort = 40000;

  constructor() {
    super();
    reactors.add(this);
  }

  override listenUDP(
    port: number,
    protocol: DatagramProtocol,
    options: { interface?: string; maxPacketSize?: number } = {},
  ): FakeUDPPort {
    const iface = options.interface ?? "";
    this.udpServers.push([port, protocol, iface, options.maxPacketSize ?? 8192]);
    const number = this.#nextPort++;
    const address = iface.includes(":")
      ? new IPv6Address("UDP", iface, number)
      : new IPv4Address("UDP", iface || "0.0.0.0", number);
    const fake = new FakeUDPPort(address, iface, protocol, !this.deferBinds);
    this.udp.push(fake);
    this.ports.push(fake);
    return fake;
  }

  /** The ports still open. */
  openPorts(): FakeUDPPort[] {
    return this.udp.filter((p) => !p.stopped);
  }

  /** Connects TCP attempt `index` to a new transport; returns it and its protocol. */
  connectTCPClient(index = -1): [StringTransportWithDisconnection, IProtocol] {
    const [host, port, factory] = this.tcpClients.at(index)!;
    const protocol = factory.buildProtocol(new IPv4Address("TCP", host, port))!;
    const transport = new StringTransportWithDisconnection({
      peerAddress: host.includes(":")
        ? new IPv6Address("TCP", host, port)
        : new IPv4Address("TCP", host, port),
    });
    transport.protocol = protocol;
    this.tcp.push([transport, protocol]);
    protocol.makeConnection(transport);
    return [transport, protocol];
  }
}

/** The messages written to a TCP transport, each with its two-byte length. */
export function framedMessages(bytes: Uint8Array): Message[] {
  const out: Message[] = [];
  for (let at = 0; at + 2 <= bytes.length;) {
    const length = (bytes[at] << 8) | bytes[at + 1];
    out.push(Message.fromStr(bytes.subarray(at + 2, at + 2 + length)));
    at += 2 + length;
  }
  return out;
}

/** `message` with its two-byte length prefix. */
export function frame(message: Message): Uint8Array {
  const bytes = message.toStr();
  const out = new Uint8Array(bytes.length + 2);
  out[0] = bytes.length >> 8;
  out[1] = bytes.length & 0xff;
  out.set(bytes, 2);
  return out;
}

/** A response to `query`: same id and question, with `fields`. */
export function answerTo(query: Message, fields: MessageFields = {}): Message {
  return new Message({
    id: query.id,
    answer: true,
    recDes: query.recDes,
    recAv: true,
    queries: query.queries,
    ...fields,
  });
}

/** An A record. */
export function a(name: string, address: string, ttl = 60): RRHeader {
  return new RRHeader({ name, ttl, payload: new Record_A(address) });
}

/** An SOA record with `minimum` as its negative TTL. */
export function soa(name: string, ttl = 3600, minimum = 300): RRHeader {
  return new RRHeader({
    name,
    ttl,
    payload: new Record_SOA({
      mname: `ns.${name}`,
      rname: `hostmaster.${name}`,
      serial: 1,
      refresh: 3600,
      retry: 600,
      expire: 86400,
      minimum,
    }),
  });
}

/** Lets promise callbacks (the fake file reads) run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
