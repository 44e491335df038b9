/**
 * H2ClientProtocol under arbitrary server bytes (fast-check): random frames
 * (any type, flags, stream and payload, plus well-formed response heads and
 * bodies), cut into random pieces. The protocol never throws, never logs an
 * unexpected error, keeps its buffers bounded, and once the connection goes
 * every request has settled: a response (whose body ends) or a clean error.
 */
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Failure } from "../../../src/internet/failure.ts";
import { ConnectionDone } from "../../../src/internet/error.ts";
import { flushLoggedErrors, trackLeaks } from "../../../src/testing/mod.ts";
import { ClientRequest, Headers, readBody, type Response } from "../../../src/web/mod.ts";
import { encodeFrame, headersFrames, settingsFrame } from "../../../src/web/http2/_frames.ts";
import { HpackEncoder } from "../../../src/web/http2/_hpack.ts";
import { ScriptedServer } from "./_client_peer.ts";

trackLeaks({ beforeEach, afterEach });

const streamId = fc.constantFrom(0, 1, 2, 3, 5, 7, 9, 0x7fffffff);
const rawFrame = fc.record({
  type: fc.integer({ min: 0, max: 11 }),
  flags: fc.integer({ min: 0, max: 255 }),
  id: streamId,
  payload: fc.uint8Array({ maxLength: 40 }),
});
const field = fc.tuple(
  fc.constantFrom(":status", "content-length", "x-a", "X-B", "te", "connection", ":path"),
  fc.constantFrom("200", "204", "100", "5", "0", "abc", "", "2000"),
);
const head = fc.record({
  id: fc.constantFrom(1, 3, 5),
  fields: fc.oneof(
    { arbitrary: fc.constant([[":status", "200"]] as [string, string][]), weight: 3 },
    { arbitrary: fc.array(field, { maxLength: 5 }), weight: 2 },
  ),
  end: fc.boolean(),
});
const data = fc.record({
  id: fc.constantFrom(1, 3, 5),
  bytes: fc.uint8Array({ maxLength: 30 }),
  end: fc.boolean(),
});
const item = fc.oneof(
  { arbitrary: rawFrame.map((f) => ({ kind: "raw" as const, ...f })), weight: 1 },
  { arbitrary: head.map((h) => ({ kind: "head" as const, ...h })), weight: 4 },
  { arbitrary: data.map((d) => ({ kind: "data" as const, ...d })), weight: 4 },
);

describe("H2ClientProtocol: any server bytes", () => {
  afterEach(() => flushLoggedErrors());

  it("responses or a clean connection error, never a crash or hang", async () => {
    let bodies = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof({ arbitrary: fc.constant(true), weight: 5 }, fc.constant(false)),
        fc.array(item, { maxLength: 25 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 8 }),
        async (settingsFirst, items, cuts) => {
          const s = new ScriptedServer({ maxHeaderListSize: 4096 });
          const settled: string[] = [];
          const ds = [0, 1, 2].map((i) =>
            s.client.request(
              new ClientRequest("GET", `/${i}`, new Headers({ Host: "h" }), null, true),
            ).addCallbacks((r: Response) =>
              readBody(r).addCallbacks(() => {
                settled.push("body");
                return null;
              }, () => {
                settled.push("body error");
                return null;
              }), () => {
              settled.push("error");
              return null;
            })
          );
          const encoder = new HpackEncoder();
          const parts: Uint8Array[] = settingsFirst ? [settingsFrame([])] : [];
          for (const it of items) {
            if (it.kind === "raw") parts.push(encodeFrame(it.type, it.flags, it.id, it.payload));
            else if (it.kind === "head") {
              parts.push(headersFrames(it.id, encoder.encode(it.fields), it.end, 16384));
            } else parts.push(encodeFrame(0, it.end ? 1 : 0, it.id, it.bytes));
          }
          const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
          let at = 0;
          for (const p of parts) {
            bytes.set(p, at);
            at += p.length;
          }
          let pos = 0;
          let c = 0;
          while (pos < bytes.length) {
            const n = cuts[c++ % cuts.length];
            s.send(bytes.subarray(pos, pos + n));
            pos += n;
          }
          s.client.connectionLost(new Failure(new ConnectionDone()));
          for (const d of ds) await d;
          assert.equal(settled.length, 3);
          assert.deepEqual(flushLoggedErrors(), []);
          bodies += settled.filter((x) => x === "body").length;
        },
      ),
      { numRuns: 300 },
    );
    assert.ok(bodies > 0, "some runs delivered whole responses");
  });
});
