/**
 * A serial device as a transport, as `twisted.internet.serialport`:
 * `new SerialPort(protocol, path, reactor, {baudrate})` opens `path` and
 * streams its bytes to `protocol.dataReceived`. Beyond a tty (a GPS receiver
 * on `/dev/ttyUSB0`), `path` may be a pseudo-terminal, a FIFO or a regular
 * file (a recorded NMEA log): a file's end (or a FIFO's last writer closing)
 * is `connectionLost` with `ConnectionDone`. Terminals are also written to;
 * writes to a file or FIFO are dropped.
 *
 * On a terminal, `baudrate` (default 9600, as Twisted's) is applied with
 * `stty -F path <baudrate> raw -echo` through the runtime's `spawn`, before
 * the first byte is read: raw, as pyserial sets the line, and without echo,
 * which would send every byte received back to the device. Opening is
 * asynchronous: the protocol is connected at once, writes wait for the open,
 * and a path that cannot be opened (or a failed `stty`) ends in
 * `connectionLost` with a `ConnectionLost` whose `cause` is the error
 * (Twisted raises `SerialException` from the constructor).
 *
 * @example
 * ```ts
 * import { reactor } from "@tw/core";
 * import { SerialPort } from "@tw/core/serialport";
 * import { BasePositioningReceiver, NMEAAdapter, NMEAProtocol } from "@tw/core/positioning";
 *
 * class Printer extends BasePositioningReceiver {
 *   override positionReceived(latitude: unknown, longitude: unknown): void {
 *     console.log(String(latitude), String(longitude));
 *   }
 * }
 * // Positions from a GPS receiver on a USB serial line.
 * function track(): SerialPort {
 *   const protocol = new NMEAProtocol(new NMEAAdapter(new Printer()));
 *   return new SerialPort(protocol, "/dev/ttyUSB0", reactor, { baudrate: 4800 });
 * }
 * ```
 * @module
 */
import type { ByteStream, ChildProcess, SpawnOptions } from "./socket.ts";
import { type PipeProtocol, PipeTransport } from "./_pipe_transport.ts";
import { NotSupportedError } from "./error.ts";

export {
  PipeAddress,
  type PipeProducer,
  type PipeProtocol,
  PipeTransport,
  type PipeTransportOptions,
} from "./_pipe_transport.ts";
export type { ByteStream, ByteStreamHandler, ChildProcess, SpawnOptions } from "./socket.ts";

/** What `SerialPort` needs of a reactor: its runtime's `openStream` and `spawn` (for `stty`). */
export interface SerialPortReactor {
  /** The runtime adapter (`Reactor.runtime`). */
  readonly runtime: {
    /** The adapter's name. */
    readonly name: string;
    /** Opens a device, FIFO or file as a stream; an adapter without it has no serial ports. */
    openStream?(path: string): Promise<ByteStream>;
    /** Spawns a child process (`stty`). */
    spawn(options: SpawnOptions): ChildProcess;
  };
}

/** Options for `SerialPort`. */
export interface SerialPortOptions {
  /** The line speed set on a terminal (ignored for files and FIFOs). @default 9600 */
  baudrate?: number;
}

/** Stderr of `stty` kept for an error message. */
const STTY_STDERR_LIMIT = 4096;

/**
 * A serial device (or pseudo-terminal, FIFO, regular file) as `protocol`'s
 * transport, as Twisted's `SerialPort(protocol, deviceNameOrPortNumber,
 * reactor, baudrate=9600)`.
 *
 * @example
 * ```ts
 * import { Protocol, reactor } from "@tw/core";
 * import { SerialPort } from "@tw/core/serialport";
 *
 * class Dump extends Protocol {
 *   override dataReceived(data: Uint8Array): void {
 *     console.log(new TextDecoder().decode(data));
 *   }
 * }
 * // Replays a recorded log; its end calls connectionLost with ConnectionDone.
 * function replay(path: string): SerialPort {
 *   return new SerialPort(new Dump(), path, reactor);
 * }
 * ```
 */
export class SerialPort extends PipeTransport {
  /** The path opened. */
  readonly path: string;
  /** The line speed asked for. */
  readonly baudrate: number;
  #stream: Promise<ByteStream>;

  /**
   * Opens `path` and connects `protocol` to it.
   * @param protocol the protocol to drive
   * @param path the device, pseudo-terminal, FIFO or file
   * @param reactor the reactor whose runtime opens it
   * @param options the line speed
   * @throws RangeError for a baud rate that is not a positive integer
   * @throws NotSupportedError when the runtime adapter has no `openStream`
   */
  constructor(
    protocol: PipeProtocol,
    path: string,
    reactor: SerialPortReactor,
    options: SerialPortOptions = {},
  ) {
    const baudrate = options.baudrate ?? 9600;
    if (!Number.isSafeInteger(baudrate) || baudrate <= 0) {
      throw new RangeError(`Invalid baud rate: ${baudrate}`);
    }
    const runtime = reactor.runtime;
    if (runtime.openStream === undefined) {
      throw new NotSupportedError(
        runtime.name,
        "Opening a device",
        "the adapter has no openStream",
      );
    }
    const stream = openDevice(runtime, path, baudrate);
    // A failure is reported through connectionLost (and whenOpen).
    stream.catch(() => {});
    super(protocol, { input: stream, name: path, logNamespace: "tw.internet.serialport" });
    this.path = path;
    this.baudrate = baudrate;
    this.#stream = stream;
  }

  /**
   * Resolves once the device is open (and its line set); rejects with the
   * error that also ended the connection.
   */
  whenOpen(): Promise<void> {
    return this.#stream.then(() => {});
  }
}

type SerialRuntime = SerialPortReactor["runtime"];

/** Opens `path`; on a terminal, sets its speed and raw mode before reading starts. */
async function openDevice(
  runtime: SerialRuntime,
  path: string,
  baudrate: number,
): Promise<ByteStream> {
  const stream = await runtime.openStream!(path);
  if (!stream.isTTY) return stream;
  try {
    await stty(runtime, ["-F", path, String(baudrate), "raw", "-echo"]);
  } catch (e) {
    stream.close();
    throw e;
  }
  return stream;
}

/** Runs `stty` with `args`; rejects with its error output when it fails. */
function stty(runtime: SerialRuntime, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = runtime.spawn({ command: "stty", args });
    } catch (e) {
      reject(e);
      return;
    }
    let stderr = "";
    const decoder = new TextDecoder();
    child.start({
      onOutput(fd, data) {
        if (fd === 2 && stderr.length < STTY_STDERR_LIMIT) stderr += decoder.decode(data);
      },
      onExit(code, signal) {
        if (code === 0) resolve();
        else {
          const why = stderr.trim().slice(0, STTY_STDERR_LIMIT) ||
            (signal ? `killed by ${signal}` : `exit code ${code}`);
          reject(new Error(`Cannot set the line of ${args[1]}: ${why}`));
        }
      },
    });
    child.closeStdin();
  });
}
