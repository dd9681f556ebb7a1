/*
 * A docker daemon restarted in the middle of a recording. Never the system's dockerd (other suites use it):
 * a private one, with its own data root, exec root, pidfile, socket and bridge, no iptables, started for this
 * file and stopped after it whatever happens.
 * Not `--bridge=none`: a dockerd started with it deletes the host's docker0, the system daemon's bridge
 * (moby removes the default bridge interface when the bridge is disabled), and every container the system
 * dockerd starts after that fails.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithEngine, tempDir, TEST_IMAGE, uniqueService } from '../helpers/engines.js';
import { BIN } from '../helpers/run-cli.js';
import { recordedFolder } from '../helpers/recording.js';

const root = tempDir('mgt-dockerd-');
/** The private daemon's own bridge (at most 15 characters), made and removed here. */
const BRIDGE = `mgtbr${process.pid % 100000}`;
const sock = join(root, 'docker.sock');
const host = `unix://${sock}`;
let daemon: ChildProcess | null = null;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startDaemon(): Promise<void> {
  const args = ['--data-root', join(root, 'data'), '--exec-root', join(root, 'exec'), '--pidfile', join(root, 'pid'), '-H', host, `--bridge=${BRIDGE}`, '--iptables=false', '--ip6tables=false'];
  daemon = spawn('dockerd', args, { stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    if (spawnSync('docker', ['-H', host, 'version'], { stdio: 'ignore' }).status === 0) return;
    await sleep(100);
  }
  throw new Error('the private dockerd did not answer');
}

async function stopDaemon(): Promise<void> {
  const d = daemon;
  daemon = null;
  if (!d || d.exitCode !== null) return;
  const exited = new Promise((resolve) => d.once('exit', resolve));
  d.kill('SIGTERM');
  const timer = setTimeout(() => d.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 600 && !existsSync(path); i++) await sleep(50);
}

describeWithEngine('docker', 'record: the docker daemon restarts mid-run', () => {
  beforeAll(async () => {
    mkdirSync(join(root, 'data'), { recursive: true });
    const bridge = spawnSync('sh', ['-c', `ip link add ${BRIDGE} type bridge && ip addr add 10.213.${process.pid % 250}.1/24 dev ${BRIDGE} && ip link set ${BRIDGE} up`], { encoding: 'utf8' });
    if (bridge.status !== 0) throw new Error(`making the private daemon's bridge ${BRIDGE}: ${bridge.stderr}`);
    await startDaemon();
    const load = spawnSync('sh', ['-c', `docker save ${TEST_IMAGE} | docker -H ${host} load`], { encoding: 'utf8' });
    if (load.status !== 0) throw new Error(`loading the test image into the private dockerd: ${load.stderr}`);
  }, 120_000);
  afterAll(async () => {
    spawnSync('sh', ['-c', `docker -H ${host} rm -f $(docker -H ${host} ps -aq) 2>/dev/null`], { stdio: 'ignore' });
    await stopDaemon();
    spawnSync('ip', ['link', 'delete', BRIDGE], { stdio: 'ignore' });
  }, 60_000);

  it('keeps recording: the gap is in the manifest, every run of the container in one log, no line twice or lost', async () => {
    const service = uniqueService('mgtrec');
    const dir = tempDir();
    const out = join(dir, 'out');
    const ready = join(dir, 'ready');
    const restarted = join(dir, 'restarted');
    const script = join(dir, 'suite.sh');
    // Each run of the container has its own tag; its lines count from 0, one every 50 ms.
    writeFileSync(
      script,
      `#!/bin/sh
docker run -d --network none --restart always --name ${service}_svc ${TEST_IMAGE} sh -c 'r=$(cut -c1-8 /proc/sys/kernel/random/uuid); i=0; while true; do echo "$r $i"; i=$((i+1)); sleep 0.05; done' >/dev/null
sleep 1
touch ${ready}
while [ ! -f ${restarted} ]; do sleep 0.1; done
sleep 1
docker rm -f ${service}_svc >/dev/null
exit 1
`,
      { mode: 0o755 },
    );
    const env = { ...process.env, NO_COLOR: '1', DOCKER_HOST: host };
    const child = spawn(process.execPath, [BIN, 'record', service, '-o', out, '--runtime', 'docker', '--', script], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await waitFor(ready);
    await stopDaemon();
    await sleep(500);
    await startDaemon();
    writeFileSync(restarted, '');
    expect(await closed, stderr).toBe(1);

    const f = recordedFolder(out, service);
    const gaps = f.manifest.gaps ?? [];
    expect(gaps.some((g) => g.engine === 'docker' && g.container === undefined && g.from < g.to), JSON.stringify(gaps)).toBe(true);
    const svc = f.instance('svc');
    expect(svc?.error).toBeNull();
    expect(svc?.restartCount).toBeGreaterThanOrEqual(0);
    const lines = f.read(`${service}_svc.log`).trimEnd().split('\n');
    const runs = new Map<string, number[]>();
    for (const line of lines) {
      const [tag, n] = line.split(' ');
      runs.set(tag as string, [...(runs.get(tag as string) ?? []), Number(n)]);
    }
    // The run the daemon's stop ended and the one it started again at its start: each complete, once.
    expect(runs.size, lines.slice(0, 5).join('|')).toBe(2);
    for (const [tag, counts] of runs) expect(counts, tag).toEqual(counts.map((_, i) => i));
    expect(Math.min(...[...runs.values()].map((c) => c.length))).toBeGreaterThan(5);
  }, 180_000);
});
