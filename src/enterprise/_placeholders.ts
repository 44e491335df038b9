/**
 * Placeholders: SQL may use `?` (DB-API's qmark style, `?NNN` numbered) or
 * `$1` (PostgreSQL's numeric style) on either driver; the pool rewrites them to
 * the style the driver takes. The scan skips string literals, quoted
 * identifiers, comments and PostgreSQL's dollar-quoted strings, so a `?` or a
 * `$1` inside them is left alone. Values are never put into the SQL.
 *
 * @module
 */
import { ProgrammingError } from "./_errors.ts";

/** The placeholder styles: `?` / `?NNN` ("qmark") and `$1` ("numeric"). */
export type ParamStyle = "qmark" | "numeric";

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isWord = (c: number): boolean =>
  isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c > 127;

/** Where a quoted part that starts at `i` ends (the index after it). */
function skipQuoted(sql: string, i: number): number {
  const c = sql[i];
  const close = c === "[" ? "]" : c;
  let j = i + 1;
  while (j < sql.length) {
    if (sql[j] === close) {
      // A doubled quote is an escaped quote, except for [brackets].
      if (close !== "]" && sql[j + 1] === close) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return sql.length;
}

/**
 * Rewrites the placeholders of `sql` into `style`. Mixing `?` and `$N` in one
 * statement is a `ProgrammingError`.
 */
export function convertPlaceholders(sql: string, style: ParamStyle): string {
  // The common cases need no rewriting: nothing of the other style appears.
  if (style === "qmark" ? !sql.includes("$") : !sql.includes("?")) return sql;
  let out = "";
  let last = 0;
  let next = 1; // the number the next bare ? stands for
  let sawQmark = false;
  let sawNumeric = false;
  let i = 0;
  while (i < sql.length) {
    const c = sql.charCodeAt(i);
    if (c === 39 || c === 34 || c === 96 || c === 91) { // ' " ` [
      i = skipQuoted(sql, i);
    } else if (c === 45 && sql.charCodeAt(i + 1) === 45) { // --
      const end = sql.indexOf("\n", i);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === 47 && sql.charCodeAt(i + 1) === 42) { // /*
      const end = sql.indexOf("*/", i + 2);
      i = end < 0 ? sql.length : end + 2;
    } else if (c === 63) { // ?
      let j = i + 1;
      while (j < sql.length && isDigit(sql.charCodeAt(j))) j++;
      sawQmark = true;
      if (style === "numeric") {
        const n = j > i + 1 ? sql.slice(i + 1, j) : String(next++);
        out += sql.slice(last, i) + "$" + n;
        last = j;
      }
      i = j;
    } else if (c === 36) { // $
      let j = i + 1;
      if (isDigit(sql.charCodeAt(j))) {
        while (j < sql.length && isDigit(sql.charCodeAt(j))) j++;
        sawNumeric = true;
        if (style === "qmark") {
          out += sql.slice(last, i) + "?" + sql.slice(i + 1, j);
          last = j;
        }
        i = j;
        continue;
      }
      // $tag$ ... $tag$: a dollar-quoted string (PostgreSQL).
      while (j < sql.length && isWord(sql.charCodeAt(j))) j++;
      if (sql[j] === "$" && (i === 0 || !isWord(sql.charCodeAt(i - 1)))) {
        const tag = sql.slice(i, j + 1);
        const end = sql.indexOf(tag, j + 1);
        i = end < 0 ? sql.length : end + tag.length;
      } else {
        i = j;
      }
    } else {
      i++;
    }
  }
  if (sawQmark && sawNumeric) {
    throw new ProgrammingError(
      "Cannot mix ? and $N placeholders in one statement: use one style",
    );
  }
  return last === 0 ? sql : out + sql.slice(last);
}
