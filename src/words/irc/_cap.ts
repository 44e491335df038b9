/**
 * IRCv3 capability negotiation (CAP 302) and SASL for `IRCClient`.
 * Private: used by `IRCClient`.
 * @module
 */
import type { Tags } from "./_wire.ts";
import { decodeBase64Text, encodeBase64Text, ScramSha256Client } from "./_scram.ts";

/** SASL settings of `IRCClient` (`client.sasl`). */
export interface SaslOptions {
  /**
   * The mechanism: PLAIN or SCRAM-SHA-256 (a username and password; SCRAM
   * never sends the password and checks the server's signature), or
   * EXTERNAL (a TLS client certificate).
   */
  mechanism: "PLAIN" | "EXTERNAL" | "SCRAM-SHA-256";
  /** The account name (PLAIN). */
  username?: string;
  /** The password (PLAIN). */
  password?: string;
}

/** What the negotiator needs from its client. */
export interface CapHost {
  /** Capabilities to request when offered. */
  capabilities: readonly string[];
  /** SASL settings, or null. */
  sasl: SaslOptions | null;
  /** Enabled capabilities. */
  enabledCapabilities: Set<string>;
  /** Writes a protocol line at once (not paced). */
  sendControl(line: string): void;
  /** Reports a SASL failure. */
  saslFailed(code: string, message: string): void;
  /** Sets the account after 900. */
  setAccount(account: string | null): void;
}

const enc = new TextEncoder();
const MAX_OFFERED = 200;
const MAX_CHALLENGE = 8192;

function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** The CAP and SASL state machine of a client connection. */
export class CapNegotiator {
  #host: CapHost;
  /** Capabilities offered by the server, with their values. */
  offered: Map<string, string> = new Map();
  #ls = true;
  #ended = false;
  #saslActive = false;
  #scram: ScramSha256Client | null = null;
  #scramStep: "first" | "final" | "done" = "first";
  #challenge = "";
  /** True once SASL succeeded (903). */
  saslDone = false;
  /** True once SASL failed. */
  saslFailedFlag = false;

  constructor(host: CapHost) {
    this.#host = host;
  }

  /** True while CAP END is not sent yet. */
  get negotiating(): boolean {
    return !this.#ended;
  }

  /** Handles a CAP line from the server: `CAP <nick> <sub> [*] :<caps>`. */
  cap(params: string[], _tags: Tags): void {
    const sub = (params[1] ?? "").toUpperCase();
    const more = params.length >= 4 && params[2] === "*";
    const list = (params[params.length - 1] ?? "").split(" ").filter((c) => c !== "");
    switch (sub) {
      case "LS":
        if (!this.#ls) return;
        for (const item of list) {
          if (this.offered.size >= MAX_OFFERED) break;
          const eq = item.indexOf("=");
          this.offered.set(eq < 0 ? item : item.slice(0, eq), eq < 0 ? "" : item.slice(eq + 1));
        }
        if (!more) {
          this.#ls = false;
          this.#request([...this.offered.keys()]);
        }
        return;
      case "NEW":
        for (const item of list) {
          const eq = item.indexOf("=");
          if (this.offered.size < MAX_OFFERED) {
            this.offered.set(eq < 0 ? item : item.slice(0, eq), eq < 0 ? "" : item.slice(eq + 1));
          }
        }
        this.#requestNew(list.map((i) => i.split("=", 1)[0]));
        return;
      case "DEL":
        for (const item of list) {
          this.offered.delete(item);
          this.#host.enabledCapabilities.delete(item);
        }
        return;
      case "ACK":
        for (const item of list) {
          if (item.startsWith("-")) this.#host.enabledCapabilities.delete(item.slice(1));
          else this.#host.enabledCapabilities.add(item.replace(/^[~=]/, ""));
        }
        if (this.#ended) return;
        if (this.#host.sasl !== null && this.#host.enabledCapabilities.has("sasl")) {
          this.#startSasl();
        } else if (this.#host.sasl !== null) {
          this.#fail("904", "The server did not enable SASL");
        } else {
          this.end();
        }
        return;
      case "NAK":
        if (this.#ended) return;
        if (this.#host.sasl !== null) this.#fail("904", "The server refused to enable SASL");
        else this.end();
        return;
    }
  }

  #wanted(names: string[]): string[] {
    const want = new Set(this.#host.capabilities);
    if (this.#host.sasl !== null) want.add("sasl");
    return names.filter((n) => want.has(n) && !this.#host.enabledCapabilities.has(n));
  }

  #request(names: string[]): void {
    const sasl = this.#host.sasl;
    if (sasl !== null) {
      if (!this.offered.has("sasl")) return this.#fail("904", "The server does not offer SASL");
      const mechs = this.offered.get("sasl") ?? "";
      if (mechs !== "" && !mechs.split(",").includes(sasl.mechanism)) {
        return this.#fail("908", `The server offers no usable SASL mechanism (${mechs})`);
      }
    }
    const wanted = this.#wanted(names);
    if (wanted.length === 0) return this.end();
    this.#host.sendControl(`CAP REQ :${wanted.join(" ")}`);
  }

  #requestNew(names: string[]): void {
    const wanted = this.#wanted(names).filter((n) => n !== "sasl");
    if (wanted.length > 0) this.#host.sendControl(`CAP REQ :${wanted.join(" ")}`);
  }

  #startSasl(): void {
    this.#saslActive = true;
    this.#host.sendControl(`AUTHENTICATE ${this.#host.sasl!.mechanism}`);
  }

  #sendPayload(base64: string): void {
    for (let i = 0; i < base64.length; i += 400) {
      this.#host.sendControl(`AUTHENTICATE ${base64.slice(i, i + 400)}`);
    }
    if (base64.length % 400 === 0) this.#host.sendControl("AUTHENTICATE +");
  }

  /** Handles `AUTHENTICATE +` or a challenge (in 400-byte pieces). */
  authenticate(params: string[]): void {
    const sasl = this.#host.sasl;
    if (!this.#saslActive || sasl === null) return;
    const param = params[0] ?? "";
    if (sasl.mechanism === "SCRAM-SHA-256") return this.#scramExchange(param);
    if (param !== "+") {
      this.#host.sendControl("AUTHENTICATE *");
      return;
    }
    if (sasl.mechanism === "EXTERNAL") {
      this.#host.sendControl("AUTHENTICATE +");
      return;
    }
    const user = sasl.username ?? "";
    this.#sendPayload(base64(enc.encode(`${user}\0${user}\0${sasl.password ?? ""}`)));
  }

  #scramExchange(param: string): void {
    const sasl = this.#host.sasl!;
    if (this.#scram === null) {
      if (param !== "+") return this.#abort("The server sent data before the SCRAM exchange");
      try {
        this.#scram = new ScramSha256Client(sasl.username ?? "", sasl.password ?? "");
      } catch (error) {
        return this.#abort((error as Error).message);
      }
      this.#sendPayload(encodeBase64Text(this.#scram.clientFirst()));
      return;
    }
    if (param !== "+") this.#challenge += param;
    if (this.#challenge.length > MAX_CHALLENGE) return this.#abort("SCRAM challenge too long");
    if (param.length === 400) return;
    let message: string;
    try {
      message = decodeBase64Text(this.#challenge);
    } catch {
      return this.#abort("SCRAM challenge is not base64");
    } finally {
      this.#challenge = "";
    }
    const scram = this.#scram;
    if (this.#scramStep === "first") {
      this.#scramStep = "final";
      scram.clientFinal(message).then(
        (final) => {
          if (this.#saslActive) this.#sendPayload(encodeBase64Text(final));
        },
        (error: Error) => this.#abort(error.message),
      );
    } else if (this.#scramStep === "final") {
      this.#scramStep = "done";
      if (!scram.verifyServerFinal(message)) {
        return this.#abort("The server's SCRAM signature is wrong: it does not know the password");
      }
      this.#host.sendControl("AUTHENTICATE +");
    }
  }

  #abort(message: string): void {
    this.#host.sendControl("AUTHENTICATE *");
    this.#fail("904", message);
  }

  /** Handles the SASL numerics 900-908. */
  numeric(code: string, params: string[]): void {
    const text = params[params.length - 1] ?? "";
    switch (code) {
      case "900":
        this.#host.setAccount(params[2] ?? null);
        return;
      case "901":
        this.#host.setAccount(null);
        return;
      case "903":
        this.#saslActive = false;
        this.saslDone = true;
        this.end();
        return;
      case "902":
      case "904":
      case "905":
      case "906":
      case "907":
        if (!this.#saslActive && code === "907") return;
        this.#fail(code, text);
        return;
      case "908":
        return;
    }
  }

  #fail(code: string, message: string): void {
    if (this.saslFailedFlag) return;
    this.#saslActive = false;
    this.saslFailedFlag = true;
    this.#host.saslFailed(code, message);
  }

  /** Sends CAP END once. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#ls = false;
    this.#host.sendControl("CAP END");
  }
}
