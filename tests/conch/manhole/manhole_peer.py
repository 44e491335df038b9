"""Drives `tw manhole` as a user would, printing OK or the transcript.

    manhole_peer.py telnet PORT USER PASSWORD
        A raw-socket telnet client: answers option negotiation (character
        mode: DO ECHO, DO SGA, WILL SGA, WILL NAWS with 80x24), logs in,
        types keystrokes (arrows, history, await), closes with Ctrl-D.
    manhole_peer.py badlogin PORT USER WRONG_PASSWORD
        The telnet login fails and asks again.
    manhole_peer.py ssh PORT USER PASSWORD
        paramiko with a pty (invoke_shell): types 1+1, reads 2, Ctrl-D,
        expects exit status 0.
"""
import socket
import sys
import time

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
ECHO, SGA, NAWS = 1, 3, 31


def fail(message, transcript):
    print("FAIL", message, repr(transcript))
    sys.exit(1)


class Telnet:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.text = b""
        self.options = []
        self.pending = b""

    def _feed(self, data):
        data = self.pending + data
        self.pending = b""
        i = 0
        while i < len(data):
            b = data[i]
            if b != IAC:
                self.text += bytes([b])
                i += 1
                continue
            if i + 1 >= len(data):
                self.pending = data[i:]
                return
            cmd = data[i + 1]
            if cmd == IAC:
                self.text += b"\xff"
                i += 2
            elif cmd in (DO, DONT, WILL, WONT):
                if i + 2 >= len(data):
                    self.pending = data[i:]
                    return
                self._negotiate(cmd, data[i + 2])
                i += 3
            elif cmd == SB:
                end = data.find(bytes([IAC, SE]), i)
                if end < 0:
                    self.pending = data[i:]
                    return
                i = end + 2
            else:
                i += 2

    def _negotiate(self, cmd, opt):
        self.options.append((cmd, opt))
        if cmd == DO:
            if opt in (SGA, NAWS):
                self.sock.sendall(bytes([IAC, WILL, opt]))
                if opt == NAWS:
                    self.sock.sendall(bytes([IAC, SB, NAWS, 0, 80, 0, 24, IAC, SE]))
            else:
                self.sock.sendall(bytes([IAC, WONT, opt]))
        elif cmd == WILL:
            if opt in (ECHO, SGA):
                self.sock.sendall(bytes([IAC, DO, opt]))
            else:
                self.sock.sendall(bytes([IAC, DONT, opt]))
        elif cmd == WONT:
            self.sock.sendall(bytes([IAC, DONT, opt]))
        elif cmd == DONT:
            self.sock.sendall(bytes([IAC, WONT, opt]))

    def expect(self, needle, after=0):
        deadline = time.time() + 20
        while needle not in self.text[after:]:
            if time.time() > deadline:
                fail("timeout waiting for %r" % needle, self.text)
            data = self.sock.recv(65536)
            if not data:
                fail("closed waiting for %r" % needle, self.text)
            self._feed(data)
        return self.text.index(needle, after) + len(needle)

    def type(self, keys):
        # One key at a time, as a person types: a CR goes out as CR NUL.
        for ch in keys.replace(b"\r", b"\r\0"):
            self.sock.sendall(bytes([ch]))


def telnet(port, user, password):
    t = Telnet(port)
    t.expect(b"Username: ")
    t.sock.sendall(user.encode() + b"\r\n")
    t.expect(b"Password: ")
    t.sock.sendall(password.encode() + b"\r\n")
    at = t.expect(b">>> ")
    if b"s3cret" in t.text:
        fail("the password was echoed", t.text)
    t.type(b"x = 6 * 7\r")
    at = t.expect(b"42\r\n>>> ", at)
    # Insert in the middle: 4*10, three lefts, then 2: 42*10.
    t.type(b"4*10\x1b[D\x1b[D\x1b[D2\r")
    at = t.expect(b"420\r\n>>> ", at)
    # History: up twice gives x = 6 * 7 back; edit it with backspace.
    t.type(b"\x1b[A\x1b[A\x7f8\r")
    at = t.expect(b"48\r\n>>> ", at)
    t.type(b"await new Promise((r) => setTimeout(() => r('later'), 50))\r")
    at = t.expect(b"'later'\r\n>>> ", at)
    t.type(b"service.running\r")
    at = t.expect(b">>> ", at)
    t.type(b"nope()\r")
    at = t.expect(b"Uncaught ReferenceError: nope is not defined", at)
    if (WILL, ECHO) not in t.options or (DO, NAWS) not in t.options:
        fail("no character mode negotiation", t.options)
    t.type(b"\x04")
    t.sock.settimeout(20)
    while True:
        data = t.sock.recv(65536)
        if not data:
            break
    print("OK")


def badlogin(port, user, password):
    t = Telnet(port)
    t.expect(b"Username: ")
    t.sock.sendall(user.encode() + b"\r\n")
    t.expect(b"Password: ")
    t.sock.sendall(password.encode() + b"\r\n")
    at = t.expect(b"Authentication failed")
    t.expect(b"Username: ", at)
    if b">>> " in t.text:
        fail("a wrong password reached the manhole", t.text)
    print("OK")


def ssh(port, user, password):
    import paramiko

    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    client.connect("127.0.0.1", port=port, username=user, password=password,
                   look_for_keys=False, allow_agent=False, timeout=20)
    channel = client.invoke_shell(term="xterm", width=100, height=30)
    channel.settimeout(20)
    text = b""

    def expect(needle):
        nonlocal text
        while needle not in text:
            data = channel.recv(65536)
            if not data:
                fail("closed waiting for %r" % needle, text)
            text += data

    expect(b">>> ")
    channel.send(b"1+1\r")
    expect(b"2\r\n>>> ")
    channel.send(b"reactor.seconds() > 0\r")
    expect(b"true\r\n>>> ")
    channel.resize_pty(width=120, height=40)
    channel.send(b"\x04")
    status = channel.recv_exit_status()
    client.close()
    if status != 0:
        fail("exit status %r" % status, text)
    print("OK")


if __name__ == "__main__":
    mode, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    {"telnet": telnet, "badlogin": badlogin, "ssh": ssh}[mode](port, user, password)
