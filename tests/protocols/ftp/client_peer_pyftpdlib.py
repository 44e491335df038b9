"""pyftpdlib (Debian's python3-pyftpdlib; TLS needs python3-openssl) serving a
folder for the FTPClient interop tests: user alice/secret with every right,
anonymous read-only. Listens on HOST:0, prints "PORT n", stops when stdin closes.

    client_peer_pyftpdlib.py ROOT HOST [CERT KEY]
"""
import logging
import os
import sys
import threading

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

root, host = sys.argv[1], sys.argv[2]
logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

authorizer = DummyAuthorizer()
authorizer.add_user("alice", "secret", root, perm="elradfmwMT")
authorizer.add_anonymous(root)

if len(sys.argv) > 4:
    from pyftpdlib.handlers import TLS_FTPHandler

    handler = TLS_FTPHandler
    handler.certfile = sys.argv[3]
    handler.keyfile = sys.argv[4]
    handler.tls_control_required = True
    handler.tls_data_required = True
else:
    handler = FTPHandler
handler.authorizer = authorizer
handler.permit_foreign_addresses = False
handler.auth_failed_timeout = 0.1

server = FTPServer((host, 0), handler)
print("PORT", server.socket.getsockname()[1], flush=True)


def wait_for_stdin():
    sys.stdin.read()
    os._exit(0)


threading.Thread(target=wait_for_stdin, daemon=True).start()
server.serve_forever()
