// The npm package as users install it: built (scripts/build_npm.mjs), packed,
// installed from the tarball into an empty project, then used there with Node
// alone and with Bun: `tw --version` and `--help`, every subpath export
// imported, `tw web --path .` serving a file, and the README's TCP server.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const NODE = join(root, "node_modules/.bin/node");
const BUN = join(root, "node_modules/.bin/bun");
const exportsMap: Record<string, string> = JSON.parse(
  readFileSync(join(root, "deno.json"), "utf8"),
).exports;

function run(
  exe: string,
  args: string[],
  cwd: string,
  timeout = 120_000,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(exe, args, { cwd, timeout, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, out: String(stdout), err: String(stderr) });
    });
  });
}

/** Starts `exe args` in `cwd` and resolves with the first match of `pattern` on stdout. */
function startAndWait(
  exe: string,
  args: string[],
  cwd: string,
  pattern: RegExp,
): Promise<[ChildProcess, RegExpExecArray]> {
  const child = spawn(exe, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in: ${out}`)), 30_000);
    const look = (chunk: unknown): void => {
      out += String(chunk);
      const match = pattern.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve([child, match]);
      }
    };
    child.stdout!.on("data", look);
    child.stderr!.on("data", look);
    child.on("exit", () => reject(new Error(`exited before ${pattern}: ${out}`)));
  });
}

/** One request over a raw socket; the whole answer once the server closes. */
function exchange(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    let answer = "";
    socket.on("data", (chunk) => {
      answer += String(chunk);
      if (text.startsWith("hello") && answer.length >= text.length) socket.end();
    });
    socket.on("close", () => resolve(answer));
    socket.on("error", reject);
  });
}

describe("the npm package", () => {
  let work = "";
  let project = "";

  /** Builds, packs and installs once; each test awaits it (Bun gives hooks 5 s at most). */
  async function setup(): Promise<void> {
    work = mkdtempSync(join(tmpdir(), "tw-npm-"));
    const build = await run(
      NODE,
      [join(root, "scripts/build_npm.mjs"), "--out", join(work, "pkg")],
      root,
    );
    assert.equal(build.code, 0, build.err);
    const pack = await run(
      "npm",
      ["pack", "--silent", "--pack-destination", work],
      join(work, "pkg"),
    );
    assert.equal(pack.code, 0, pack.err);
    const tarball = readdirSync(work).find((name) => name.endsWith(".tgz"));
    assert.ok(tarball, "npm pack made a tarball");
    project = join(work, "project");
    mkdirSync(project);
    writeFileSync(join(project, "package.json"), '{"name":"probe","private":true,"type":"module"}');
    // Our own tarball, and its one dependency from npm's cache when it is there.
    const install = await run(
      "npm",
      ["install", "--no-audit", "--no-fund", "--prefer-offline", join(work, tarball!)],
      project,
    );
    assert.equal(install.code, 0, install.err);
  }
  let installed: Promise<void> | null = null;
  const ready = (): Promise<void> => installed ??= setup();

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("holds JavaScript, declarations and source maps, with no TypeScript source", {
    timeout: 120_000,
  }, async () => {
    await ready();
    const dir = join(project, "node_modules/@tw/core");
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    assert.deepEqual(
      Object.keys(manifest.exports).filter((k) => k !== "./package.json"),
      Object.keys(exportsMap),
    );
    assert.equal(manifest.bin.tw, "./bin/tw.js");
    const files = readdirSync(join(dir, "src/web"));
    assert.ok(
      files.includes("mod.js") && files.includes("mod.d.ts") && files.includes("mod.js.map"),
    );
    assert.ok(!files.some((f) => f.endsWith(".ts") && !f.endsWith(".d.ts")), "no .ts sources");
    const dts = readFileSync(join(dir, "src/web/mod.d.ts"), "utf8");
    assert.doesNotMatch(dts, /from "\.[^"]*\.ts"/, "declarations import .js paths");
  });

  for (const [name, exe] of [["Node", NODE], ["Bun", BUN]] as const) {
    it(`runs tw --version and --help with ${name}`, { timeout: 120_000 }, async () => {
      await ready();
      const tw = join(project, "node_modules/.bin/tw");
      const version = await run(exe, [tw, "--version"], project);
      assert.equal(version.code, 0, version.err);
      assert.match(version.out, /^tw \(@tw\/core\) \d+\.\d+\.\d+/);
      const help = await run(exe, [tw, "--help"], project);
      assert.equal(help.code, 0, help.err);
      for (const plugin of ["web", "echo", "socks", "procmon", "inetd", "portforward"]) {
        assert.match(help.out, new RegExp(`\\b${plugin}\\b`));
      }
    });

    it(`imports every subpath export with ${name}`, { timeout: 120_000 }, async () => {
      await ready();
      const specifiers = Object.keys(exportsMap).map((key) => `@tw/core${key.slice(1)}`);
      const program = join(project, `imports_${name}.mjs`);
      writeFileSync(
        program,
        specifiers.map((s, i) => `import * as m${i} from "${s}";`).join("\n") +
          `\nconsole.log([${
            specifiers.map((_, i) => `Object.keys(m${i}).length`).join(", ")
          }].join(" "));\n`,
      );
      const result = await run(exe, [program], project);
      assert.equal(result.code, 0, result.err);
      const counts = result.out.trim().split(" ").map(Number);
      assert.equal(counts.length, specifiers.length);
      // ./interfaces holds types only: nothing at run time.
      const keys = Object.keys(exportsMap);
      const empty = keys.filter((_key, i) => counts[i] === 0);
      assert.deepEqual(empty, ["./interfaces"], `values exported: ${result.out}`);
    });

    it(`keeps one copy of each value across entry points with ${name}`, {
      timeout: 120_000,
    }, async () => {
      await ready();
      // The build joins the common modules into bundles: an entry point's value
      // must still be the very one the root entry point exports, as in the sources.
      const sharing = async (label: string, exe: string, specifiers: string[], cwd: string) => {
        const program = join(project, `sharing_${name}_${label}.mjs`);
        writeFileSync(
          program,
          `const all = await Promise.all([${
            specifiers.map((s) => `import(${JSON.stringify(s)})`).join(", ")
          }]);\nconst root = all[0];\nconsole.log(JSON.stringify(all.map((m) =>\n` +
            `  Object.keys(m).filter((k) => k in root).map((k) => \`\${k}:\${m[k] === root[k]}\`))));\n`,
        );
        const result = await run(exe, [program], cwd);
        assert.equal(result.code, 0, result.err);
        return JSON.parse(result.out) as string[][];
      };
      const keys = Object.keys(exportsMap);
      const keysAsPackage = keys.map((key) => `@tw/core${key.slice(1)}`);
      const built = await sharing("package", exe, keysAsPackage, project);
      const sources = await sharing(
        "sources",
        NODE,
        keys.map((key) => join(root, exportsMap[key])),
        root,
      );
      assert.deepEqual(built, sources);
      assert.ok(built.flat().filter((pair) => pair.endsWith(":true")).length > 100);
    });

    it(`serves a file with tw web --path . with ${name}`, { timeout: 120_000 }, async () => {
      await ready();
      writeFileSync(join(project, "hello.txt"), "hello from npm\n");
      const tw = join(project, "node_modules/.bin/tw");
      const [child, match] = await startAndWait(
        exe,
        [tw, "web", "--listen", "tcp:0:interface=127.0.0.1", "--path", "."],
        project,
        /listening on 127\.0\.0\.1:(\d+)/,
      );
      try {
        const answer = await exchange(
          Number(match[1]),
          "GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        );
        assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
        assert.match(answer, /\r\n\r\nhello from npm\n$/);
      } finally {
        child.kill("SIGTERM");
      }
    });

    it(`runs the README's TCP server with ${name}`, { timeout: 120_000 }, async () => {
      await ready();
      const readme = readFileSync(join(root, "README.md"), "utf8");
      const server = /## A TCP server\n\n```ts\n([\s\S]*?)```/.exec(readme)![1]
        .replace(
          "reactor.listenTCP(8000, Factory.forProtocol(Echo));",
          [
            'const port = reactor.listenTCP(0, Factory.forProtocol(Echo), { interface: "127.0.0.1" });',
            "port.whenListening().addCallback(() => console.log(`port ${port.getHost().port}`));",
          ].join("\n"),
        )
        .replace(/: Uint8Array\): void/g, ")")
        .replace(/override /g, "");
      assert.match(server, /port\.whenListening/, "the README's listen line was found");
      writeFileSync(join(project, `readme_${name}.mjs`), server);
      const [child, match] = await startAndWait(exe, [`readme_${name}.mjs`], project, /port (\d+)/);
      try {
        assert.equal(await exchange(Number(match[1]), "hello, npm"), "hello, npm");
      } finally {
        child.kill("SIGTERM");
      }
    });
  }
});
