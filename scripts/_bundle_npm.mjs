// Start-up for the npm build: the modules every program loads are joined into a
// few bundles, each module's own file becomes a stub that re-exports its part
// of a bundle. Node's ES module loader spends about half a millisecond on each
// module it resolves and loads, so `import "@tw/core"` paid for 46 of them;
// now it loads a handful. Subpath imports keep working and keep one identity
// per class: every module lives in exactly one bundle, and any other module
// that imports it (a stub, a later bundle, an unbundled module) reaches that
// one copy through the bundle's exports.
//
// The tool is esbuild (a build-time dependency only): it joins ES modules into
// one scope as the language defines their evaluation (cycles and top-level
// await included), keeps the source maps of its inputs, and is fast.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import * as esbuild from "esbuild";

/** Specifiers of the static imports and re-exports in `text` (built JavaScript). */
const STATIC_IMPORT = /(?:^|[\n;])\s*(?:import|export)\s+(?:[^"';]*?\s+from\s+)?["']([^"']+)["']/g;

function staticImports(file) {
  const found = [];
  for (const match of readFileSync(file, "utf8").matchAll(STATIC_IMPORT)) {
    if (match[1].startsWith(".")) found.push(resolve(dirname(file), match[1]));
  }
  return found;
}

/** `import("./x.js")`: a dynamic import of a relative literal specifier. */
const DYNAMIC_LITERAL = /\bimport\((["'])(\.\.?\/[^"'`$]+)\1\)/g;

/** Whether the code of `file` (not its comments) reads `import.meta`. */
function readsImportMeta(file) {
  const code = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(
    /^\s*\/\/.*$/gm,
    "",
  );
  return code.includes("import.meta");
}

/** A relative specifier from a module in `fromDir` to `file`. */
function specifier(fromDir, file) {
  const path = relative(fromDir, file).split("\\").join("/");
  return path.startsWith(".") ? path : `./${path}`;
}

/** The exported names of each of `files` (`export *` resolved), from a bundle of each. */
async function exportNames(files) {
  const result = await esbuild.build({
    entryPoints: files,
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "neutral",
    outdir: "/virtual",
    logLevel: "silent",
    plugins: [{
      name: "tw-external",
      setup(build) {
        build.onResolve(
          { filter: /.*/ },
          (args) =>
            args.kind === "dynamic-import" ||
              !args.path.startsWith(".") && args.kind !== "entry-point"
              ? { external: true }
              : undefined,
        );
      },
    }],
  });
  const names = new Map();
  for (const output of Object.values(result.metafile.outputs)) {
    if (output.entryPoint) names.set(resolve(output.entryPoint), output.exports);
  }
  return names;
}

/** `export * from` targets of `file`, in order. */
function starExports(file) {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/export\s*\*\s*from\s*["']([^"']+)["']/g)].map((m) =>
    resolve(dirname(file), m[1])
  );
}

const hidden = (index, name) => `__tw${index}_${name}`;

/**
 * Bundles the built package in `out`. `groups` are `{ name, dir, entries, apart?,
 * shared? }`, in order: each bundle takes the modules its entries import
 * statically that no earlier bundle took (with `shared`, only those two or more
 * entries import), except the `apart` ones and those importing them,
 * and is written to `<dir>/_bundle_<name>.js` (a module reading `import.meta.url`
 * must live in that folder, so its relative URLs hold).
 */
export async function bundlePackage(out, groups) {
  const owner = new Map(); // module file -> { bundleFile, index }
  const plans = [];
  for (const group of groups) {
    const bundleFile = join(out, group.dir, `_bundle_${group.name}.js`);
    const members = [];
    const reach = (entry) => {
      const found = new Set();
      const visit = (file) => {
        if (owner.has(file) || found.has(file)) return;
        found.add(file);
        for (const dep of staticImports(file)) visit(dep);
      };
      visit(join(out, entry));
      return found;
    };
    const reached = group.entries.map(reach);
    // `shared`: only the modules that two or more entries import.
    const seen = new Set(
      reached.flatMap((set) => [...set]).filter((file) =>
        !group.shared || reached.filter((set) => set.has(file)).length > 1
      ),
    );
    // A module with top-level await that imports a module of this bundle at run
    // time would wait for itself: such modules and all that import them stay out.
    const left = new Set((group.apart ?? []).map((file) => join(out, file)));
    for (let grew = true; grew;) {
      grew = false;
      for (const file of seen) {
        if (!left.has(file) && staticImports(file).some((dep) => left.has(dep))) {
          left.add(file);
          grew = true;
        }
      }
    }
    for (const file of seen) {
      if (left.has(file)) continue;
      owner.set(file, { bundleFile, index: members.length });
      members.push(file);
    }
    for (const file of members) {
      if (readsImportMeta(file) && dirname(file) !== dirname(bundleFile)) {
        throw new Error(
          `${relative(out, file)} reads import.meta: it cannot join ${relative(out, bundleFile)}`,
        );
      }
    }
    plans.push({ bundleFile, members });
  }
  const names = await exportNames([...owner.keys()]);
  // Two `export *` of one name are the same binding when the language allows
  // them (esbuild's list above has dropped any others), but a bundle cannot
  // tell two imports of it from another bundle apart: the later ones skip it.
  const shadowed = (importer, file) => {
    const stars = importer?.startsWith("/") ? starExports(importer) : [];
    const before = stars.slice(0, Math.max(0, stars.indexOf(file)));
    return new Set(before.flatMap((other) => names.get(other) ?? []));
  };

  const stubText = (file, fromDir, without = new Set()) => {
    const { bundleFile, index } = owner.get(file);
    const list = (names.get(file) ?? []).filter((name) => !without.has(name));
    const from = JSON.stringify(specifier(fromDir, bundleFile));
    if (list.length === 0) return `import ${from};\n`;
    const items = list.map((name) => `${hidden(index, name)} as ${name}`);
    return `export { ${items.join(", ")} } from ${from};\n`;
  };

  for (const plan of plans) {
    const bundleDir = dirname(plan.bundleFile);
    const entry = plan.members.map((file, index) => {
      const list = names.get(file) ?? [];
      const from = JSON.stringify(specifier(bundleDir, file));
      if (list.length === 0) return `import ${from};`;
      return `export { ${
        list.map((name) => `${name} as ${hidden(index, name)}`).join(", ")
      } } from ${from};`;
    }).join("\n");
    const mine = new Set(plan.members);
    await esbuild.build({
      stdin: { contents: entry, resolveDir: bundleDir, sourcefile: "_bundle_entry.js" },
      outfile: plan.bundleFile,
      bundle: true,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      sourcemap: true,
      // Class and function names are shown in logs and reprs; a bundle renames clashes.
      keepNames: true,
      logLevel: "warning",
      plugins: [{
        name: "tw-groups",
        setup(build) {
          build.onResolve({ filter: /.*/, namespace: "tw-stub" }, (args) => ({
            path: args.path,
            external: true,
          }));
          build.onResolve({ filter: /.*/ }, (args) => {
            if (args.kind === "entry-point") return undefined;
            if (!args.path.startsWith(".")) return { external: true };
            const file = resolve(args.resolveDir, args.path);
            if (mine.has(file)) return undefined;
            // A module of another bundle, imported statically: through that bundle's exports.
            if (owner.has(file) && args.kind !== "dynamic-import") {
              const without = [...shadowed(args.importer, file)];
              return { path: file, namespace: "tw-stub", suffix: `?${without.join(",")}` };
            }
            // A dynamic import, or a module in no bundle: its own file (a stub or real code).
            return { path: specifier(bundleDir, file), external: true };
          });
          build.onLoad({ filter: /.*/, namespace: "tw-stub" }, (args) => ({
            contents: stubText(args.path, bundleDir, new Set(args.suffix.slice(1).split(","))),
            loader: "js",
          }));
        },
      }],
    });
  }

  // Deno loads the whole graph under every import() of a literal specifier
  // before it runs anything: each runtime adapter, every plugin of `tw`. Made
  // opaque expressions (source map columns after one move by three), they load
  // when called, as on Node and Bun.
  for (const plan of plans) {
    const text = readFileSync(plan.bundleFile, "utf8");
    writeFileSync(plan.bundleFile, text.replace(DYNAMIC_LITERAL, "import(`$2`+'')"));
  }

  // Every bundled module's own file re-exports its part of its bundle.
  for (const [file] of owner) {
    writeFileSync(file, stubText(file, dirname(file)));
    rmSync(`${file}.map`, { force: true });
  }
  return plans.map((plan) => ({
    bundle: relative(out, plan.bundleFile),
    modules: plan.members.length,
  }));
}
