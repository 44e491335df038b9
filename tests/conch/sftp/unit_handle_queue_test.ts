// Requests on one SFTP handle: READs and WRITEs of distinct bytes run at once, anything
// else (and overlapping ones) waits; replies keep the requests' order. A property test
// checks any mix, finished in any order, against running the requests one at a time;
// FileTransferServer is checked with pipelined READs, WRITEs and appending writes.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { SSHReader, SSHWriter } from "../../../src/conch/mod.ts";
import {
  FileTransferServer,
  FXF_APPEND,
  FXF_WRITE,
  FXP,
  type ISFTPServer,
} from "../../../src/conch/sftp/mod.ts";
import { type Access, HandleQueues } from "../../../src/conch/sftp/_handle_queue.ts";
import { PacketBuffer } from "../../../src/conch/sftp/_wire.ts";
import { StringTransport } from "../../../src/testing/mod.ts";

/** Lets promise callbacks (and a zero timer) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

interface Held {
  label: string;
  finish(): void;
}

/** Work that starts when called and finishes when the test says. */
function held(running: Held[], label: string, onStart = () => {}, onFinish = () => {}) {
  return () => {
    onStart();
    return new Promise<string>((resolve) =>
      running.push({
        label,
        finish: () => {
          onFinish();
          resolve(label);
        },
      })
    );
  };
}

const read = (offset: number, length: number): Access => ({ offset, length, write: false });
const write = (offset: number, length: number): Access => ({ offset, length, write: true });

describe("HandleQueues", () => {
  it("starts READs at once and answers them in order, however they finish", async () => {
    const queues = new HandleQueues();
    const running: Held[] = [];
    const answered: string[] = [];
    const done = [0, 1, 2].map((i) =>
      queues.run("h", read(i * 10, 10), held(running, `r${i}`), (r) => answered.push(r))
    );
    assert.deepEqual(running.map((h) => h.label), ["r0", "r1", "r2"]);
    running[2].finish();
    running[1].finish();
    await settle();
    assert.deepEqual(answered, [], "r1 and r2 wait for r0's answer");
    running[0].finish();
    await Promise.all(done);
    assert.deepEqual(answered, ["r0", "r1", "r2"]);
    assert.equal(queues.size, 0, "an idle handle keeps nothing");
  });

  it("runs a WRITE beside others of distinct bytes, and holds one that overlaps", async () => {
    const queues = new HandleQueues();
    const running: Held[] = [];
    const answered: string[] = [];
    const answer = (r: string) => answered.push(r);
    const all = [
      queues.run("h", write(0, 10), held(running, "w0"), answer),
      queues.run("h", write(10, 10), held(running, "w1"), answer),
      queues.run("h", read(5, 2), held(running, "r-overlap"), answer),
      queues.run("h", read(30, 5), held(running, "r-apart"), answer),
      queues.run("h", write(32, 1), held(running, "w-on-read"), answer),
    ];
    assert.deepEqual(running.map((h) => h.label), ["w0", "w1", "r-apart"]);
    running[0].finish();
    running[1].finish();
    await settle();
    // r-overlap waited for the writes before it, not for r-apart, which came after.
    assert.deepEqual(running.map((h) => h.label), ["w0", "w1", "r-apart", "r-overlap"]);
    running[2].finish();
    await settle();
    assert.equal(running.length, 4, "w-on-read waits for every request before it");
    running[3].finish();
    await settle();
    assert.equal(running[4]?.label, "w-on-read");
    running[4].finish();
    await Promise.all(all);
    assert.deepEqual(answered, ["w0", "w1", "r-overlap", "r-apart", "w-on-read"]);
  });

  it("runs anything else alone: after every earlier request, before every later one", async () => {
    const queues = new HandleQueues();
    const running: Held[] = [];
    const answered: string[] = [];
    const answer = (r: string) => answered.push(r);
    const all = [
      queues.run("h", read(0, 10), held(running, "r0"), answer),
      queues.run("h", null, held(running, "fstat"), answer),
      queues.run("h", read(100, 10), held(running, "r1"), answer),
      queues.run("other", read(0, 1), held(running, "other"), answer),
    ];
    assert.deepEqual(running.map((h) => h.label), ["r0", "other"], "other handles run at once");
    running[0].finish();
    await settle();
    assert.deepEqual(running.map((h) => h.label), ["r0", "other", "fstat"]);
    running[2].finish();
    await settle();
    assert.deepEqual(running.map((h) => h.label), ["r0", "other", "fstat", "r1"]);
    running[1].finish();
    running[3].finish();
    await Promise.all(all);
    assert.deepEqual(answered, ["r0", "fstat", "other", "r1"]);
  });

  it("gives the results of running requests one at a time, in any finishing order (property)", async () => {
    const op = fc.record({
      kind: fc.constantFrom("read", "write", "write", "other"),
      offset: fc.integer({ min: 0, max: 40 }),
      length: fc.integer({ min: 1, max: 16 }),
      // When the effect happens: as the work starts, or as it finishes.
      early: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 24 }),
        fc.array(fc.nat(), { minLength: 64, maxLength: 64 }),
        async (ops, picks) => {
          // The expected results: one at a time, in order.
          const expectedFile = new Uint8Array(64);
          const expected = ops.map((o, i) => {
            if (o.kind === "read") return [...expectedFile.subarray(o.offset, o.offset + o.length)];
            if (o.kind === "write") expectedFile.fill(i + 1, o.offset, o.offset + o.length);
            else expectedFile.reverse();
            return [];
          });
          const file = new Uint8Array(64);
          const queues = new HandleQueues();
          const running: (() => void)[] = [];
          const answers: [number, number[]][] = [];
          const all = ops.map((o, i) => {
            let result: number[] = [];
            const effect = () => {
              if (o.kind === "read") result = [...file.subarray(o.offset, o.offset + o.length)];
              else if (o.kind === "write") file.fill(i + 1, o.offset, o.offset + o.length);
              else file.reverse();
            };
            const access = o.kind === "other"
              ? null
              : { offset: o.offset, length: o.length, write: o.kind === "write" };
            return queues.run("h", access, () => {
              if (o.early) effect();
              return new Promise<[number, number[]]>((resolve) =>
                running.push(() => {
                  if (!o.early) effect();
                  resolve([i, result]);
                })
              );
            }, (answer) => answers.push(answer));
          });
          for (let step = 0; answers.length < ops.length; step++) {
            await settle();
            if (running.length > 0) {
              running.splice(picks[step % picks.length] % running.length, 1)[0]();
            }
            assert.ok(step < 10 * ops.length, "requests stuck");
          }
          await Promise.all(all);
          assert.deepEqual(answers.map(([i]) => i), ops.map((_, i) => i), "answered in order");
          assert.deepEqual(answers.map(([, r]) => r), expected);
          assert.deepEqual([...file], [...expectedFile]);
          assert.equal(queues.size, 0);
        },
      ),
      { numRuns: 60 },
    );
  });
});

// ---- through FileTransferServer ----

function frame(type: number, fill: (w: SSHWriter) => void): Uint8Array {
  const body = new SSHWriter().byte(type);
  fill(body);
  const bytes = body.bytes();
  return new SSHWriter().uint32(bytes.length).raw(bytes).bytes();
}

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

/** A server over one in-memory file whose reads and writes finish when the test says. */
async function serverWithFile(flags: number) {
  const running: Held[] = [];
  const calls: string[] = [];
  const file = {
    readChunk: (offset: number, length: number) =>
      held(running, `read ${offset}`, () => calls.push(`read ${offset}`))().then(() =>
        new Uint8Array(length).fill(offset / 1024)
      ),
    writeChunk: (offset: number) =>
      held(running, `write ${offset}`, () => calls.push(`write ${offset}`))().then(() => {}),
    close: () => {},
  };
  const files = { gotVersion: () => ({}), openFile: () => file } as unknown as ISFTPServer;
  const server = new FileTransferServer(files);
  const transport = new StringTransport();
  server.makeConnection(transport);
  server.dataReceived(frame(FXP.INIT, (w) => w.uint32(3)));
  server.dataReceived(frame(FXP.OPEN, (w) => w.uint32(0).string("f").uint32(flags).uint32(0)));
  await settle();
  const [, reply] = packets(transport).find(([t]) => t === FXP.HANDLE)!;
  reply.uint32();
  const handle = reply.string().slice();
  const replies = () =>
    packets(transport).filter(([t]) => t === FXP.DATA || t === FXP.STATUS).map(([t, r]) =>
      `${t === FXP.DATA ? "data" : "status"} ${r.uint32()}`
    );
  return { server, handle, running, calls, replies };
}

describe("FileTransferServer with pipelined requests on one handle", () => {
  it("reads for several READs at once and answers them in order", async () => {
    const { server, handle, running, calls, replies } = await serverWithFile(1);
    for (let id = 1; id <= 4; id++) {
      server.dataReceived(
        frame(FXP.READ, (w) => w.uint32(id).string(handle).uint64(BigInt(id * 1024)).uint32(1024)),
      );
    }
    assert.deepEqual(calls, ["read 1024", "read 2048", "read 3072", "read 4096"]);
    running[3].finish();
    running[1].finish();
    await settle();
    assert.deepEqual(replies(), []);
    running[0].finish();
    await settle();
    assert.deepEqual(replies(), ["data 1", "data 2"]);
    running[2].finish();
    await settle();
    assert.deepEqual(replies(), ["data 1", "data 2", "data 3", "data 4"]);
  });

  it("writes distinct bytes at once, answered in order", async () => {
    const { server, handle, running, calls, replies } = await serverWithFile(FXF_WRITE);
    for (let id = 1; id <= 3; id++) {
      server.dataReceived(
        frame(
          FXP.WRITE,
          (w) => w.uint32(id).string(handle).uint64(BigInt(id * 1024)).string(new Uint8Array(1024)),
        ),
      );
    }
    assert.deepEqual(calls, ["write 1024", "write 2048", "write 3072"]);
    running[2].finish();
    running[1].finish();
    running[0].finish();
    await settle();
    assert.deepEqual(replies(), ["status 1", "status 2", "status 3"]);
  });

  it("writes one at a time to a file opened for appending", async () => {
    const { server, handle, running, calls, replies } = await serverWithFile(
      FXF_WRITE | FXF_APPEND,
    );
    for (let id = 1; id <= 3; id++) {
      server.dataReceived(
        frame(
          FXP.WRITE,
          (w) => w.uint32(id).string(handle).uint64(BigInt(id * 1024)).string(new Uint8Array(8)),
        ),
      );
    }
    for (let n = 1; n <= 3; n++) {
      assert.equal(calls.length, n, "the next write waits for the one before");
      running[n - 1].finish();
      await settle();
    }
    assert.deepEqual(replies(), ["status 1", "status 2", "status 3"]);
  });
});
