# Twisted's conch client (twisted.conch.endpoints.SSHCommandClientEndpoint, python3-twisted)
# against `tw conch`: a command's output and exit status, then 1 MiB through `cat` with EOF.
# Usage: /usr/bin/python3 twisted_client_peer.py PORT KEYFILE USER KNOWN_HOSTS
import os
import sys
import warnings

warnings.filterwarnings("ignore")

from twisted.conch.client.knownhosts import KnownHostsFile  # noqa: E402
from twisted.conch.endpoints import SSHCommandClientEndpoint  # noqa: E402
from twisted.conch.ssh.keys import Key  # noqa: E402
from twisted.internet import defer, protocol, task  # noqa: E402
from twisted.python.filepath import FilePath  # noqa: E402

port, keyfile, user, known = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


class AcceptUI:
    def prompt(self, text):
        return defer.succeed(True)

    def warn(self, text):
        pass


class Collect(protocol.Protocol):
    def connectionMade(self):
        self.data = b""
        self.done = defer.Deferred()

    def dataReceived(self, data):
        self.data += data

    def connectionLost(self, reason):
        self.done.callback([reason])  # a Failure given to callback would errback


async def run(reactor, command, payload=None):
    endpoint = SSHCommandClientEndpoint.newConnection(
        reactor, command, user.encode(), b"127.0.0.1", port,
        keys=[Key.fromFile(keyfile)], knownHosts=KnownHostsFile(FilePath(known)), ui=AcceptUI(),
    )
    proto = await endpoint.connect(protocol.Factory.forProtocol(Collect))
    if payload is not None:
        for i in range(0, len(payload), 32768):
            proto.transport.write(payload[i:i + 32768])
        proto.transport.conn.sendEOF(proto.transport)
    [reason] = await proto.done
    return proto.data, reason


async def main(reactor):
    data, reason = await run(reactor, b"echo twisted; exit 3")
    code = getattr(reason.value, "exitCode", 0)
    print("exec %r %s" % (data.decode().strip(), code), flush=True)
    payload = os.urandom(1 << 20)
    data, reason = await run(reactor, b"cat", payload)
    print("cat %s" % ("ok" if data == payload else "bad %d" % len(data)), flush=True)


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
