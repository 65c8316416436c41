import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JackRigError } from './errors.js';
import { jackEnv, runCommand } from './exec.js';
import { ManagedProcess, sleep } from './process.js';
import { JackServer, positiveInteger, serverName } from './server.js';

/**
 * Where Debian's pipewire-jack puts PipeWire's libjack, as its `pw-jack` wrapper says it: the
 * loader expands `$LIB` (lib/x86_64-linux-gnu on amd64), so JACK programs load it instead of
 * jackd2's.
 */
export const PIPEWIRE_JACK_LIBRARY_PATH = '/usr/${LIB}/pipewire-0.3/jack';

/**
 * A headless PipeWire graph: a stereo sound card without hardware, reached through PipeWire's
 * JACK.
 */
export interface PipeWireServerOptions {
  /**
   * The daemon's socket name, which JACK clients give as the server name (`-s`,
   * `--jack-server`); a name PipeWire's libjack mishandles gets a character more (server.name).
   */
  name: string;
  /** Hz; default 48000: the graph's one rate (default.clock.rate). */
  sampleRate?: number;
  /** The quantum, fixed (min = max): JACK's period. Default 256. */
  periodFrames?: number;
  /** How long PipeWire may take to accept JACK clients; default 10 s. */
  startTimeoutMs?: number;
}

const READY_POLL_MS = 50;

/**
 * PipeWire 0.3.65's libjack corrupts its heap when a client names a server of 24, 40, 56 …
 * characters (glibc aborts: "malloc assertion failure in sysmalloc"), so such a name gets one
 * more character; use the server's `name`, not the one asked for.
 */
function nameLibjackSurvives(name: string): string {
  return name.length >= 24 && name.length % 16 === 8 ? `${name}0` : name;
}

/** What to install when PipeWire or its JACK is missing. */
export const PIPEWIRE_INSTALL_HINT = 'apt-get install pipewire pipewire-bin pipewire-jack';

/**
 * The whole configuration: no session manager, no D-Bus, no ALSA. A null sink drives the graph
 * on its timer (what jackd's dummy driver is), an audiotestsrc (stereo only) gives the capture
 * ports; both are `port.physical`, so PipeWire's JACK lists system:capture_1/2 and
 * system:playback_1/2 as jackd's dummy driver does. The `default` metadata object is where
 * PipeWire's JACK keeps metadata (pretty names); a session manager would otherwise make it.
 */
function configuration(name: string, rate: number, quantum: number): string {
  const ports =
    'adapter.auto-port-config = { mode = dsp monitor = false control = false position = unknown }';
  return `context.properties = {
  core.daemon = true
  core.name = ${name}
  default.clock.rate = ${rate}
  default.clock.allowed-rates = [ ${rate} ]
  default.clock.quantum = ${quantum}
  default.clock.min-quantum = ${quantum}
  default.clock.max-quantum = ${quantum}
}
context.spa-libs = {
  audio.convert.* = audioconvert/libspa-audioconvert
  support.* = support/libspa-support
  audiotestsrc = audiotestsrc/libspa-audiotestsrc
}
context.modules = [
  { name = libpipewire-module-protocol-native }
  { name = libpipewire-module-metadata }
  { name = libpipewire-module-spa-node-factory }
  { name = libpipewire-module-client-node }
  { name = libpipewire-module-access }
  { name = libpipewire-module-adapter }
  { name = libpipewire-module-link-factory }
]
context.objects = [
  { factory = metadata args = { metadata.name = default } }
  { factory = adapter args = {
      factory.name = support.null-audio-sink node.name = system-playback node.description = system
      media.class = Audio/Sink audio.position = [ AUX0 AUX1 ] ${ports}
      node.driver = true priority.driver = 20000 port.physical = true } }
  { factory = adapter args = {
      factory.name = audiotestsrc node.name = system-capture node.description = system
      media.class = Audio/Source audio.position = [ AUX0 AUX1 ] ${ports}
      port.physical = true } }
]
`;
}

/**
 * Starts `pipewire` on a configuration of its own in a fresh runtime folder (its
 * XDG_RUNTIME_DIR, where its socket is) and resolves once PipeWire's JACK lists its ports.
 */
export async function startPipeWireServer(options: PipeWireServerOptions): Promise<PipeWireServer> {
  const name = nameLibjackSurvives(serverName(options.name));
  const sampleRate = positiveInteger('sampleRate', options.sampleRate ?? 48_000, 768_000);
  const periodFrames = positiveInteger('periodFrames', options.periodFrames ?? 256, 8192);
  const runtimeDir = await mkdtemp(join(tmpdir(), 'syfala-pipewire-'));
  const config = join(runtimeDir, 'pipewire.conf');
  await writeFile(config, configuration(name, sampleRate, periodFrames));
  const child = new ManagedProcess('pipewire', ['-c', config], {
    env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir, PIPEWIRE_RUNTIME_DIR: runtimeDir },
  });
  const server = new PipeWireServer(name, sampleRate, periodFrames, child, runtimeDir);

  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const probe = child.exit
      ? undefined
      : await runCommand('jack_lsp', ['-s', name], { env: server.env(), timeoutMs: 2_000 }).catch(
          async (error: unknown) => {
            await server.stop();
            throw error;
          },
        );
    if (probe?.stdout.includes('system:playback_1') === true) return server;
    if (child.exit || Date.now() > deadline) {
      await server.stop();
      if (child.spawnError instanceof JackRigError) {
        throw new JackRigError('JACK_MISSING', `pipewire: not found (${PIPEWIRE_INSTALL_HINT})`);
      }
      throw new JackRigError(
        'START_FAILED',
        `pipewire ${name}: not accepting JACK clients after ${timeoutMs} ms (exit ` +
          `${child.exit?.code ?? child.exit?.signal ?? 'none'}); pipewire said: ` +
          `${child.tail() || '(nothing)'}; jack_lsp said: ${probe?.stderr.trim() || '(nothing)'}`,
      );
    }
    await sleep(READY_POLL_MS);
  }
}

/** A running headless PipeWire, driven like a JackServer: its tools run on PipeWire's JACK. */
export class PipeWireServer extends JackServer {
  /** The daemon's XDG_RUNTIME_DIR (its socket, its configuration); removed at stop. */
  readonly runtimeDir: string;

  constructor(
    name: string,
    sampleRate: number,
    periodFrames: number,
    process: ManagedProcess,
    runtimeDir: string,
  ) {
    super(name, sampleRate, periodFrames, process);
    this.runtimeDir = runtimeDir;
  }

  /** A JACK client's environment here: PipeWire's libjack, this daemon's socket. */
  override env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const inherited = process.env['LD_LIBRARY_PATH'];
    return jackEnv(this.name, {
      XDG_RUNTIME_DIR: this.runtimeDir,
      PIPEWIRE_RUNTIME_DIR: this.runtimeDir,
      PIPEWIRE_REMOTE: this.name,
      LD_LIBRARY_PATH: [PIPEWIRE_JACK_LIBRARY_PATH, inherited].filter(Boolean).join(':'),
      ...extra,
    });
  }

  /** SIGTERM (SIGKILL after timeoutMs) to the daemon, which starts no children here; then its folder. */
  protected override async halt(timeoutMs: number): Promise<void> {
    await this.process.stop(timeoutMs);
    await rm(this.runtimeDir, { recursive: true, force: true });
  }
}
