// Types of scripts/doc_audit.mjs, for the tests that import it.
/** What the docs lack, each entry "file:line Name" or "file:line Name.member". */
export interface AuditResult {
  missingExamples: string[];
  privateMembers: string[];
}
/** The doc nodes of every entry point, from `deno doc --json`. */
export function readDocs(): unknown;
/** Lists what the docs lack. */
export function audit(docs: unknown): AuditResult;
