# twistd conch's service (twisted.conch.tap.makeService, python3-twisted) as a server for our
# client, with the host keys of DATA_DIR and the keys of AUTHORIZED_KEYS for USER (read from
# that file, not from the user's ~/.ssh). Prints "PORT n" once listening.
# Usage: /usr/bin/python3 twisted_server_peer.py DATA_DIR AUTHORIZED_KEYS USER
import sys
import warnings

warnings.filterwarnings("ignore")

from twisted.conch import checkers, tap  # noqa: E402
from twisted.conch.ssh import keys  # noqa: E402
from twisted.internet import reactor  # noqa: E402

data, authorized, user = sys.argv[1], sys.argv[2], sys.argv[3]
with open(authorized, "rb") as f:
    user_keys = [keys.Key.fromString(line) for line in f.read().splitlines() if line.strip()]


class Checker(checkers.SSHPublicKeyChecker):
    # Debian's 22.4 hands the realm a bytes avatar id, which UnixConchUser's getpwnam refuses
    # (twisted#11626): give it text.
    def requestAvatarId(self, credentials):
        d = checkers.SSHPublicKeyChecker.requestAvatarId(self, credentials)
        return d.addCallback(lambda a: a.decode() if isinstance(a, bytes) else a)


options = tap.Options()
options.parseOptions(["-p", "tcp:0:interface=127.0.0.1", "-d", data])
options["credCheckers"] = [Checker(checkers.InMemorySSHKeyDB({user.encode(): user_keys}))]
service = tap.makeService(options)
service.startService()
service._waitingForPort.addCallback(
    lambda port: print("PORT %d" % port.getHost().port, flush=True) or port
)
reactor.run()
