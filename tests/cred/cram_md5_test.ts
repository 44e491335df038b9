import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CramMD5Credentials,
  InMemoryUsernamePasswordDatabaseDontUse,
  IUsernameHashedPassword,
  providedBy,
} from "../../src/cred/mod.ts";

describe("CramMD5Credentials", () => {
  it("CramMD5Credentials.digest() matches RFC 2195's example", () => {
    const challenge = "<1896.697170952@postoffice.reston.mci.net>";
    assert.equal(
      CramMD5Credentials.digest("tanstaaftanstaaf", challenge),
      "b913a602c7eda7a495b4e6e7334d3890",
    );
  });

  it("CramMD5Credentials.checkPassword() tests the response", () => {
    const c = new CramMD5Credentials(undefined, "host.test");
    assert.match(c.getChallenge(), /^<\d+\.\d+@host\.test>$/);
    c.setResponse(`tim ${CramMD5Credentials.digest("pw", c.getChallenge())}`);
    assert.equal(c.username, "tim");
    assert.ok(c.checkPassword("pw"));
    assert.ok(!c.checkPassword("other"));
    assert.ok(providedBy(IUsernameHashedPassword, c));
    assert.throws(() => c.setResponse("nospace"), SyntaxError);
  });

  it("CramMD5Credentials are checked by the in-memory database", async () => {
    const db = new InMemoryUsernamePasswordDatabaseDontUse({ tim: "pw" });
    const c = new CramMD5Credentials("<1@h>");
    c.setResponse(`tim ${CramMD5Credentials.digest("pw", "<1@h>")}`);
    assert.equal(await db.requestAvatarId(c), "tim");
  });
});
