# twistd conch's service (twisted.conch.tap.makeService: OpenSSHFactory with the host keys of
# -d, UnixSSHRealm) for bench/conch_bench.ts, with the public key checker reading one
# authorized_keys file instead of the user's ~/.ssh (so the benchmark touches no home folder).
# Usage: /usr/bin/python3 bench/_twisted_conch.py PORT DATA_DIR AUTHORIZED_KEYS USER
import sys

from twisted.conch import checkers, tap
from twisted.conch.ssh import keys
from twisted.internet import reactor

port, data, authorized, user = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
with open(authorized, "rb") as f:
    user_keys = [keys.Key.fromString(line) for line in f.read().splitlines() if line.strip()]
options = tap.Options()
options.parseOptions(["-p", f"tcp:{port}:interface=127.0.0.1", "-d", data])


class Checker(checkers.SSHPublicKeyChecker):
    # Debian's 22.4 hands the realm a bytes avatar id, which UnixConchUser's getpwnam refuses
    # (the same crash as `twistd conch --auth file:`, twisted#11626): give it text.
    def requestAvatarId(self, credentials):
        d = checkers.SSHPublicKeyChecker.requestAvatarId(self, credentials)
        return d.addCallback(lambda avatar: avatar.decode() if isinstance(avatar, bytes) else avatar)


options["credCheckers"] = [Checker(checkers.InMemorySSHKeyDB({user.encode(): user_keys}))]
service = tap.makeService(options)
service.startService()
print(f"READY {port}", flush=True)
reactor.run()
