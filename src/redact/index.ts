/** Redaction of logs and inspect JSON: what the rest of must-gather uses of `src/redact/`. */
export { REDACTION_MARKER, compileRedaction, parseRedactPattern, type CompiledRedaction } from './rules.js';
export { createRedactor } from './stream.js';
export { collectSecretLiterals, redactInspect } from './inspect.js';
