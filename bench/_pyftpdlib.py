"""pyftpdlib's FTP server for bench/ftp_bench.ts (sendfile for downloads, its default).
Prints READY <port>.

argv: port home user password
"""
import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer

port, home, user, password = sys.argv[1:5]
logging.basicConfig(level=logging.ERROR)
authorizer = DummyAuthorizer()
authorizer.add_user(user, password, home, perm="elradfmw")
FTPHandler.authorizer = authorizer
server = FTPServer(("127.0.0.1", int(port)), FTPHandler)
print("READY", server.socket.getsockname()[1], flush=True)
server.serve_forever()
