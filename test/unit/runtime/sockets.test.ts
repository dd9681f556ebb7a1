import { describe, expect, it } from 'vitest';
import { dockerContextHost, socketCandidates, type SocketCandidate } from '../../../src/runtime/sockets.js';

const HOME = '/home/tester';

// sha256 of the context names, as `docker context create` names the folders (printf %s NAME | sha256sum).
const COLIMA = 'f24fd3749c1368328e2b149bec149cb6795619f244c5b584e844961215dadd16';
const DESKTOP_LINUX = 'fe9c6bd7a66301f49ca9b6a70b217107cd1284598bfc254700c989b916da791e';

/** A readFile over in-memory files; records each path asked for. Missing files throw ENOENT. */
function files(contents: Readonly<Record<string, string>> = {}) {
  const read: string[] = [];
  const readFile = (path: string): string => {
    read.push(path);
    const text = contents[path];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
    return text;
  };
  return { read, readFile };
}

const meta = (name: string, host: string): string => JSON.stringify({ Name: name, Metadata: {}, Endpoints: { docker: { Host: host, SkipTLSVerify: false } } });

const ROOTFUL_PODMAN: SocketCandidate = { source: 'rootful podman socket', address: 'unix:///run/podman/podman.sock' };
const DOCKER: SocketCandidate = { source: 'docker socket', address: 'unix:///var/run/docker.sock' };
const DESKTOP: SocketCandidate = { source: 'Docker Desktop socket', address: `unix://${HOME}/.docker/run/docker.sock` };
const ROOTLESS_PODMAN: SocketCandidate = { source: 'rootless podman socket', address: 'unix:///run/user/1000/podman/podman.sock' };
const ROOTLESS_DOCKER: SocketCandidate = { source: 'rootless docker socket', address: 'unix:///run/user/1000/docker.sock' };

function candidates(env: NodeJS.ProcessEnv, contents: Readonly<Record<string, string>> = {}): SocketCandidate[] {
  return socketCandidates({ env, homedir: HOME, readFile: files(contents).readFile });
}

describe('socketCandidates', () => {
  it('with an empty env: rootful podman, docker, Docker Desktop', () => {
    expect(candidates({})).toEqual([ROOTFUL_PODMAN, DOCKER, DESKTOP]);
  });

  it('with XDG_RUNTIME_DIR: the rootless sockets after their rootful ones', () => {
    expect(candidates({ XDG_RUNTIME_DIR: '/run/user/1000' })).toEqual([ROOTFUL_PODMAN, ROOTLESS_PODMAN, DOCKER, DESKTOP, ROOTLESS_DOCKER]);
  });

  it('puts CONTAINER_HOST then DOCKER_HOST first', () => {
    expect(candidates({ DOCKER_HOST: 'tcp://10.0.0.5:2375', CONTAINER_HOST: 'unix:///tmp/podman.sock' })).toEqual([
      { source: 'CONTAINER_HOST', address: 'unix:///tmp/podman.sock' },
      { source: 'DOCKER_HOST', address: 'tcp://10.0.0.5:2375' },
      ROOTFUL_PODMAN,
      DOCKER,
      DESKTOP,
    ]);
  });

  it('keeps each address once, under its first (strongest) source', () => {
    expect(
      candidates({
        CONTAINER_HOST: 'unix:///run/podman/podman.sock',
        DOCKER_HOST: 'unix:///run/user/1000/docker.sock',
        XDG_RUNTIME_DIR: '/run/user/1000',
      }),
    ).toEqual([
      { source: 'CONTAINER_HOST', address: 'unix:///run/podman/podman.sock' },
      { source: 'DOCKER_HOST', address: 'unix:///run/user/1000/docker.sock' },
      ROOTLESS_PODMAN,
      DOCKER,
      DESKTOP,
    ]);
  });

  it('CONTAINER_HOST and DOCKER_HOST naming the same socket give one candidate that names both', () => {
    expect(candidates({ CONTAINER_HOST: 'unix:///var/run/docker.sock', DOCKER_HOST: 'unix:///var/run/docker.sock' })).toEqual([
      { source: 'CONTAINER_HOST and DOCKER_HOST', address: 'unix:///var/run/docker.sock' },
      ROOTFUL_PODMAN,
      DESKTOP,
    ]);
  });

  it('ignores empty variables', () => {
    expect(candidates({ CONTAINER_HOST: '', DOCKER_HOST: '', XDG_RUNTIME_DIR: '', DOCKER_CONTEXT: '' })).toEqual([ROOTFUL_PODMAN, DOCKER, DESKTOP]);
  });

  it('puts the docker context after DOCKER_HOST and before the default sockets', () => {
    const contents = {
      [`${HOME}/.docker/config.json`]: JSON.stringify({ auths: {}, currentContext: 'colima' }),
      [`${HOME}/.docker/contexts/meta/${COLIMA}/meta.json`]: meta('colima', `unix://${HOME}/.colima/default/docker.sock`),
    };
    expect(candidates({ DOCKER_HOST: 'tcp://10.0.0.5:2375' }, contents)).toEqual([
      { source: 'DOCKER_HOST', address: 'tcp://10.0.0.5:2375' },
      { source: 'docker context "colima"', address: `unix://${HOME}/.colima/default/docker.sock` },
      ROOTFUL_PODMAN,
      DOCKER,
      DESKTOP,
    ]);
  });

  it('a docker context naming a default socket takes its place in the order', () => {
    const contents = {
      [`${HOME}/.docker/config.json`]: JSON.stringify({ currentContext: 'desktop-linux' }),
      [`${HOME}/.docker/contexts/meta/${DESKTOP_LINUX}/meta.json`]: meta('desktop-linux', DESKTOP.address),
    };
    expect(candidates({}, contents)).toEqual([{ source: 'docker context "desktop-linux"', address: DESKTOP.address }, ROOTFUL_PODMAN, DOCKER]);
  });

  it('reads the docker config from the given homedir only', () => {
    const f = files();
    socketCandidates({ env: {}, homedir: HOME, readFile: f.readFile });
    expect(f.read).toEqual([`${HOME}/.docker/config.json`]);
  });
});

describe('dockerContextHost', () => {
  it('reads the current context from config.json and its endpoint from the sha256-named meta folder', () => {
    const f = files({
      [`${HOME}/.docker/config.json`]: JSON.stringify({ currentContext: 'colima' }),
      [`${HOME}/.docker/contexts/meta/${COLIMA}/meta.json`]: meta('colima', 'unix:///Users/t/.colima/default/docker.sock'),
    });
    expect(dockerContextHost({ env: {}, homedir: HOME, readFile: f.readFile })).toEqual({ name: 'colima', host: 'unix:///Users/t/.colima/default/docker.sock' });
    expect(f.read).toEqual([`${HOME}/.docker/config.json`, `${HOME}/.docker/contexts/meta/${COLIMA}/meta.json`]);
  });

  it('DOCKER_CONTEXT overrides config.json, which is then not read', () => {
    const f = files({
      [`${HOME}/.docker/config.json`]: JSON.stringify({ currentContext: 'colima' }),
      [`${HOME}/.docker/contexts/meta/${COLIMA}/meta.json`]: meta('colima', 'unix:///colima.sock'),
      [`${HOME}/.docker/contexts/meta/${DESKTOP_LINUX}/meta.json`]: meta('desktop-linux', 'unix:///desktop.sock'),
    });
    expect(dockerContextHost({ env: { DOCKER_CONTEXT: 'desktop-linux' }, homedir: HOME, readFile: f.readFile })).toEqual({
      name: 'desktop-linux',
      host: 'unix:///desktop.sock',
    });
    expect(f.read).toEqual([`${HOME}/.docker/contexts/meta/${DESKTOP_LINUX}/meta.json`]);
  });

  it('DOCKER_CONFIG moves the config folder', () => {
    const f = files({
      '/etc/dockercfg/config.json': JSON.stringify({ currentContext: 'colima' }),
      [`/etc/dockercfg/contexts/meta/${COLIMA}/meta.json`]: meta('colima', 'tcp://10.1.1.1:2375'),
    });
    expect(dockerContextHost({ env: { DOCKER_CONFIG: '/etc/dockercfg' }, homedir: HOME, readFile: f.readFile })).toEqual({
      name: 'colima',
      host: 'tcp://10.1.1.1:2375',
    });
  });

  it('"default" yields none, from config.json or from DOCKER_CONTEXT', () => {
    const f = files({ [`${HOME}/.docker/config.json`]: JSON.stringify({ currentContext: 'default' }) });
    expect(dockerContextHost({ env: {}, homedir: HOME, readFile: f.readFile })).toBeNull();
    expect(f.read).toEqual([`${HOME}/.docker/config.json`]);
    const g = files({ [`${HOME}/.docker/config.json`]: JSON.stringify({ currentContext: 'colima' }) });
    expect(dockerContextHost({ env: { DOCKER_CONTEXT: 'default' }, homedir: HOME, readFile: g.readFile })).toBeNull();
    expect(g.read).toEqual([]);
  });

  it.each([
    ['no config.json', {}],
    ['config.json that is not JSON', { [`${HOME}/.docker/config.json`]: '{ nope' }],
    ['config.json without currentContext', { [`${HOME}/.docker/config.json`]: JSON.stringify({ auths: {} }) }],
    ['a context without its meta folder', { [`${HOME}/.docker/config.json`]: JSON.stringify({ currentContext: 'colima' }) }],
    [
      'meta.json that is not JSON',
      { [`${HOME}/.docker/config.json`]: JSON.stringify({ currentContext: 'colima' }), [`${HOME}/.docker/contexts/meta/${COLIMA}/meta.json`]: '' },
    ],
    [
      'meta.json without a docker endpoint',
      {
        [`${HOME}/.docker/config.json`]: JSON.stringify({ currentContext: 'colima' }),
        [`${HOME}/.docker/contexts/meta/${COLIMA}/meta.json`]: JSON.stringify({ Name: 'colima', Endpoints: {} }),
      },
    ],
    [
      'meta.json with an empty Host',
      {
        [`${HOME}/.docker/config.json`]: JSON.stringify({ currentContext: 'colima' }),
        [`${HOME}/.docker/contexts/meta/${COLIMA}/meta.json`]: meta('colima', ''),
      },
    ],
  ])('yields none for %s', (_label, contents) => {
    expect(dockerContextHost({ env: {}, homedir: HOME, readFile: files(contents).readFile })).toBeNull();
  });
});
