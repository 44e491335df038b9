# autobahn (Debian python3-autobahn) with permessage-deflate, the peer of
# tests/web/websocket_deflate_interop_test.ts.
#   server MODE BITS: an echo server at /ws accepting permessage-deflate; with
#     MODE "reset" it asks for and uses no context takeover both ways; BITS
#     (8-15) limits both windows. Prints "READY <port>" and "EXT <params>" per connection.
#   client URL MODE BITS: offers permessage-deflate likewise, sends messages of
#     1 B to 1 MiB (text and random binary), checks that each comes back
#     unchanged, prints "EXT <params>" and "OK <count>" (or "BAD ..."), closes.
import os
import sys

from autobahn.twisted.websocket import (
    WebSocketClientFactory,
    WebSocketClientProtocol,
    WebSocketServerFactory,
    WebSocketServerProtocol,
)
from autobahn.websocket.compress import (
    PerMessageDeflateOffer,
    PerMessageDeflateOfferAccept,
    PerMessageDeflateResponse,
    PerMessageDeflateResponseAccept,
)
from twisted.internet import reactor

SIZES = [1, 10, 125, 126, 1000, 65535, 65536, 300000, 1 << 20]
# autobahn waits 1 s by default for the answer to its close frame; on a loaded
# CI machine (three runtimes' suites side by side) that is too short to tell a
# slow answer from none. The test checks that the close is clean, not how fast.
CLOSE_WAIT = 15


def messages():
    out = []
    for size in SIZES:
        text = ("permessage-deflate %d " % size) * (size // 10 + 1)
        out.append((text[:size].encode(), False))
        out.append((os.urandom(size), True))
    return out


def ext_line(proto):
    return "EXT " + " ".join(repr(e) for e in proto.websocket_extensions_in_use)


def main():
    role = sys.argv[1]
    if role == "server":
        mode, bits = sys.argv[2], int(sys.argv[3])
    else:
        url, mode, bits = sys.argv[2], sys.argv[3], int(sys.argv[4])
    reset = mode == "reset"
    window = bits if bits < 15 else 0

    if role == "server":

        class Echo(WebSocketServerProtocol):
            def onOpen(self):
                print(ext_line(self), flush=True)

            def onMessage(self, payload, isBinary):
                self.sendMessage(payload, isBinary)

        def accept(offers):
            for offer in offers:
                if isinstance(offer, PerMessageDeflateOffer):
                    return PerMessageDeflateOfferAccept(
                        offer,
                        request_no_context_takeover=reset,
                        request_max_window_bits=window if offer.accept_max_window_bits else 0,
                        no_context_takeover=reset,
                        window_bits=window or None,
                    )
            return None

        factory = WebSocketServerFactory("ws://127.0.0.1/ws")
        factory.protocol = Echo
        factory.setProtocolOptions(perMessageCompressionAccept=accept,
                                   closeHandshakeTimeout=CLOSE_WAIT)
        port = reactor.listenTCP(0, factory, interface="127.0.0.1")
        print("READY %d" % port.getHost().port, flush=True)
        reactor.run()
        return

    sent = messages()

    class Check(WebSocketClientProtocol):
        def onOpen(self):
            print(ext_line(self), flush=True)
            self.got = 0
            for payload, binary in sent:
                self.sendMessage(payload, binary)

        def onMessage(self, payload, isBinary):
            want, binary = sent[self.got]
            if payload != want or isBinary != binary:
                print("BAD message %d: %d bytes back for %d" % (self.got, len(payload), len(want)),
                      flush=True)
                self.sendClose(1000)
                return
            self.got += 1
            if self.got == len(sent):
                print("OK %d" % self.got, flush=True)
                self.sendClose(1000)

        def onClose(self, wasClean, code, reason):
            print("CLOSED %s %s %s" % (wasClean, code, reason), flush=True)
            reactor.callLater(0, reactor.stop)

    def accept_response(response):
        if isinstance(response, PerMessageDeflateResponse):
            return PerMessageDeflateResponseAccept(response, no_context_takeover=reset or None)
        return None

    factory = WebSocketClientFactory(url)
    factory.protocol = Check
    factory.setProtocolOptions(
        perMessageCompressionOffers=[
            PerMessageDeflateOffer(
                accept_no_context_takeover=reset,
                accept_max_window_bits=True,
                request_no_context_takeover=reset,
                request_max_window_bits=window,
            )
        ],
        perMessageCompressionAccept=accept_response,
        closeHandshakeTimeout=CLOSE_WAIT,
    )
    host, port = url.split("/")[2].split(":")
    reactor.connectTCP(host, int(port), factory)
    reactor.callLater(60, reactor.stop)
    reactor.run()


main()
