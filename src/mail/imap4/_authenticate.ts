/**
 * AUTHENTICATE (RFC 3501 §6.2.2) with PLAIN, LOGIN and CRAM-MD5, and SASL-IR's
 * initial response (RFC 4959): the exchange of continuations up to the
 * credentials the server checks with its portal. Private to the imap4 folder.
 * @module
 */
import { UsernamePassword } from "../../cred/_credentials.ts";
import { CramMD5Credentials } from "../../cred/_cram_md5.ts";
import type { ICredentials } from "../../cred/_interfaces.ts";
import { latin1Bytes, type Scanner } from "./_wire.ts";
import { BadCommand } from "./_selected.ts";
import { No } from "./_commands.ts";

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder();

/** What AUTHENTICATE needs of the session. */
export interface AuthenticateContext {
  /** Writes one response line. */
  line(text: string): void;
  /** Sets what the next line from the client goes to (a continuation). */
  ask(next: (line: Uint8Array) => void): void;
  /** Checks the credentials (answers the command). */
  finish(credentials: ICredentials): void;
  /** True when PLAIN and LOGIN may be used (TLS on, or no certificate). */
  plainAllowed: boolean;
  /** The host name in the CRAM-MD5 challenge. */
  hostname: string;
}

/** AUTHENTICATE mechanism [initial-response]. */
export function authenticateCommand(c: AuthenticateContext, s: Scanner, tag: string): void {
  s.sp();
  const mech = s.atom().toUpperCase();
  let initial: string | null = null;
  if (s.accept(" ")) initial = s.atom("=");
  s.end();
  const allowed = ["CRAM-MD5", ...(c.plainAllowed ? ["PLAIN", "LOGIN"] : [])];
  if (!allowed.includes(mech)) throw new No(`Unsupported mechanism ${mech.slice(0, 20)}`);
  const b64 = (line: Uint8Array): string | null => {
    const text = latin1.decode(line).trim();
    if (text === "*") return null;
    try {
      return utf8.decode(Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0)));
    } catch {
      return null;
    }
  };
  const ask = (prompt: string, next: (answer: string) => void): void => {
    c.line(`+ ${btoa(prompt)}`);
    c.ask((line) => {
      const answer = b64(line);
      if (answer === null) {
        c.line(`${tag} BAD Authentication cancelled`);
        return;
      }
      next(answer);
    });
  };
  const decodeInitial = (): string | null | undefined => {
    if (initial === null) return undefined;
    if (initial === "=") return "";
    return b64(latin1Bytes(initial));
  };
  if (mech === "PLAIN") {
    const plain = (text: string): void => {
      const parts = text.split("\0");
      if (parts.length !== 3) {
        c.line(`${tag} NO [AUTHENTICATIONFAILED] Authentication failed`);
        return;
      }
      c.finish(new UsernamePassword(parts[1], parts[2]));
    };
    const first = decodeInitial();
    if (first === null) throw new BadCommand("Bad initial response");
    if (first !== undefined) return plain(first);
    return ask("", plain);
  }
  if (mech === "LOGIN") {
    const first = decodeInitial();
    const password = (user: string) =>
      ask("Password:", (pw) => c.finish(new UsernamePassword(user, pw)));
    if (first === null) throw new BadCommand("Bad initial response");
    if (first !== undefined) return password(first);
    return ask("Username:", password);
  }
  const creds = new CramMD5Credentials(undefined, c.hostname);
  ask(creds.getChallenge(), (answer) => {
    try {
      creds.setResponse(answer);
    } catch {
      c.line(`${tag} NO [AUTHENTICATIONFAILED] Malformed response`);
      return;
    }
    c.finish(creds);
  });
}
