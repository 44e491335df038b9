# Twisted's banana and jelly as a peer for tests/interop/pb_jelly_test.ts:
# each stdin line is the hex of a banana-encoded jelly expression; each output
# line is the hex of Twisted re-jellying what it unjellied, a tab, and the
# Python repr of that object.
import sys

from twisted.spread import banana, jelly

for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    obj = jelly.unjelly(banana.decode(bytes.fromhex(line)))
    sys.stdout.write(banana.encode(jelly.jelly(obj)).hex() + "\t" + repr(obj) + "\n")
sys.stdout.flush()
