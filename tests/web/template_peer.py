# Twisted's templates as a peer for tests/web/template_test.ts (Debian python3-twisted,
# run by /usr/bin/python3): reads a JSON list of {"xml", "slots"} on stdin and prints,
# per item, the hex of what twisted.web.template renders: the XML loaded by XMLString
# into an Element whose render methods match the TypeScript test's.
import json
import sys

from twisted.web.template import Element, Tag, XMLString, flattenString, renderer


class Page(Element):
    def __init__(self, xml, slots):
        Element.__init__(self, XMLString(xml))
        self.slots = slots

    def render(self, request):
        return Tag("")(*self.loader.load()).fillSlots(**self.slots)

    @renderer
    def items(self, request, tag):
        return [tag.clone().fillSlots(item=x) for x in ["one", "t<w>o & \"three\""]]

    @renderer
    def mark(self, request, tag):
        return tag(data_marked="yes")


for item in json.load(sys.stdin):
    out = []
    flattenString(None, Page(item["xml"], item["slots"])).addBoth(out.append)
    result = out[0]
    print(result.hex() if isinstance(result, bytes) else "ERROR " + repr(result.value))
