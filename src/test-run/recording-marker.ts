/*
 * Record mode and snapshot mode must not both keep the same run: a suite recorded from its setup hook (or
 * wrapped in `must-gather record`) that also has the snapshot reporter or an `--if-failed` step would get two
 * folders of the same containers. The recording says so in the environment — the one place the runner's
 * other modules, its worker processes and the commands it spawns all see — and the snapshot entry points
 * skip a service that is being recorded.
 */

/** Services being recorded, separated by spaces (service names have none). */
export const RECORDING_ENV = 'MUST_GATHER_RECORDING';

function recordedServices(env: NodeJS.ProcessEnv): string[] {
  return (env[RECORDING_ENV] ?? '').split(' ').filter((s) => s !== '');
}

/** Whether `service` is being recorded, as `env` says. */
export function isRecorded(service: string, env: NodeJS.ProcessEnv): boolean {
  return recordedServices(env).includes(service);
}

/**
 * Say in `env` that `service` is being recorded; returns the function that takes it back (once), leaving
 * any other service's mark as it is.
 */
export function markRecording(service: string, env: NodeJS.ProcessEnv): () => void {
  env[RECORDING_ENV] = [...recordedServices(env), service].join(' ');
  let done = false;
  return () => {
    if (done) return;
    done = true;
    const rest = recordedServices(env);
    const at = rest.indexOf(service);
    if (at >= 0) rest.splice(at, 1);
    if (rest.length > 0) env[RECORDING_ENV] = rest.join(' ');
    else delete env[RECORDING_ENV];
  };
}
