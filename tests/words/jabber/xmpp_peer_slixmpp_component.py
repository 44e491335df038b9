# A slixmpp XEP-0114 component for tests/words/jabber/router_interop_test.ts: connects to
# 127.0.0.1:PORT as DOMAIN with SECRET, prints "AUTHD" once accepted, answers every message
# with "slixmpp: <body>", prints "END" and exits when disconnected.
import asyncio
import sys

import slixmpp

port, domain, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]


class Echo(slixmpp.ComponentXMPP):
    def __init__(self):
        super().__init__(domain, secret, "127.0.0.1", port)
        self.add_event_handler("session_start", self.started)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("disconnected", self.ended)

    def started(self, _event):
        print("AUTHD", flush=True)

    def on_message(self, msg):
        msg.reply("slixmpp: " + msg["body"]).send()

    def ended(self, _event):
        print("END", flush=True)
        self.loop.stop()


xmpp = Echo()
xmpp.connect()
xmpp.loop.run_forever()
