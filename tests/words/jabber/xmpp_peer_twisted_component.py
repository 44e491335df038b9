# A Twisted XEP-0114 component (twisted.words.protocols.jabber.component) for
# tests/words/jabber/router_interop_test.ts: connects to 127.0.0.1:PORT as DOMAIN with SECRET,
# prints "AUTHD" once the handshake succeeded, answers every message with "twisted: <body>",
# prints "END" and exits when the stream ends.
import sys
from twisted.internet import reactor
from twisted.words.protocols.jabber import component, xmlstream
from twisted.words.xish import domish

port, domain, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
factory = component.componentFactory(domain, secret)
factory.maxRetries = 0


def authd(xs):
    def on_message(m):
        reply = domish.Element((None, "message"))
        reply["to"] = m["from"]
        reply["from"] = m["to"]
        reply["type"] = m.getAttribute("type", "normal")
        reply.addElement("body", content="twisted: " + str(m.body))
        xs.send(reply)

    xs.addObserver("/message", on_message)
    print("AUTHD", flush=True)


def ended(_):
    print("END", flush=True)
    if reactor.running:
        reactor.stop()


factory.addBootstrap(xmlstream.STREAM_AUTHD_EVENT, authd)
factory.addBootstrap(xmlstream.STREAM_END_EVENT, ended)
factory.clientConnectionFailed = lambda c, r: ended(r)
reactor.connectTCP("127.0.0.1", port, factory)
reactor.run()
