# A Twisted ESMTP server (twisted.mail.smtp) for tests/mail/smtp_client_interop_test.ts:
# STARTTLS with the test certificate, no AUTH; prints the port, then one JSON line per
# delivered message with the recipient and the bytes as base64.
import base64, json, sys
from zope.interface import implementer
from twisted.internet import reactor, ssl, stdio
from twisted.internet.protocol import Protocol
from twisted.mail import smtp

tls_dir = sys.argv[1]
ctx = ssl.PrivateCertificate.loadPEM(
    open(f"{tls_dir}/server.pem").read() + open(f"{tls_dir}/server.key").read()
).options()


@implementer(smtp.IMessage)
class Message:
    def __init__(self, user):
        self.user, self.lines = user, []

    def lineReceived(self, line):
        self.lines.append(line)

    def eomReceived(self):
        data = b"".join(l + b"\n" for l in self.lines)
        print(json.dumps({"to": str(self.user.dest), "content": base64.b64encode(data).decode()}), flush=True)
        from twisted.internet import defer
        return defer.succeed(None)

    def connectionLost(self):
        pass


@implementer(smtp.IMessageDelivery)
class Delivery:
    def receivedHeader(self, helo, origin, recipients):
        return b"Received: by twisted"

    def validateFrom(self, helo, origin):
        return origin

    def validateTo(self, user):
        if user.dest.local == b"nobody":
            raise smtp.SMTPBadRcpt(user)
        return lambda: Message(user)


class Factory(smtp.SMTPFactory):
    protocol = smtp.ESMTP

    def buildProtocol(self, addr):
        p = smtp.SMTPFactory.buildProtocol(self, addr)
        p.delivery = Delivery()
        p.ctx = ctx
        return p


class Stdin(Protocol):
    def connectionLost(self, reason):
        reactor.stop()


port = reactor.listenTCP(0, Factory(), interface="127.0.0.1")
print(json.dumps({"port": port.getHost().port}), flush=True)
stdio.StandardIO(Stdin())
reactor.run()
