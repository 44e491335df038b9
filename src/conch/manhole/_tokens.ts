/**
 * A small JavaScript tokenizer for the manhole: enough to color input as it
 * is typed, to tell a complete statement from one that continues on the
 * next line (open brackets, strings, templates, comments), and to find the
 * top-level declarations and the last statement.
 * Private: re-exported by `mod.ts`.
 * @module
 */

/** A token's kind. */
export type TokenType =
  | "keyword"
  | "literal"
  | "identifier"
  | "number"
  | "string"
  | "template"
  | "regex"
  | "comment"
  | "punctuation"
  | "space";

/** A token: its kind, text, start offset and bracket depth before it. */
export interface Token {
  /** The kind. */
  type: TokenType;
  /** The source text. */
  text: string;
  /** Where it starts in the source. */
  start: number;
  /** How many brackets are open before it. */
  depth: number;
}

/** What `tokenize` found. */
export interface Tokenized {
  /** The tokens, spaces and comments included. */
  tokens: Token[];
  /** Brackets open at the end (negative: too many closed). */
  depth: number;
  /** Whether a template or a block comment is open at the end. */
  unterminated: boolean;
}

const KEYWORDS = new Set(
  ("await break case catch class const continue debugger default delete do else export " +
    "extends finally for function if import in instanceof let new of return static super " +
    "switch this throw try typeof var void while with yield async")
    .split(" "),
);
const LITERALS = new Set(["true", "false", "null", "undefined", "NaN", "Infinity"]);
const REGEX_AFTER_KEYWORDS = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "await",
  "yield",
]);

/**
 * Splits JavaScript source into tokens, tracking bracket depth.
 *
 * @example
 * ```ts
 * import { tokenize } from "@tw/core/conch/manhole";
 * const { tokens, depth } = tokenize("if (x) {");
 * console.log(tokens.filter((t) => t.type === "keyword").map((t) => t.text), depth); // ["if"] 1
 * ```
 */
export function tokenize(source: string): Tokenized {
  const tokens: Token[] = [];
  let depth = 0;
  let unterminated = false;
  // Template literals nest: each entry is the bracket depth at which a `${` opened.
  const templateStack: number[] = [];
  let i = 0;
  const n = source.length;
  const lastSignificant = (): Token | undefined => {
    for (let k = tokens.length - 1; k >= 0; k--) {
      if (tokens[k].type !== "space" && tokens[k].type !== "comment") return tokens[k];
    }
    return undefined;
  };
  const push = (type: TokenType, start: number, end: number, at = depth) =>
    tokens.push({ type, text: source.slice(start, end), start, depth: at });

  const readTemplate = (start: number): void => {
    // From just after ` or }, to the closing ` or a ${.
    let j = start;
    while (j < n) {
      const c = source[j];
      if (c === "\\") {
        j += 2;
        continue;
      }
      if (c === "`") {
        push("template", i, j + 1);
        i = j + 1;
        return;
      }
      if (c === "$" && source[j + 1] === "{") {
        push("template", i, j + 2);
        templateStack.push(depth);
        depth++;
        i = j + 2;
        return;
      }
      j++;
    }
    push("template", i, n);
    unterminated = true;
    i = n;
  };

  while (i < n) {
    const c = source[i];
    const start = i;
    if (/\s/.test(c)) {
      while (i < n && /\s/.test(source[i])) i++;
      push("space", start, i);
    } else if (c === "/" && source[i + 1] === "/") {
      while (i < n && source[i] !== "\n") i++;
      push("comment", start, i);
    } else if (c === "/" && source[i + 1] === "*") {
      const end = source.indexOf("*/", i + 2);
      if (end < 0) unterminated = true;
      i = end < 0 ? n : end + 2;
      push("comment", start, i);
    } else if (c === "'" || c === '"') {
      i++;
      while (i < n && source[i] !== c && source[i] !== "\n") i += source[i] === "\\" ? 2 : 1;
      // An unclosed quote is a syntax error, not a reason to read more lines.
      if (i < n && source[i] !== "\n") i++;
      push("string", start, Math.min(i, n));
    } else if (c === "`") {
      readTemplate(i + 1);
    } else if (c === "}" && templateStack.length > 0 && templateStack.at(-1) === depth - 1) {
      templateStack.pop();
      depth--;
      readTemplate(i + 1);
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(source[i + 1] ?? ""))) {
      while (i < n && /[0-9a-zA-Z_.]/.test(source[i])) i++;
      push("number", start, i);
    } else if (/[A-Za-z_$\u0080-\uffff]/.test(c)) {
      while (i < n && /[\w$\u0080-\uffff]/.test(source[i])) i++;
      const word = source.slice(start, i);
      push(
        KEYWORDS.has(word) ? "keyword" : LITERALS.has(word) ? "literal" : "identifier",
        start,
        i,
      );
    } else if (c === "/" && regexAllowed(lastSignificant())) {
      i++;
      let inClass = false;
      while (i < n && source[i] !== "\n") {
        const d = source[i];
        if (d === "\\") i++;
        else if (d === "[") inClass = true;
        else if (d === "]") inClass = false;
        else if (d === "/" && !inClass) break;
        i++;
      }
      if (i < n && source[i] !== "\n") i++;
      while (i < n && /[a-z]/.test(source[i])) i++;
      push("regex", start, Math.min(i, n));
    } else if ("([{".includes(c)) {
      push("punctuation", start, ++i);
      depth++;
    } else if (")]}".includes(c)) {
      depth--;
      push("punctuation", start, ++i);
    } else {
      i++;
      while (i < n && /[=<>!&|?+\-*%^.]/.test(source[i]) && /[=<>!&|?+\-*%^.]/.test(c)) i++;
      push("punctuation", start, i);
    }
  }
  if (templateStack.length > 0) unterminated = true;
  return { tokens, depth, unterminated };
}

function regexAllowed(previous: Token | undefined): boolean {
  if (previous === undefined) return true;
  if (previous.type === "keyword") return REGEX_AFTER_KEYWORDS.has(previous.text);
  if (previous.type === "punctuation") return !")]}".includes(previous.text);
  return false;
}

/**
 * Whether `source` needs more lines: a bracket, template or block comment is
 * still open.
 *
 * @example
 * ```ts
 * import { isIncomplete } from "@tw/core/conch/manhole";
 * console.log(isIncomplete("function f() {"), isIncomplete("f()")); // true false
 * ```
 */
export function isIncomplete(source: string): boolean {
  const { depth, unterminated } = tokenize(source);
  return depth > 0 || unterminated;
}
