# Idle IMAP sessions for imap_bench.ts: opens N plain connections, each LOGIN, SELECT
# INBOX and IDLE; prints "IDLING" once all are idling, then waits for a line on stdin
# and ends them (DONE, LOGOUT). usage: _imap_idle.py PORT USER N
import socket, sys

port, user, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
socks = []

def until(s, tag):
    buf = b""
    while not (buf.startswith(tag) or (b"\r\n" + tag) in buf):
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("server closed")
        buf += chunk
    return buf

for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    until(s, b"* OK")
    s.sendall(b"a LOGIN " + user.encode() + b" secret\r\nb SELECT INBOX\r\nc IDLE\r\n")
    until(s, b"+ idling")
    socks.append(s)
print("IDLING", flush=True)
sys.stdin.readline()
for s in socks:
    s.sendall(b"DONE\r\nd LOGOUT\r\n")
for s in socks:
    s.close()
