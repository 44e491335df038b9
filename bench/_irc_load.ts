// The load client of irc_bench.ts (run with node): N receivers and one sender log in with
// PASS/NICK/USER and join #bench; then the sender sends PRIVMSGs, keeping at most WINDOW
// ahead of the slowest receiver, for SECONDS; prints one JSON line:
// {"deliveries": total PRIVMSG lines received, "seconds": elapsed, "sent": n, "verified": b}.
// `verified` checks every counted line is the relayed PRIVMSG: each receiver's first line
// after the join has the sender's text, and each receiver's bytes are its lines times its
// length (so no line was counted twice, cut or different).
// Usage: node bench/_irc_load.ts PORT [RECEIVERS=50] [SECONDS=5] [WINDOW=50]
import { connect, type Socket } from "node:net";
import process from "node:process";

const [portText, receiversText = "50", secondsText = "5", windowText = "50"] = process.argv.slice(
  2,
);
const PORT = Number(portText);
const RECEIVERS = Number(receiversText);
const SECONDS = Number(secondsText);
const WINDOW = Number(windowText);

interface Conn {
  sock: Socket;
  lines: number;
  /** Bytes of the counted lines and of the unfinished one after them. */
  bytes: number;
  tail: number;
  /** The first whole line after the join, once counting started. */
  first: string | null;
  joined: Promise<void>;
}

function open(nick: string): Conn {
  const sock = connect(PORT, "127.0.0.1");
  sock.setNoDelay(true);
  const conn: Conn = { sock, lines: 0, bytes: 0, tail: 0, first: null, joined: Promise.resolve() };
  let text = "";
  let joined = false;
  conn.joined = new Promise((resolve, reject) => {
    sock.on("error", reject);
    sock.on("data", (d: Buffer) => {
      if (joined) {
        let last = -1;
        for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) {
          if (conn.first === null && counting) conn.first = d.toString("latin1", 0, i + 1);
          conn.lines++;
          last = i;
        }
        if (last < 0) conn.tail += d.length;
        else {
          conn.bytes += conn.tail + last + 1;
          conn.tail = d.length - last - 1;
        }
        return;
      }
      text += d.toString("latin1");
      if (/ 001 /.test(text) && !text.includes("JOINSENT")) {
        text += "JOINSENT";
        sock.write("JOIN #bench\r\n");
      }
      if (/ 366 /.test(text)) {
        joined = true;
        resolve();
      }
    });
  });
  sock.write(`PASS pw\r\nNICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\n`);
  return conn;
}

let counting = false;
const receivers: Conn[] = [];
for (let i = 0; i < RECEIVERS; i++) receivers.push(open(`u${i}`));
await Promise.all(receivers.map((r) => r.joined));
const sender = open(`u${RECEIVERS}`);
await sender.joined;
await new Promise((r) => setTimeout(r, 300));
for (const r of receivers) {
  r.lines = 0;
  r.bytes = 0;
  r.tail = 0;
}
counting = true;

const payload = "PRIVMSG #bench :" + "x".repeat(60) + "\r\n";
let sent = 0;
const start = performance.now();
const end = start + SECONDS * 1000;
await new Promise<void>((resolve) => {
  const pump = () => {
    const now = performance.now();
    if (now >= end) return resolve();
    let slowest = Infinity;
    for (const r of receivers) slowest = Math.min(slowest, r.lines);
    let batch = "";
    while (sent - slowest < WINDOW) {
      batch += payload;
      sent++;
    }
    if (batch) sender.sock.write(batch);
    setImmediate(pump);
  };
  pump();
});
const seconds = (performance.now() - start) / 1000;
let deliveries = 0;
let verified = true;
for (const r of receivers) {
  deliveries += r.lines;
  const line = r.first ?? "";
  if (r.lines === 0) continue;
  if (!line.endsWith(" PRIVMSG #bench :" + "x".repeat(60) + "\r\n")) verified = false;
  if (r.bytes !== r.lines * line.length) verified = false;
}
process.stdout.write(JSON.stringify({ deliveries, seconds, sent, verified }) + "\n");
for (const c of [...receivers, sender]) c.sock.destroy();
process.exit(0);
