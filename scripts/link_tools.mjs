// npm postinstall: puts the pinned Deno and Node in node_modules/.bin.
// - Deno: npm picks the one @deno/<platform> package of package.json's
//   optionalDependencies that matches this machine (their os/cpu fields); this
//   links its binary (the `deno` wrapper package cannot be locked: its other
//   platforms' packages are not all on the registry this project installs from).
// - Node: npm links node-linux-<arch>'s binary itself. The registry has no
//   macOS build of the pinned Node, so there the Node running npm is linked,
//   with a warning when it is older than the pinned major.
import { existsSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import process from "node:process";

const PINNED_NODE_MAJOR = 24;
const platform = `${process.platform}-${process.arch}`;
const denoPackage = process.platform === "linux" ? `${platform}-glibc` : platform;

function link(target, name) {
  mkdirSync("node_modules/.bin", { recursive: true });
  rmSync(`node_modules/.bin/${name}`, { force: true });
  symlinkSync(target, `node_modules/.bin/${name}`);
}

if (existsSync(`node_modules/@deno/${denoPackage}/deno`)) {
  link(`../@deno/${denoPackage}/deno`, "deno");
} else {
  console.warn(`No Deno binary for ${platform}: install Deno 2.9 yourself`);
}

if (!existsSync("node_modules/.bin/node")) {
  link(process.execPath, "node");
  const major = Number(process.versions.node.split(".")[0]);
  if (major < PINNED_NODE_MAJOR) {
    console.warn(
      `No pinned Node for ${platform}: linked Node ${process.versions.node}; ` +
        `the tests expect Node ${PINNED_NODE_MAJOR}`,
    );
  }
}
