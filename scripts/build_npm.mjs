// Builds the npm package into dist/npm/ (`npm run build`; `cd dist/npm && npm pack`
// makes the tarball), as JSR's npm layer would: one JavaScript module per source
// module (ES modules, source maps), a .d.ts beside each, and a package.json whose
// `exports` mirror deno.json's, with the `tw` bin.
//
// The tool is TypeScript's own compiler API, file by file: `transpileModule`
// strips the types (our sources use erasable syntax only) and rewrites `.ts`
// import specifiers to `.js` (`rewriteRelativeImportExtensions`), and
// `transpileDeclaration` writes each .d.ts from its file alone, which JSR's rule
// of explicit types on every export (isolated declarations) makes possible. No
// whole-program type check is needed here: `deno check` does that in the tests,
// and the runtime adapters' own types (the Deno namespace, Bun's) need not be
// available to the build.
import {
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { bundlePackage } from "./_bundle_npm.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
// `--out DIR` builds elsewhere (the package test builds into a temporary folder).
const outFlag = process.argv.indexOf("--out");
const out = outFlag > 0 ? process.argv[outFlag + 1] : join(root, "dist/npm");
const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/** Every .ts file under `dir` (tests and benchmarks are not part of the package). */
function sources(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...sources(path));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) found.push(path);
  }
  return found;
}

/** `./x.ts` specifiers (relative) as `./x.js`, for text the compiler leaves alone. */
const RELATIVE_TS = /((?:from|import)\s*\(?\s*|new URL\()(["'])(\.\.?\/[^"']+)\.ts\2/g;
const toJsSpecifiers = (text) => text.replace(RELATIVE_TS, "$1$2$3.js$2");

const jsOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  rewriteRelativeImportExtensions: true,
  sourceMap: true,
  inlineSources: true,
};
const dtsOptions = {
  ...jsOptions,
  allowImportingTsExtensions: true,
  isolatedDeclarations: true,
  declaration: true,
  declarationMap: true,
};

rmSync(out, { recursive: true, force: true });
const files = [
  join(root, "mod.ts"),
  ...sources(join(root, "src")),
  ...sources(join(root, "runtimes")),
];
const problems = [];
for (const file of files) {
  const rel = relative(root, file);
  const text = readFileSync(file, "utf8");
  const target = join(out, rel.replace(/\.ts$/, ".js"));
  mkdirSync(dirname(target), { recursive: true });
  const js = ts.transpileModule(text, {
    fileName: rel,
    compilerOptions: jsOptions,
    reportDiagnostics: true,
  });
  const dts = ts.transpileDeclaration(text, { fileName: rel, compilerOptions: dtsOptions });
  // 9038: a member named by an imported unique symbol (`[serveRequest]()`, the
  // internals shared across src/web) "cannot be inferred" file by file, yet its
  // declaration comes out right (`[serveRequest]: (...) => void`): not a problem.
  const diagnostics = [...(js.diagnostics ?? []), ...dts.diagnostics].filter((d) =>
    d.code !== 9038
  );
  for (const d of diagnostics) {
    const line = d.file && d.start !== undefined
      ? `:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}`
      : "";
    problems.push(`${rel}${line}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`);
  }
  const base = target.slice(0, -3);
  // The worker modules are found with new URL("./x.ts", import.meta.url).
  writeFileSync(target, toJsSpecifiers(js.outputText));
  writeFileSync(`${target}.map`, js.sourceMapText ?? "");
  writeFileSync(`${base}.d.ts`, toJsSpecifiers(dts.outputText));
  if (dts.sourceMapText) writeFileSync(`${base}.d.ts.map`, dts.sourceMapText);
}
if (problems.length > 0) {
  console.error(problems.join("\n"));
  process.exit(1);
}

/** "./src/web/mod.ts" -> { types, default } of the built files. */
const built = (path) => {
  const base = path.replace(/^\.\//, "./").replace(/\.ts$/, "");
  return { types: `${base}.d.ts`, default: `${base}.js` };
};
const exportsMap = Object.fromEntries(
  Object.entries(deno.exports).map(([key, path]) => [key, built(path)]),
);
exportsMap["./package.json"] = "./package.json";

// The bin runs the lean command module (runtimes/cli.ts, the public entry, also
// loads the whole CLI API, and runs itself only where import.meta.main exists).
// Node's compile cache (22.1+) keeps compiled code between runs: a faster start.
mkdirSync(join(out, "bin"), { recursive: true });
writeFileSync(
  join(out, "bin/tw.js"),
  [
    "#!/usr/bin/env node",
    "// Node only: Deno and Bun have no compile cache, and Deno's node layer costs start-up.",
    "// getBuiltinModule (Node 20.16+) skips the ES module namespace an import builds.",
    "const g = globalThis;",
    "if (!g.Deno && !g.Bun) {",
    '  const nodeModule = g.process.getBuiltinModule?.("node:module") ?? await import("node:module");',
    "  nodeModule.enableCompileCache?.();",
    "}",
    'const { runMain } = await import("../runtimes/_tw_main.js");',
    "await runMain();",
    "",
  ].join("\n"),
);

const manifest = {
  name: deno.name,
  version: deno.version,
  description: pkg.description,
  license: deno.license,
  type: "module",
  exports: exportsMap,
  main: "./mod.js",
  types: "./mod.d.ts",
  bin: { tw: "./bin/tw.js" },
  files: ["**/*.js", "**/*.d.ts", "**/*.map", "**/package.json", "README.md", "LICENSE"],
  dependencies: pkg.dependencies,
  engines: { node: ">=20" },
  sideEffects: true,
};
writeFileSync(join(out, "package.json"), JSON.stringify(manifest, null, 2) + "\n");

// A `{"type":"module"}` package.json in every folder of modules. Node's ES
// module loader looks for the nearest package.json of each module it loads
// (its "type" says a .js file is an ES module), and remembers only those it
// found: without one beside the module, every load tries each parent folder
// again. With these, `import "@tw/core"` took Node about 5 ms less CPU time
// and 10 ms less wall time here.
// The exports map and the package's "type" stay the root's.
const folders = new Set(files.map((file) => dirname(relative(root, file))));
folders.add("bin");
folders.delete(".");
for (const folder of folders) {
  writeFileSync(join(out, folder, "package.json"), '{ "type": "module" }\n');
}
for (const name of ["README.md", "LICENSE"]) cpSync(join(root, name), join(out, name));

// What every program loads, joined into bundles (see _bundle_npm.mjs): the core
// API; the modules that install the reactor (the runtime selection's top-level
// await imports an adapter, which needs the core already evaluated); each
// runtime adapter, after the modules two of them share; and the `tw` command. A module an adapter imports while it
// loads (the node adapter's byte pooling switch on Bun) must sit in an earlier
// bundle, or the adapter would wait for its own bundle.
const core = ["mod.js", "src/internet/_bytes.js"];
const adapters = ["runtimes/node.js", "runtimes/deno.js", "runtimes/bun.js"];
const bundles = await bundlePackage(out, [
  { name: "core", dir: ".", entries: core, apart: ["runtimes/select.js"] },
  { name: "root", dir: ".", entries: ["mod.js"] },
  { name: "adapters", dir: "runtimes", entries: adapters, shared: true },
  { name: "node", dir: "runtimes", entries: ["runtimes/node.js"] },
  { name: "deno", dir: "runtimes", entries: ["runtimes/deno.js"] },
  { name: "bun", dir: "runtimes", entries: ["runtimes/bun.js"] },
  { name: "cli", dir: "runtimes", entries: ["runtimes/_tw_main.js"] },
]);
console.log(
  `${relative(root, out) || out}: ${files.length} modules, ${
    Object.keys(deno.exports).length
  } entry points; ${bundles.map((b) => `${b.bundle} (${b.modules} modules)`).join(", ")}`,
);
