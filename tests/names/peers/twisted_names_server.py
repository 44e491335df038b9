# twistd dns's server (Twisted's names on CPython, Debian python3-twisted) over
# UDP and TCP on one port of 127.0.0.1, serving a Python zone file as
# `twistd dns --pyzone ZONE` does. Prints "READY <port>".
# Usage: /usr/bin/python3 twisted_names_server.py ZONE.py
import sys

from twisted.internet import reactor
from twisted.names import authority, dns, server

zone = authority.PySourceAuthority(sys.argv[1])
factory = server.DNSServerFactory(authorities=[zone])
tcp = reactor.listenTCP(0, factory, interface="127.0.0.1")
port = tcp.getHost().port
reactor.listenUDP(port, dns.DNSDatagramProtocol(factory), interface="127.0.0.1")
print("READY %d" % port, flush=True)
reactor.run()
