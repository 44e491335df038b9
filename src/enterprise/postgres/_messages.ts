/**
 * PostgreSQL's frontend/backend protocol, version 3: the frontend messages a
 * client sends and a bounded reader that splits the server's byte stream into
 * backend messages and decodes them. Every length the server controls is
 * checked against the message it sits in and against `maxMessageSize`.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

/** The server broke the protocol: a bad length, an unknown message, a truncated field. */
export class PostgresProtocolError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "PostgresProtocolError";
  }
}

/** Builds one message: a type byte (0 for the untyped startup), an Int32 length, the body. */
class MessageWriter {
  #parts: Uint8Array[] = [];
  #size = 0;

  byte(value: number): this {
    return this.bytes(Uint8Array.of(value));
  }
  int16(value: number): this {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setInt16(0, value);
    return this.bytes(b);
  }
  int32(value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, value);
    return this.bytes(b);
  }
  /** A NUL-terminated UTF-8 string; a NUL inside is refused. */
  cstring(value: string): this {
    if (value.includes("\0")) throw new TypeError("A protocol string cannot hold a NUL character");
    this.bytes(encoder.encode(value));
    return this.byte(0);
  }
  bytes(value: Uint8Array): this {
    this.#parts.push(value);
    this.#size += value.length;
    return this;
  }
  finish(type: number): Uint8Array {
    const head = type === 0 ? 0 : 1;
    const out = new Uint8Array(head + 4 + this.#size);
    if (head) out[0] = type;
    new DataView(out.buffer).setInt32(head, 4 + this.#size);
    let at = head + 4;
    for (const part of this.#parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

const code = (c: string): number => c.charCodeAt(0);

/** The frontend messages. */
export const frontend = {
  /** StartupMessage: protocol 3.0 and the connection's parameters (user, database...). */
  startup(parameters: Record<string, string>): Uint8Array {
    const w = new MessageWriter().int32(196608);
    for (const [name, value] of Object.entries(parameters)) w.cstring(name).cstring(value);
    return w.byte(0).finish(0);
  },
  /** PasswordMessage with a cleartext or md5 password. */
  password(text: string): Uint8Array {
    return new MessageWriter().cstring(text).finish(code("p"));
  },
  /** SASLInitialResponse. */
  saslInitial(mechanism: string, data: Uint8Array): Uint8Array {
    return new MessageWriter().cstring(mechanism).int32(data.length).bytes(data).finish(code("p"));
  },
  /** SASLResponse. */
  saslResponse(data: Uint8Array): Uint8Array {
    return new MessageWriter().bytes(data).finish(code("p"));
  },
  /** Parse: the unnamed statement, parameter types left to the server. */
  parse(sql: string, name = ""): Uint8Array {
    return new MessageWriter().cstring(name).cstring(sql).int16(0).finish(code("P"));
  },
  /** Bind: the unnamed portal, parameters in text format (null for NULL), text results. */
  bind(params: (string | null)[], statement = ""): Uint8Array {
    if (params.length > 65535) throw new RangeError("PostgreSQL takes at most 65535 parameters");
    const w = new MessageWriter().cstring("").cstring(statement).int16(0).int16(params.length);
    for (const p of params) {
      if (p === null) w.int32(-1);
      else {
        const b = encoder.encode(p);
        w.int32(b.length).bytes(b);
      }
    }
    return w.int16(0).finish(code("B"));
  },
  /** Close a prepared statement (no error when it does not exist). */
  closeStatement(name: string): Uint8Array {
    return new MessageWriter().byte(code("S")).cstring(name).finish(code("C"));
  },
  /** Describe the unnamed portal. */
  describePortal(): Uint8Array {
    return new MessageWriter().byte(code("P")).cstring("").finish(code("D"));
  },
  /** Execute the unnamed portal, all rows. */
  execute(): Uint8Array {
    return new MessageWriter().cstring("").int32(0).finish(code("E"));
  },
  /** Sync. */
  sync(): Uint8Array {
    return new MessageWriter().finish(code("S"));
  },
  /** Query (the simple query protocol). */
  query(sql: string): Uint8Array {
    return new MessageWriter().cstring(sql).finish(code("Q"));
  },
  /** CopyFail: ends a COPY FROM STDIN the client will not feed. */
  copyFail(reason: string): Uint8Array {
    return new MessageWriter().cstring(reason).finish(code("f"));
  },
  /** Terminate. */
  terminate(): Uint8Array {
    return new MessageWriter().finish(code("X"));
  },
};

/** A column of a RowDescription. */
export interface FieldDescription {
  name: string;
  typeOid: number;
  format: number;
}

/** The fields of an ErrorResponse or NoticeResponse, by their one-letter codes. */
export type ErrorFields = Record<string, string>;

/** A decoded backend message. */
export type BackendMessage =
  | { type: "auth"; code: number; data: Uint8Array }
  | { type: "parameterStatus"; name: string; value: string }
  | { type: "backendKeyData"; pid: number; secret: number }
  | { type: "ready"; status: string }
  | { type: "rowDescription"; fields: FieldDescription[] }
  | { type: "dataRow"; values: (Uint8Array | null)[]; size: number }
  | { type: "commandComplete"; tag: string }
  | { type: "error"; fields: ErrorFields }
  | { type: "notice"; fields: ErrorFields }
  | { type: "notification"; pid: number; channel: string; payload: string }
  | {
    type:
      | "parseComplete"
      | "bindComplete"
      | "closeComplete"
      | "noData"
      | "emptyQuery"
      | "portalSuspended"
      | "parameterDescription"
      | "copyIn"
      | "copyOut";
  };

/** Reads fields from one message body, refusing to read past its end. */
class BodyReader {
  #view: DataView;
  at = 0;
  readonly body: Uint8Array;
  readonly kind: string;
  constructor(body: Uint8Array, kind: string) {
    this.body = body;
    this.kind = kind;
    this.#view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  }
  #need(n: number): void {
    if (this.at + n > this.body.length) {
      throw new PostgresProtocolError(`Truncated ${this.kind} message from the server`);
    }
  }
  int16(): number {
    this.#need(2);
    const v = this.#view.getInt16(this.at);
    this.at += 2;
    return v;
  }
  int32(): number {
    this.#need(4);
    const v = this.#view.getInt32(this.at);
    this.at += 4;
    return v;
  }
  byte(): number {
    this.#need(1);
    return this.body[this.at++];
  }
  cstring(): string {
    const end = this.body.indexOf(0, this.at);
    if (end < 0) throw new PostgresProtocolError(`Unterminated string in a ${this.kind} message`);
    const s = decoder.decode(this.body.subarray(this.at, end));
    this.at = end + 1;
    return s;
  }
  bytes(n: number): Uint8Array {
    this.#need(n);
    const b = this.body.subarray(this.at, this.at + n);
    this.at += n;
    return b;
  }
  rest(): Uint8Array {
    return this.bytes(this.body.length - this.at);
  }
}

function errorFields(r: BodyReader): ErrorFields {
  const fields: ErrorFields = {};
  for (let n = 0;; n++) {
    const key = r.byte();
    if (key === 0) return fields;
    if (n > 64) throw new PostgresProtocolError("Too many fields in an error message");
    fields[String.fromCharCode(key)] = r.cstring();
  }
}

/** Decodes one backend message of `type` (its type byte) with `body`. */
export function decodeBackend(type: number, body: Uint8Array): BackendMessage {
  const t = String.fromCharCode(type);
  const r = new BodyReader(body, `'${t}'`);
  switch (t) {
    case "R":
      return { type: "auth", code: r.int32(), data: r.rest() };
    case "S":
      return { type: "parameterStatus", name: r.cstring(), value: r.cstring() };
    case "K":
      return { type: "backendKeyData", pid: r.int32(), secret: r.int32() };
    case "Z":
      return { type: "ready", status: String.fromCharCode(r.byte()) };
    case "T": {
      const count = r.int16();
      if (count < 0) throw new PostgresProtocolError("Negative column count");
      const fields: FieldDescription[] = [];
      for (let i = 0; i < count; i++) {
        const name = r.cstring();
        r.int32(); // table oid
        r.int16(); // column number
        const typeOid = r.int32() >>> 0;
        r.int16(); // type size
        r.int32(); // type modifier
        fields.push({ name, typeOid, format: r.int16() });
      }
      return { type: "rowDescription", fields };
    }
    case "D": {
      const count = r.int16();
      if (count < 0) throw new PostgresProtocolError("Negative value count in a data row");
      const values: (Uint8Array | null)[] = [];
      for (let i = 0; i < count; i++) {
        const length = r.int32();
        if (length < -1) throw new PostgresProtocolError("Bad value length in a data row");
        values.push(length === -1 ? null : r.bytes(length));
      }
      return { type: "dataRow", values, size: body.length };
    }
    case "C":
      return { type: "commandComplete", tag: r.cstring() };
    case "E":
      return { type: "error", fields: errorFields(r) };
    case "N":
      return { type: "notice", fields: errorFields(r) };
    case "A":
      return { type: "notification", pid: r.int32(), channel: r.cstring(), payload: r.cstring() };
    case "1":
      return { type: "parseComplete" };
    case "2":
      return { type: "bindComplete" };
    case "3":
      return { type: "closeComplete" };
    case "n":
      return { type: "noData" };
    case "I":
      return { type: "emptyQuery" };
    case "s":
      return { type: "portalSuspended" };
    case "t":
      return { type: "parameterDescription" };
    case "G": // CopyInResponse
    case "W": // CopyBothResponse
      return { type: "copyIn" };
    case "H": // CopyOutResponse
    case "d": // CopyData
    case "c": // CopyDone
      return { type: "copyOut" };
    default:
      throw new PostgresProtocolError(`Unknown message type ${JSON.stringify(t)} from the server`);
  }
}

/**
 * Splits the server's bytes into messages: `feed` returns those complete so
 * far. A message longer than `maxMessageSize` is a `PostgresProtocolError`
 * before any of its body is kept.
 */
export class MessageReader {
  /** Bytes of an incomplete message, kept as received: joined once, when it is whole. */
  #chunks: Uint8Array[] = [];
  #size = 0;
  readonly maxMessageSize: number;

  constructor(maxMessageSize: number) {
    this.maxMessageSize = maxMessageSize;
  }

  /** Bytes held waiting for the rest of a message. */
  get buffered(): number {
    return this.#size;
  }

  /** The checked length field of a message whose first bytes are `header`. */
  #length(header: ArrayLike<number>): number {
    const length = ((header[1] << 24) | (header[2] << 16) | (header[3] << 8) | header[4]) >>> 0;
    if (length < 4 || length > 0x7fffffff) {
      throw new PostgresProtocolError(`Bad message length ${length} from the server`);
    }
    if (length - 4 > this.maxMessageSize) {
      throw new PostgresProtocolError(
        `A message of ${
          length - 4
        } bytes from the server is over the limit of ${this.maxMessageSize}`,
      );
    }
    return length;
  }

  feed(data: Uint8Array): BackendMessage[] {
    if (data.length === 0) return [];
    let buffer = data;
    if (this.#size > 0) {
      this.#chunks.push(data);
      this.#size += data.length;
      if (this.#size >= 5) {
        const header: number[] = [];
        for (const chunk of this.#chunks) {
          for (let i = 0; i < chunk.length && header.length < 5; i++) header.push(chunk[i]);
          if (header.length === 5) break;
        }
        // Wait, without copying, until the whole message is here.
        if (this.#size < 1 + this.#length(header)) return [];
      } else return [];
      buffer = new Uint8Array(this.#size);
      let at = 0;
      for (const chunk of this.#chunks) {
        buffer.set(chunk, at);
        at += chunk.length;
      }
      this.#chunks = [];
      this.#size = 0;
    }
    const out: BackendMessage[] = [];
    let at = 0;
    while (buffer.length - at >= 5) {
      const length = this.#length(buffer.subarray(at, at + 5));
      if (buffer.length - at < 1 + length) break;
      out.push(decodeBackend(buffer[at], buffer.subarray(at + 5, at + 1 + length)));
      at += 1 + length;
    }
    if (at < buffer.length) {
      this.#chunks = [buffer.slice(at)];
      this.#size = buffer.length - at;
    }
    return out;
  }
}
