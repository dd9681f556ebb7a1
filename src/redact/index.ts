/** Redaction of logs and inspect JSON: the public surface of `src/redact/`. */
export {
  BUILTIN_REACH,
  MIN_LITERAL_LENGTH,
  REDACTION_MARKER,
  RULE_IDS,
  compileRedaction,
  isLiteralSourceName,
  isSecretEnvName,
  parseRedactPattern,
  usableLiterals,
  type CompiledRedaction,
  type RedactOptions,
  type RedactionCounts,
  type RuleId,
} from './rules.js';
export {
  DEFAULT_BATCH_BYTES,
  RedactionEngine,
  Redactor,
  SEGMENT_MAX,
  createRedactor,
  redactBuffer,
  type RedactorTuning,
} from './stream.js';
export { collectSecretLiterals, redactInspect, type InspectRedaction } from './inspect.js';
