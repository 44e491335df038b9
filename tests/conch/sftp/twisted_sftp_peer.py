# Twisted's FileTransferClient (twisted.conch.ssh.filetransfer, python3-twisted) against
# FileTransferServer: logs in with a password, opens the "sftp" subsystem, then writes,
# reads, lists, links and renames. Prints one JSON report.
# Usage: /usr/bin/python3 twisted_sftp_peer.py PORT USER PASSWORD
import json
import sys
import warnings

warnings.filterwarnings("ignore")

from twisted.conch.ssh import channel, common, connection, filetransfer, transport, userauth  # noqa: E402,E501
from twisted.internet import defer, protocol, task  # noqa: E402

port, user, password = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3].encode()
ready = defer.Deferred()


def text(value):
    return value.decode() if isinstance(value, bytes) else value


class Transport(transport.SSHClientTransport):
    def verifyHostKey(self, hostKey, fingerprint):
        return defer.succeed(True)

    def connectionSecure(self):
        self.requestService(Auth(user, Connection()))


class Auth(userauth.SSHUserAuthClient):
    def getPassword(self, prompt=None):
        return defer.succeed(password)

    def getPublicKey(self):
        return None


class Connection(connection.SSHConnection):
    def serviceStarted(self):
        self.openChannel(SubsystemChannel(conn=self))


class SubsystemChannel(channel.SSHChannel):
    name = b"session"

    @defer.inlineCallbacks
    def channelOpen(self, data):
        yield self.conn.sendRequest(self, b"subsystem", common.NS(b"sftp"), wantReply=True)
        self.client = filetransfer.FileTransferClient()
        self.client.makeConnection(self)
        self.dataReceived = self.client.dataReceived
        ready.callback(self.client)


async def main(reactor):
    factory = protocol.ClientFactory.forProtocol(Transport)
    reactor.connectTCP("127.0.0.1", port, factory)
    client = await ready
    report = {}
    flags = filetransfer.FXF_WRITE | filetransfer.FXF_CREAT | filetransfer.FXF_TRUNC
    f = await client.openFile(b"tw.txt", flags, {})
    await f.writeChunk(0, b"from twisted")
    await f.close()
    f = await client.openFile(b"tw.txt", filetransfer.FXF_READ, {})
    report["read"] = text(await f.readChunk(5, 100))
    report["size"] = (await f.getAttrs())["size"]
    await f.close()
    await client.makeDirectory(b"twdir", {"permissions": 0o755})
    await client.makeLink(b"twdir/link", b"../tw.txt")
    report["readlink"] = text(await client.readLink(b"twdir/link"))
    await client.renameFile(b"tw.txt", b"tw2.txt")
    await client.setAttrs(b"tw2.txt", {"permissions": 0o640})
    report["mode"] = (await client.getAttrs(b"tw2.txt"))["permissions"] & 0o777
    d = await client.openDirectory(b".")
    names = []
    while True:
        try:
            batch = await d.read()
        except EOFError:
            break
        names.extend(text(n) for (n, _, _) in batch)
    await d.close()
    report["names"] = sorted(n for n in names if not n.startswith("."))
    try:
        await client.openFile(b"missing", filetransfer.FXF_READ, {})
        report["missing"] = "found"
    except filetransfer.SFTPError as e:
        report["missing"] = e.code
    print(json.dumps(report), flush=True)
    client.transport.loseConnection()


task.react(lambda reactor: defer.ensureDeferred(main(reactor)))
