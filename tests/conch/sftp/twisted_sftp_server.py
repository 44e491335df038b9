# Twisted's SSH server with its SFTP subsystem (python3-twisted): what `twistd conch` serves,
# with its SFTP made to work (twisted/twisted#9845: `getHomeDir` and the setuid dance of
# UnixConchUser assume a system account; here every login is served ROOT as its home,
# unprivileged). Logs in USER by PASSWORD or by a key of AUTHORIZED_KEYS. Prints
# "PORT <n>" once listening on 127.0.0.1; stops on SIGTERM.
# Usage: /usr/bin/python3 twisted_sftp_server.py ROOT HOST_KEY AUTHORIZED_KEYS USER PASSWORD
import os
import sys
import warnings

warnings.filterwarnings("ignore")

from twisted.conch import avatar, unix  # noqa: E402
from twisted.conch.checkers import InMemorySSHKeyDB, SSHPublicKeyChecker  # noqa: E402
from twisted.conch.interfaces import IConchUser  # noqa: E402
from twisted.conch.ssh import factory, filetransfer, keys, session  # noqa: E402
from twisted.cred import checkers, portal  # noqa: E402
from twisted.internet import reactor  # noqa: E402
from twisted.python import components  # noqa: E402
from twisted.python.filepath import FilePath  # noqa: E402
from zope.interface import implementer  # noqa: E402

root, host_key, authorized, user, password = sys.argv[1:6]


class FilesUser(avatar.ConchUser):
    """An avatar whose only service is the "sftp" subsystem over ROOT."""

    def __init__(self):
        avatar.ConchUser.__init__(self)
        self.channelLookup[b"session"] = session.SSHSession
        self.subsystemLookup[b"sftp"] = filetransfer.FileTransferServer

    def getHomeDir(self):
        # SFTPServerForUnixConchUser wants a FilePath; UnixConchUser gives a str (#9845).
        return FilePath(root)

    def _runAsUser(self, f, *args, **kw):
        # UnixConchUser's calling convention (one call, or a list of calls), without setuid.
        try:
            calls = iter(f)
        except TypeError:
            calls = [(f, args, kw)]
        result = None
        for call in calls:
            func = call[0]
            call_args = len(call) > 1 and call[1] or ()
            call_kw = len(call) > 2 and call[2] or {}
            result = func(*call_args, **call_kw)
        return result


components.registerAdapter(unix.SFTPServerForUnixConchUser, FilesUser, filetransfer.ISFTPServer)


@implementer(portal.IRealm)
class Realm:
    def requestAvatar(self, avatarId, mind, *interfaces):
        return IConchUser, FilesUser(), lambda: None


with open(authorized, "rb") as handle:
    user_keys = [keys.Key.fromString(line) for line in handle.read().splitlines() if line.strip()]

the_portal = portal.Portal(Realm())
the_portal.registerChecker(
    checkers.InMemoryUsernamePasswordDatabaseDontUse(**{user: password.encode()})
)
the_portal.registerChecker(SSHPublicKeyChecker(InMemorySSHKeyDB({user.encode(): user_keys})))

key = keys.Key.fromFile(host_key)
ssh_factory = factory.SSHFactory()
ssh_factory.portal = the_portal
ssh_factory.publicKeys = {key.sshType(): key.public()}
ssh_factory.privateKeys = {key.sshType(): key}
# SSHFactory reads Diffie-Hellman groups from the system's moduli file when it has one.
ssh_factory.primes = None
if os.path.exists("/etc/ssh/moduli"):
    from twisted.conch.openssh_compat import primes

    ssh_factory.primes = primes.parseModuliFile("/etc/ssh/moduli")


def getPrimes():
    return ssh_factory.primes


ssh_factory.getPrimes = getPrimes

port = reactor.listenTCP(0, ssh_factory, interface="127.0.0.1")
print(f"PORT {port.getHost().port}", flush=True)
reactor.run()
