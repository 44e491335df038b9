// The load client of irc_bench.ts (run with node): N receivers and one sender log in with
// PASS/NICK/USER and join #bench; then the sender sends PRIVMSGs, keeping at most WINDOW
// ahead of the slowest receiver, for SECONDS; prints one JSON line:
// {"deliveries": total PRIVMSG lines received, "seconds": elapsed, "sent": n}.
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
  joined: Promise<void>;
}

function open(nick: string): Conn {
  const sock = connect(PORT, "127.0.0.1");
  sock.setNoDelay(true);
  const conn: Conn = { sock, lines: 0, joined: Promise.resolve() };
  let text = "";
  let joined = false;
  conn.joined = new Promise((resolve, reject) => {
    sock.on("error", reject);
    sock.on("data", (d: Buffer) => {
      if (joined) {
        for (let i = d.indexOf(10); i >= 0; i = d.indexOf(10, i + 1)) conn.lines++;
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

const receivers: Conn[] = [];
for (let i = 0; i < RECEIVERS; i++) receivers.push(open(`u${i}`));
await Promise.all(receivers.map((r) => r.joined));
const sender = open(`u${RECEIVERS}`);
await sender.joined;
await new Promise((r) => setTimeout(r, 300));
for (const r of receivers) r.lines = 0;

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
for (const r of receivers) deliveries += r.lines;
process.stdout.write(JSON.stringify({ deliveries, seconds, sent }) + "\n");
for (const c of [...receivers, sender]) c.sock.destroy();
process.exit(0);
