// ESLint flat config: @eslint/js and typescript-eslint `recommended` on every file, plus on TypeScript the
// three type-aware rules that catch real bugs in this code: a promise nobody awaits or handles, a promise
// where a plain callback is expected, `await` on something that is not a promise. The whole
// `recommendedTypeChecked` set costs about a third more time and, on this code, mostly flags async test
// doubles without an `await` (require-await) and deliberate `String(unknown)`s.
// No `--cache`: ESLint's cache does not see that a change in one file alters a type-aware finding in another.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/**', 'node_modules/**', '.tools/**', 'bench/out/**', 'test-results/**', 'test/fixtures/**'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // A leading underscore marks a parameter or binding kept on purpose (an interface's signature, a field
      // left out of a rest object).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      // This tool strips ANSI escapes and control characters from logs on purpose.
      'no-control-regex': 'off',
    },
  },
  // TypeScript: type information from tsconfig.json, for the promise rules.
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  // Plain JavaScript run by node: bin/, scripts/, bench/, examples/.
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // The jest and mocha examples use their runners' globals.
  {
    files: ['examples/jest/**'],
    languageOptions: { globals: { ...globals.jest } },
  },
  {
    files: ['examples/mocha/**'],
    languageOptions: { globals: { ...globals.mocha } },
  },
);
