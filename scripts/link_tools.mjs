// npm postinstall: links the Deno binary from its platform package into
// node_modules/.bin (the `deno` wrapper package cannot be locked: its other
// platforms' packages are not all on the registry this project installs from).
import { existsSync, mkdirSync, rmSync, symlinkSync } from "node:fs";

const target = `../@deno/${process.platform}-${process.arch}-glibc/deno`;
const platformBinary = `node_modules/@deno/${process.platform}-${process.arch}-glibc/deno`;
if (existsSync(platformBinary)) {
  mkdirSync("node_modules/.bin", { recursive: true });
  rmSync("node_modules/.bin/deno", { force: true });
  symlinkSync(target, "node_modules/.bin/deno");
} else {
  console.warn(`No Deno binary for ${process.platform}-${process.arch}: install Deno 2.9 yourself`);
}
