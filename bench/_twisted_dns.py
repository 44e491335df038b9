# twistd dns's server (Twisted's names on CPython, Debian python3-twisted), the
# reference peer for bench/dns_bench.ts: the same DNSServerFactory and
# FileAuthority that `twistd dns --pyzone ZONE` builds, on UDP.
# Usage: /usr/bin/python3 bench/_twisted_dns.py ZONE.py
# (Twisted 22.4's --bindzone loads no file, twisted#11972, so the zone is Python.)
# Prints "READY <port>" once listening on 127.0.0.1.
import sys

from twisted.internet import reactor
from twisted.names import authority, dns, server

zone = authority.PySourceAuthority(sys.argv[1])
factory = server.DNSServerFactory(authorities=[zone])
port = reactor.listenUDP(0, dns.DNSDatagramProtocol(factory), interface="127.0.0.1")
print("READY %d" % port.getHost().port, flush=True)
reactor.run()
