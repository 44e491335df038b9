# twistd mail's service (Twisted's MailService, MaildirDirdbmDomain, ESMTP), the reference
# peer for mail_bench.ts. `twistd mail` itself cannot deliver on Python 3 (Twisted 22-24:
# the domain is looked up with a bytes key, user names reach os.path.join as bytes, and
# MaildirMessage writes bytes to a file opened as text), so this builds the same service
# with the three smallest fixes, and no other change (no fsync, as in twistd mail).
# Usage: /usr/bin/python3 bench/_twisted_mail.py DOMAIN_DIR; prints "READY <port>".
import os
import sys

from twisted.cred.checkers import AllowAnonymousAccess
from twisted.internet import endpoints, reactor
from twisted.mail import mail, maildir

root = sys.argv[1]


class BinaryFile:
    """MaildirMessage writes its header as str and the lines as bytes."""

    def __init__(self, path):
        self.f = open(path, "wb")

    def write(self, data):
        self.f.write(data.encode("utf-8") if isinstance(data, str) else data)

    def close(self):
        self.f.close()


class Domain(maildir.MaildirDirdbmDomain):
    def userDirectory(self, name):
        key = name if isinstance(name, bytes) else name.encode("utf-8")
        if key not in self.dbm:
            if not self.postmaster:
                return None
            key = b"postmaster"
        path = os.path.join(os.fsdecode(self.root), key.decode("utf-8"))
        if not os.path.exists(path):
            maildir.initializeMaildir(path)
        return path

    def startMessage(self, user):
        name, domain = user.dest.local.decode(), user.dest.domain.decode()
        dir = self.userDirectory(name)
        fname = maildir._generateMaildirName()
        filename = os.path.join(dir, "tmp", fname)
        return maildir.MaildirMessage(
            f"{name}@{domain}", BinaryFile(filename), filename, os.path.join(dir, "new", fname)
        )


service = mail.MailService()
domain = Domain(service, root)
service.addDomain(b"example.com", domain)
service.smtpPortal.registerChecker(AllowAnonymousAccess())
domain.dbm[b"alice"] = b"secret"
endpoint = endpoints.TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1")


def ready(port):
    print(f"READY {port.getHost().port}", flush=True)


endpoint.listen(service.getESMTPFactory()).addCallback(ready)
reactor.run()
