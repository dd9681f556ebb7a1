/**
 * action.yml against its step script: every input the script reads is declared and handed to it, every
 * `${{ inputs.x }}` names a declared input, every `steps.<id>.outputs.y` is written by someone, and no
 * expression is pasted into a shell. What the step does is tested in test/integration/action.test.ts.
 *
 * The YAML is parsed with js-yaml, which is in node_modules through jest and mocha (not a dependency of
 * ours; none is added for this). The raw text is checked too, for what a parser normalises away.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TEXT = readFileSync(join(ROOT, 'action.yml'), 'utf8');
const SCRIPT_PATH = 'scripts/action/gather.sh';
const SCRIPT = readFileSync(join(ROOT, SCRIPT_PATH), 'utf8');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

interface ActionInput {
  readonly description?: string;
  readonly required?: boolean;
  readonly default?: string;
}
interface ActionStep {
  readonly id?: string;
  readonly name?: string;
  readonly if?: string;
  readonly shell?: string;
  readonly run?: string;
  readonly uses?: string;
  readonly env?: Record<string, string>;
  readonly with?: Record<string, string>;
  readonly 'continue-on-error'?: string | boolean;
}
interface Action {
  readonly name: string;
  readonly description: string;
  readonly inputs: Record<string, ActionInput>;
  readonly outputs: Record<string, { readonly description?: string; readonly value?: string }>;
  readonly runs: { readonly using: string; readonly steps: readonly ActionStep[] };
}

function loadYaml(text: string): unknown {
  let yaml: { load(text: string): unknown };
  try {
    yaml = createRequire(import.meta.url)('js-yaml') as typeof yaml;
  } catch (error) {
    throw new Error(`js-yaml is not in node_modules any more (it came with jest/mocha): ${String(error)}`, { cause: error });
  }
  return yaml.load(text);
}

const ACTION = loadYaml(TEXT) as Action;
const INPUTS = Object.keys(ACTION.inputs);
const STEPS = ACTION.runs.steps;
const gatherStep = STEPS.find((s) => s.id === 'gather');
const uploadStep = STEPS.find((s) => s.id === 'upload');

/** Every `${{ … }}` expression in the file (comments included: a stale name there misleads too). */
const EXPRESSIONS = [...TEXT.matchAll(/\$\{\{(.*?)\}\}/g)].map((m) => m[1]!);
const inputVariable = (name: string): string => `INPUT_${name.toUpperCase().replace(/-/g, '_')}`;

/** The outputs the CLI itself writes to $GITHUB_OUTPUT under Actions (src/render/github.ts). */
const CLI_OUTPUTS = ['dir', 'archive'];
/** upload-artifact@v4's inputs. */
const UPLOAD_ARTIFACT_INPUTS = ['name', 'path', 'if-no-files-found', 'retention-days', 'compression-level', 'overwrite', 'include-hidden-files'];

describe('action.yml', () => {
  it('is a composite action with a name, a description and described inputs and outputs', () => {
    expect(ACTION.name).toBe('must-gather');
    expect(ACTION.description).toBeTruthy();
    expect(ACTION.runs.using).toBe('composite');
    for (const [name, input] of Object.entries(ACTION.inputs)) {
      expect(name).toMatch(/^[a-z][a-z0-9-]*$/);
      expect(input.description, name).toBeTruthy();
      // The runner hands every input over as a string; a YAML boolean default would too, but say it plainly.
      if (input.default !== undefined) expect(typeof input.default, name).toBe('string');
    }
    // Descriptions are not expression contexts: the runner may refuse an action whose description holds one.
    for (const [name, input] of Object.entries(ACTION.inputs)) expect(input.description, name).not.toContain('${{');
    for (const [name, output] of Object.entries(ACTION.outputs)) {
      expect(output.description, name).toBeTruthy();
      expect(output.description, name).not.toContain('${{');
      expect(output.value, name).toMatch(/^\$\{\{ steps\.(gather|upload)\.outputs\.[a-z-]+ \}\}$/);
    }
  });

  it('declares the inputs and defaults the README documents', () => {
    expect(ACTION.inputs.service).toMatchObject({ required: true });
    expect(ACTION.inputs.service!.default).toBeUndefined();
    expect(ACTION.inputs).toMatchObject({
      components: { default: '' },
      archive: { default: 'true' },
      when: { default: 'always' },
      'fail-on-error': { default: 'false' },
      upload: { default: 'true' },
      'job-status': { default: '${{ job.status }}' },
    });
    for (const name of ['output-dir', 'args', 'artifact-name', 'retention-days', 'exit-code', 'cli-path', 'package']) expect(INPUTS).toContain(name);
    const section = README.slice(README.indexOf('## GitHub Action'));
    expect(section.length).toBeLessThan(README.length);
    for (const name of INPUTS) expect(section, `README's GitHub Action section names ${name}`).toContain(`\`${name}\``);
    for (const name of Object.keys(ACTION.outputs)) expect(section, `README's GitHub Action section names output ${name}`).toContain(`\`${name}\``);
  });

  it('every ${{ inputs.x }} names a declared input', () => {
    const used = EXPRESSIONS.flatMap((e) => [...e.matchAll(/\binputs\.([A-Za-z0-9_-]+)/g)].map((m) => m[1]!));
    expect(used.length).toBeGreaterThan(INPUTS.length);
    for (const name of used) expect(INPUTS, `inputs.${name}`).toContain(name);
    // inputs['x'] would dodge the check above.
    expect(TEXT).not.toMatch(/inputs\s*\[/);
  });

  it('the gather step runs the script with bash, every input as INPUT_<NAME> and nothing pasted into the shell', () => {
    expect(gatherStep).toBeDefined();
    expect(gatherStep!.shell).toBe('bash');
    expect(gatherStep!.run).toBe(`bash "$GITHUB_ACTION_PATH/${SCRIPT_PATH}"`);
    expect(existsSync(join(ROOT, SCRIPT_PATH))).toBe(true);
    for (const step of STEPS) if (step.run !== undefined) expect(step.run).not.toContain('${{');
    const env = gatherStep!.env ?? {};
    for (const name of INPUTS) expect(env[inputVariable(name)], inputVariable(name)).toBe(`\${{ inputs.${name} }}`);
    // Nothing else under INPUT_: each one is an input of the same name.
    for (const key of Object.keys(env).filter((k) => k.startsWith('INPUT_'))) expect(INPUTS.map(inputVariable)).toContain(key);
  });

  it('every INPUT_ variable the script reads is a declared input that the step sets; every other variable is the runner’s or set by the step', () => {
    const read = new Set([...SCRIPT.matchAll(/\$\{?(INPUT_[A-Z0-9_]+)/g)].map((m) => m[1]!));
    expect([...read].sort()).toEqual(INPUTS.map(inputVariable).sort());
    const env = gatherStep!.env ?? {};
    for (const variable of read) expect(env, variable).toHaveProperty(variable);
    const mg = new Set([...SCRIPT.matchAll(/\$\{?(MG_[A-Z0-9_]+)/g)].map((m) => m[1]!));
    for (const variable of mg) expect(env, variable).toHaveProperty(variable);
  });

  it('every steps.<id>.outputs.<name> used is written: dir and archive by the CLI, the rest by the script', () => {
    const written = new Set([...SCRIPT.matchAll(/^\s*set_output ([a-z-]+) /gm)].map((m) => m[1]!));
    expect([...written].sort()).toEqual(['artifact-name', 'exit-code', 'gathered', 'upload']);
    const used = EXPRESSIONS.flatMap((e) => [...e.matchAll(/\bsteps\.([a-z-]+)\.outputs\.([a-z-]+)/g)].map((m) => [m[1]!, m[2]!] as const));
    expect(used.length).toBeGreaterThan(0);
    for (const [step, output] of used) {
      expect(STEPS.map((s) => s.id), `step ${step}`).toContain(step);
      if (step === 'gather') expect([...written, ...CLI_OUTPUTS], `steps.gather.outputs.${output}`).toContain(output);
      else expect(['artifact-id', 'artifact-url'], `steps.upload.outputs.${output}`).toContain(output);
    }
  });

  it('uploads with actions/upload-artifact@v4 when the script says so, never failing the job unless fail-on-error', () => {
    expect(STEPS.map((s) => s.id)).toEqual(['gather', 'upload']);
    expect(uploadStep!.uses).toBe('actions/upload-artifact@v4');
    for (const key of Object.keys(uploadStep!.with ?? {})) expect(UPLOAD_ARTIFACT_INPUTS).toContain(key);
    expect(uploadStep!.with).toMatchObject({
      name: '${{ steps.gather.outputs.artifact-name }}',
      path: '${{ steps.gather.outputs.archive || steps.gather.outputs.dir }}',
      'retention-days': '${{ inputs.retention-days }}',
    });
    expect(uploadStep!.if).toContain("steps.gather.outputs.upload == 'true'");
    // After a failed gather step too (fail-on-error, an interrupted run): what was collected is uploaded.
    expect(uploadStep!.if).toMatch(/^\$\{\{ always\(\) && /);
    expect(uploadStep!['continue-on-error']).toBe("${{ inputs.fail-on-error != 'true' }}");
  });
});
