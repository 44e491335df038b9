// The names and defer pieces the MX tests use.
export { DNSNameError, Record_MX, RRHeader } from "../../src/names/mod.ts";
export { fail } from "../../src/internet/defer.ts";
