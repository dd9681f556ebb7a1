import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A place an Engine API may answer, and where that place came from. */
export interface SocketCandidate {
  /** e.g. `DOCKER_HOST`, `docker context "colima"`, `default podman socket`. */
  readonly source: string;
  /** `unix:///…`, `tcp://…`, `ssh://…`. */
  readonly address: string;
}

export interface SocketSearch {
  readonly env: NodeJS.ProcessEnv;
  readonly homedir: string;
  readonly readFile?: (path: string) => string;
}

/** The docker CLI's current context's endpoint, as `docker context use` records it; null for "default". */
export function dockerContextHost({ env, homedir, readFile = (p) => readFileSync(p, 'utf8') }: SocketSearch): { name: string; host: string } | null {
  const configDir = env.DOCKER_CONFIG || join(homedir, '.docker');
  let name = env.DOCKER_CONTEXT;
  if (!name) {
    try {
      name = (JSON.parse(readFile(join(configDir, 'config.json'))) as { currentContext?: string }).currentContext;
    } catch {
      return null;
    }
  }
  if (!name || name === 'default') return null;
  // Contexts live under a folder named by the sha256 of the context name.
  const digest = createHash('sha256').update(name).digest('hex');
  try {
    const meta = JSON.parse(readFile(join(configDir, 'contexts', 'meta', digest, 'meta.json'))) as {
      Endpoints?: { docker?: { Host?: string } };
    };
    const host = meta.Endpoints?.docker?.Host;
    return host ? { name, host } : null;
  } catch {
    return null;
  }
}

/** Whether a candidate's source is a place the user named (CONTAINER_HOST, DOCKER_HOST, a docker context), not a default path. */
export function userNamed(source: string): boolean {
  return /^(CONTAINER_HOST|DOCKER_HOST|docker context)/.test(source);
}

/**
 * Where to look for an Engine API, in order: what the user pointed at (CONTAINER_HOST, DOCKER_HOST, the
 * docker context), then podman's sockets, then docker's. Each is confirmed by a real `_ping` before use.
 */
export function socketCandidates(search: SocketSearch): SocketCandidate[] {
  const { env, homedir } = search;
  const list: SocketCandidate[] = [];
  if (env.CONTAINER_HOST) list.push({ source: 'CONTAINER_HOST', address: env.CONTAINER_HOST });
  if (env.DOCKER_HOST) list.push({ source: 'DOCKER_HOST', address: env.DOCKER_HOST });
  const context = dockerContextHost(search);
  if (context) list.push({ source: `docker context "${context.name}"`, address: context.host });
  list.push({ source: 'rootful podman socket', address: 'unix:///run/podman/podman.sock' });
  if (env.XDG_RUNTIME_DIR) list.push({ source: 'rootless podman socket', address: `unix://${join(env.XDG_RUNTIME_DIR, 'podman', 'podman.sock')}` });
  list.push({ source: 'docker socket', address: 'unix:///var/run/docker.sock' });
  list.push({ source: 'Docker Desktop socket', address: `unix://${join(homedir, '.docker', 'run', 'docker.sock')}` });
  if (env.XDG_RUNTIME_DIR) list.push({ source: 'rootless docker socket', address: `unix://${join(env.XDG_RUNTIME_DIR, 'docker.sock')}` });
  // One probe per address; a place the user named twice (CONTAINER_HOST and DOCKER_HOST alike) says so.
  const unique: SocketCandidate[] = [];
  for (const candidate of list) {
    const index = unique.findIndex((o) => o.address === candidate.address);
    const first = unique[index];
    if (first === undefined) unique.push(candidate);
    else if (userNamed(candidate.source)) unique[index] = { ...first, source: `${first.source} and ${candidate.source}` };
  }
  return unique;
}
