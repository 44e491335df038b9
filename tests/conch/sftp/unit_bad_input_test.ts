// Bad input to FileTransferServer and FileTransferClient: oversized packets, requests
// before INIT, unknown and closed handles, truncated requests, bad UTF-8, a flood of
// requests from a client that reads no replies, too many handles; and fuzzing of the
// packet framing and of both parsers (fast-check).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { reactor } from "../../../mod.ts";
import { SSHReader, SSHWriter } from "../../../src/conch/mod.ts";
import {
  EOFError,
  FileTransferClient,
  FileTransferServer,
  FX_BAD_MESSAGE,
  FX_EOF,
  FX_FAILURE,
  FX_OK,
  FX_OP_UNSUPPORTED,
  FXP,
  type ISFTPServer,
  SFTPError,
  SFTPServerForUnixConchUser,
} from "../../../src/conch/sftp/mod.ts";
import { PacketBuffer } from "../../../src/conch/sftp/_wire.ts";
import { StringTransport } from "../../../src/testing/mod.ts";
import { tempDir } from "./_helpers.ts";

let dir = "";
let cleanup = () => {};
before(() => {
  [dir, cleanup] = tempDir();
  writeFileSync(join(dir, "file"), "0123456789");
});
after(() => cleanup());

/** Waits (polling, at most 10 s) until `done()` holds: real file operations take their time. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(done(), "timed out waiting");
}

const names = (transport: StringTransport) =>
  packets(transport).filter(([t]) => t === FXP.NAME).length;

function frame(type: number, fill: (w: SSHWriter) => void = () => {}): Uint8Array {
  const body = new SSHWriter().byte(type);
  fill(body);
  const bytes = body.bytes();
  return new SSHWriter().uint32(bytes.length).raw(bytes).bytes();
}

const INIT = frame(FXP.INIT, (w) => w.uint32(3));

/** The packets a transport got: [type, reader after the type byte]. */
function packets(transport: StringTransport): [number, SSHReader][] {
  const buffer = new PacketBuffer(1 << 30);
  buffer.push(transport.value());
  const out: [number, SSHReader][] = [];
  for (let body = buffer.next(); body !== null; body = buffer.next()) {
    const reader = new SSHReader(body);
    out.push([reader.byte(), reader]);
  }
  return out;
}

/** The STATUS codes sent, by request id. */
function statuses(transport: StringTransport): Map<number, number> {
  const result = new Map<number, number>();
  for (const [type, reader] of packets(transport)) {
    if (type === FXP.STATUS) {
      const id = reader.uint32();
      result.set(id, reader.uint32());
    }
  }
  return result;
}

function serverOn(
  files: ISFTPServer = new SFTPServerForUnixConchUser({ home: dir, runtime: reactor.runtime }),
  options = {},
): [FileTransferServer, StringTransport] {
  const server = new FileTransferServer(files, options);
  const transport = new StringTransport();
  server.makeConnection(transport);
  return [server, transport];
}

describe("FileTransferServer refuses bad input", () => {
  it("closes on a request before INIT, a second INIT, or an oversized packet", () => {
    let [server, transport] = serverOn();
    server.dataReceived(frame(FXP.OPEN, (w) => w.uint32(1).string("file").uint32(1).uint32(0)));
    assert.equal(transport.disconnecting, true);
    assert.equal(transport.value().length, 0);

    [server, transport] = serverOn();
    server.dataReceived(INIT);
    server.dataReceived(INIT);
    assert.equal(transport.disconnecting, true);

    [server, transport] = serverOn();
    server.dataReceived(INIT);
    server.dataReceived(new SSHWriter().uint32(300 * 1024).byte(FXP.WRITE).bytes());
    assert.equal(transport.disconnecting, true);
    // Nothing more is parsed after the close.
    server.dataReceived(frame(FXP.REALPATH, (w) => w.uint32(9).string(".")));
    assert.equal(packets(transport).length, 1); // only VERSION

    [server, transport] = serverOn();
    server.dataReceived(INIT);
    server.dataReceived(new Uint8Array([0, 0, 0, 0]));
    assert.equal(transport.disconnecting, true);
  });

  it("answers unknown or closed handles, truncated requests, bad UTF-8 and unknown types", async () => {
    const [server, transport] = serverOn();
    server.dataReceived(INIT);
    server.dataReceived(frame(FXP.READ, (w) => w.uint32(1).string("77").uint64(0n).uint32(10)));
    server.dataReceived(frame(FXP.OPEN, (w) => w.uint32(2).string("file"))); // truncated
    server.dataReceived(frame(FXP.STAT, (w) => w.uint32(3).string(new Uint8Array([0xff, 0xfe]))));
    server.dataReceived(frame(99, (w) => w.uint32(4)));
    server.dataReceived(frame(FXP.OPEN, (w) => w.uint32(5).string("file").uint32(1).uint32(0)));
    await until(() => packets(transport).some(([t]) => t === FXP.HANDLE));
    const handle = packets(transport).find(([t]) => t === FXP.HANDLE)![1];
    assert.equal(handle.uint32(), 5);
    const name = handle.string().slice();
    server.dataReceived(frame(FXP.CLOSE, (w) => w.uint32(6).string(name)));
    server.dataReceived(frame(FXP.READ, (w) => w.uint32(7).string(name).uint64(0n).uint32(1)));
    server.dataReceived(frame(FXP.CLOSE, (w) => w.uint32(8).string(name)));
    await until(() => [6, 7, 8].every((id) => statuses(transport).has(id)));
    const codes = statuses(transport);
    assert.equal(codes.get(1), FX_FAILURE);
    assert.equal(codes.get(2), FX_BAD_MESSAGE);
    assert.equal(codes.get(3), FX_BAD_MESSAGE);
    assert.equal(codes.get(4), FX_OP_UNSUPPORTED);
    assert.equal(codes.get(6), FX_OK);
    assert.equal(codes.get(7), FX_FAILURE);
    assert.equal(codes.get(8), FX_FAILURE);
    assert.equal(transport.disconnecting, false);
    assert.equal(server.openHandles, 0);
  });

  it("clamps reads to 256 KiB and refuses longer writes", async () => {
    const [server, transport] = serverOn();
    server.dataReceived(INIT);
    server.dataReceived(frame(FXP.OPEN, (w) => w.uint32(1).string("big").uint32(2 | 8).uint32(0)));
    await until(() => packets(transport).some(([t]) => t === FXP.HANDLE));
    const handle = packets(transport).find(([t]) => t === FXP.HANDLE)![1];
    handle.uint32();
    const name = handle.string().slice();
    const long = new Uint8Array(256 * 1024 + 1);
    server.dataReceived(frame(FXP.WRITE, (w) => w.uint32(2).string(name).uint64(0n).string(long)));
    server.dataReceived(
      frame(FXP.WRITE, (w) => w.uint32(3).string(name).uint64(0n).string(long.subarray(1))),
    );
    await until(() => statuses(transport).has(2) && statuses(transport).has(3));
    assert.equal(statuses(transport).get(2), FX_FAILURE);
    assert.equal(statuses(transport).get(3), FX_OK);
    server.dataReceived(frame(FXP.OPEN, (w) => w.uint32(4).string("big").uint32(1).uint32(0)));
    await until(() => packets(transport).filter(([t]) => t === FXP.HANDLE).length === 2);
    const reader = packets(transport).filter(([t]) => t === FXP.HANDLE)[1][1];
    reader.uint32();
    const readName = reader.string().slice();
    transport.clear();
    server.dataReceived(
      frame(FXP.READ, (w) => w.uint32(5).string(readName).uint64(0n).uint32(0xffffffff)),
    );
    server.dataReceived(
      frame(FXP.READ, (w) => w.uint32(6).string(readName).uint64(1n << 40n).uint32(10)),
    );
    await until(() =>
      statuses(transport).has(6) && packets(transport).some(([t]) => t === FXP.DATA)
    );
    const data = packets(transport).find(([t]) => t === FXP.DATA)![1];
    assert.equal(data.uint32(), 5);
    assert.equal(data.string().length, 256 * 1024);
    assert.equal(statuses(transport).get(6), FX_EOF);
    server.connectionLost(undefined as never);
  });

  it("stops reading past the requests-in-flight limit and resumes as they finish", async () => {
    const waiting: (() => void)[] = [];
    const files = {
      gotVersion: () => ({}),
      realPath: (path: string) =>
        new Promise<string>((resolve) => waiting.push(() => resolve(path))),
    } as unknown as ISFTPServer;
    const [server, transport] = serverOn(files);
    server.dataReceived(INIT);
    const flood = [];
    for (let id = 0; id < 1000; id++) {
      flood.push(frame(FXP.REALPATH, (w) => w.uint32(id).string("x")));
    }
    const stream = new SSHWriter();
    for (const request of flood) stream.raw(request);
    server.dataReceived(stream.bytes());
    await until(() => waiting.length === 64);
    assert.equal(waiting.length, 64);
    assert.equal(transport.producerState, "paused");
    // Answer them all as they come: every request is served in the end.
    while (waiting.length > 0) {
      waiting.splice(0).forEach((resolve) => resolve());
      await until(() => waiting.length > 0 || names(transport) === 1000);
    }
    assert.equal(names(transport), 1000);
    assert.equal(transport.producerState, "producing");
  });

  it("runs overlapping requests on one handle in order, their replies in order", async () => {
    const calls: string[] = [];
    const pending: (() => void)[] = [];
    const file = {
      writeChunk: (offset: number) => {
        calls.push(`write ${offset}`);
        return new Promise<void>((resolve) => pending.push(resolve));
      },
      close: () => {
        calls.push("close");
      },
    };
    const files = {
      gotVersion: () => ({}),
      openFile: () => file,
      realPath: (path: string) => path,
    } as unknown as ISFTPServer;
    const [server, transport] = serverOn(files);
    server.dataReceived(INIT);
    server.dataReceived(frame(FXP.OPEN, (w) => w.uint32(0).string("f").uint32(2).uint32(0)));
    await until(() => packets(transport).some(([t]) => t === FXP.HANDLE));
    const name = packets(transport).find(([t]) => t === FXP.HANDLE)![1];
    name.uint32();
    const handle = name.string().slice();
    for (let id = 1; id <= 3; id++) {
      server.dataReceived(
        // 15 bytes every 10: each write overlaps the next, so they run one at a time.
        frame(
          FXP.WRITE,
          (w) => w.uint32(id).string(handle).uint64(BigInt(id * 10)).string("x".repeat(15)),
        ),
      );
    }
    server.dataReceived(frame(FXP.CLOSE, (w) => w.uint32(4).string(handle)));
    // A request on no handle is not held up.
    server.dataReceived(frame(FXP.REALPATH, (w) => w.uint32(5).string("/p")));
    await until(() => packets(transport).some(([t]) => t === FXP.NAME));
    assert.deepEqual(calls, ["write 10"]);
    while (pending.length > 0) {
      pending.shift()!();
      await until(() => pending.length > 0 || calls.includes("close"));
    }
    await until(() => statuses(transport).has(4));
    assert.deepEqual(calls, ["write 10", "write 20", "write 30", "close"]);
    const order = packets(transport).filter(([t]) => t === FXP.STATUS).map(([, r]) => r.uint32());
    assert.deepEqual(order, [1, 2, 3, 4]);
  });

  it("refuses handles past the limit", async () => {
    const [server, transport] = serverOn(undefined, { maxOpenHandles: 3 });
    server.dataReceived(INIT);
    for (let id = 0; id < 5; id++) {
      server.dataReceived(frame(FXP.OPEN, (w) => w.uint32(id).string("file").uint32(1).uint32(0)));
    }
    await until(() => statuses(transport).size === 2 && server.openHandles === 3);
    assert.equal(packets(transport).filter(([t]) => t === FXP.HANDLE).length, 3);
    assert.equal(statuses(transport).get(3), FX_FAILURE);
    assert.equal(statuses(transport).get(4), FX_FAILURE);
    assert.equal(server.openHandles, 3);
    server.connectionLost(undefined as never);
    assert.equal(server.openHandles, 0);
  });
});

describe("FileTransferClient refuses bad replies", () => {
  it("fails pending requests on a bad reply or a lost connection", async () => {
    const client = new FileTransferClient();
    const transport = new StringTransport();
    client.makeConnection(transport);
    const pending = client.realPath(".");
    client.dataReceived(frame(FXP.VERSION, (w) => w.uint32(3)));
    client.dataReceived(frame(FXP.STATUS, (w) => w.uint32(12345).uint32(0)));
    await assert.rejects(pending, SFTPError);
    assert.equal(transport.disconnecting, true);
    await assert.rejects(client.realPath("."), SFTPError);

    const other = new FileTransferClient();
    other.makeConnection(new StringTransport());
    const read = other.realPath("x");
    other.connectionLost(undefined as never);
    await assert.rejects(read, (e: unknown) => e instanceof SFTPError && e.code === 7);
  });

  it("maps an EOF status to EOFError", async () => {
    const client = new FileTransferClient();
    client.makeConnection(new StringTransport());
    const file = await (async () => {
      const opening = client.openFile("f", 1);
      client.dataReceived(frame(FXP.HANDLE, (w) => w.uint32(0).string("h")));
      return await opening;
    })();
    const read = file.readChunk(0, 10);
    client.dataReceived(frame(FXP.STATUS, (w) => w.uint32(1).uint32(FX_EOF).string("").string("")));
    await assert.rejects(read, EOFError);
  });
});

describe("SFTP parsers under fuzzing", () => {
  it("PacketBuffer gives the same packets however the stream is split", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.nat(400), { maxLength: 30 }),
        (bodies, cuts) => {
          const stream = new SSHWriter();
          for (const body of bodies) stream.uint32(body.length).raw(body);
          const bytes = stream.bytes();
          const buffer = new PacketBuffer(1000);
          const got: Uint8Array[] = [];
          let at = 0;
          for (const cut of [...cuts, bytes.length]) {
            const end = Math.min(bytes.length, at + cut);
            buffer.push(bytes.subarray(at, end));
            at = end;
            for (let p = buffer.next(); p !== null; p = buffer.next()) got.push(p.slice());
          }
          assert.deepEqual(got, bodies);
          assert.equal(buffer.size, 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("the server never throws and answers or closes on random packets", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.constantFrom(...Object.values(FXP), 0, 255),
            fc.uint8Array({ maxLength: 64 }),
          ),
          { maxLength: 20 },
        ),
        async (requests) => {
          const [server, transport] = serverOn(
            new SFTPServerForUnixConchUser({ root: dir, runtime: reactor.runtime }),
          );
          server.dataReceived(INIT);
          for (const [type, body] of requests) {
            server.dataReceived(frame(type, (w) => w.raw(body)));
          }
          await until(() => transport.disconnecting || packets(transport).length > requests.length);
          for (const [type] of packets(transport)) {
            assert.ok(
              [
                FXP.VERSION,
                FXP.STATUS,
                FXP.HANDLE,
                FXP.DATA,
                FXP.NAME,
                FXP.ATTRS,
                FXP.EXTENDED_REPLY,
              ].includes(type as never),
            );
          }
          server.connectionLost(undefined as never);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("the client never throws on random replies", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), fc.nat(2000), (bytes, cut) => {
        const client = new FileTransferClient();
        client.makeConnection(new StringTransport());
        const pending = client.realPath(".").catch((e) => e);
        client.dataReceived(bytes.subarray(0, cut));
        client.dataReceived(bytes.subarray(cut));
        client.connectionLost(undefined as never);
        return pending.then((result) => {
          assert.ok(typeof result === "string" || result instanceof Error);
        });
      }),
      { numRuns: 300 },
    );
  });
});
