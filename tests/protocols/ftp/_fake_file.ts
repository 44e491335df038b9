// A base for the FTP tests' in-memory files (not a test file itself): records
// `close`; the calls a transfer never makes throw, so a test sees if one does.
import type { FileInfo, RandomAccessFile } from "../../../src/internet/socket.ts";

export abstract class FakeFile implements RandomAccessFile {
  closed = false;
  abstract read(buffer: Uint8Array, position: number): Promise<number>;
  abstract write(data: Uint8Array, position: number): Promise<number>;
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
  stat(): Promise<FileInfo> {
    throw new Error("unused");
  }
  truncate(): Promise<void> {
    throw new Error("unused");
  }
  chmod(): Promise<void> {
    throw new Error("unused");
  }
  chown(): Promise<void> {
    throw new Error("unused");
  }
  utimes(): Promise<void> {
    throw new Error("unused");
  }
  sync(): Promise<void> {
    throw new Error("unused");
  }
}
