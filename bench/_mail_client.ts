// The client side of mail_bench.ts: our `sendmail` sending N messages of 1 KiB to
// 127.0.0.1:PORT (no TLS), C at a time, on the runtime running it. Prints JSON
// {"messages", "seconds", "rate"}.
// Usage: <runtime> bench/_mail_client.ts PORT [N] [C]
import process from "node:process";
import { sendmail } from "../src/mail/mod.ts";

const [port, n = "500", c = "4"] = process.argv.slice(2);
const total = Number(n);
const body = "Subject: bench\n\n" + ("x".repeat(63) + "\n").repeat(16);
let next = 0;
let ok = 0;
const started = performance.now();
async function worker(): Promise<void> {
  while (next < total) {
    next++;
    const [count] = await sendmail("127.0.0.1", "sender@example.org", "rcpt@example.net", body, {
      port: Number(port),
      requireTransportSecurity: false,
    });
    ok += count;
  }
}
await Promise.all(Array.from({ length: Number(c) }, worker));
const seconds = (performance.now() - started) / 1000;
console.log(JSON.stringify({ messages: ok, seconds, rate: ok / seconds }));
process.exit(0);
