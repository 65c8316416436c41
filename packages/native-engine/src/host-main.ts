import type { NativeAddon, NativeEngine } from './addon.js';
import type { HostEvent, HostRequest, HostResults } from './host-messages.js';
import { addonCandidates, requireAddon } from './load.js';

type Numbered = HostRequest & { readonly id: number };

/**
 * The engine process's main (host/native-host.mjs): loads the addon, then does what its parent
 * asks over the IPC channel. It lives as long as that channel: when the parent goes (however it
 * ends), it exits, and the JACK server drops its client. The terminal's and the service
 * manager's signals are the parent's to act on; the parent closes what it opened, then goes.
 */
export function runNativeHost(): void {
  const send = (event: HostEvent): void => void process.send?.(event);
  process.on('disconnect', () => process.exit(0));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});
  let addon: NativeAddon;
  try {
    addon = requireAddon(addonCandidates());
  } catch (error) {
    const { code, message } = error as { code?: string; message?: string };
    const failed: HostEvent = {
      type: 'failed',
      code: code ?? 'LOAD_FAILED',
      message: message ?? String(error),
    };
    // Once it is written: the parent then sees why, and this process ends with the channel.
    process.send?.(failed, () => process.disconnect());
    return;
  }
  const host = new Host(addon, send);
  process.on('message', (request: Numbered) => {
    try {
      send({ type: 'done', id: request.id, result: host.run(request) });
    } catch (error) {
      const { code, message } = error as { code?: string; message?: string };
      send({
        type: 'error',
        id: request.id,
        code: code ?? 'ENGINE_FAILED',
        message: message ?? String(error),
      });
    }
  });
  send({
    type: 'ready',
    jackAvailable: addon.jackAvailable,
    coreAudioAvailable: addon.coreAudioAvailable,
    events: addon.events,
  });
}

/** The addon and the engines it made, by number. */
class Host {
  readonly #addon: NativeAddon;
  readonly #send: (event: HostEvent) => void;
  readonly #engines = new Map<number, NativeEngine>();
  #nextEngine = 0;

  constructor(addon: NativeAddon, send: (event: HostEvent) => void) {
    this.#addon = addon;
    this.#send = send;
  }

  run(request: HostRequest): HostResults[HostRequest['op']] {
    switch (request.op) {
      case 'bind': {
        const engine = new this.#addon.Engine(request.bind);
        const number = this.#nextEngine++;
        this.#engines.set(number, engine);
        return { engine: number, port: engine.port };
      }
      case 'probeJack':
        return this.#addon.probeJack(request.server, request.keepFor);
      case 'openJack':
        return this.#engine(request.engine).openJack(request.options, this.#events(request.engine));
      case 'openCoreAudio':
        return this.#engine(request.engine).openCoreAudio(
          request.options,
          this.#events(request.engine),
        );
      case 'addPeer':
        return this.#engine(request.engine).addPeer(request.peer);
      case 'setSending':
        return this.#engine(request.engine).setSending(request.peer, request.enabled);
      case 'removePeer':
        return this.#engine(request.engine).removePeer(request.peer);
      case 'stats':
        return this.#engine(request.engine).stats();
      case 'close': {
        const closed = this.#engine(request.engine).close();
        this.#engines.delete(request.engine);
        return closed;
      }
    }
  }

  #engine(number: number): NativeEngine {
    const engine = this.#engines.get(number);
    if (engine === undefined) {
      throw Object.assign(new Error(`audio engine ${number} is closed`), { code: 'BAD_STATE' });
    }
    return engine;
  }

  /**
   * Forwards engine `number`'s device events, with its clock after each. An xrun alone is not:
   * no parent acts on one (stats count them), and each message wakes both processes.
   */
  #events(number: number): (flags: number) => void {
    return (flags) => {
      if ((flags & ~this.#addon.events.xrun) === 0) return;
      this.#send({
        type: 'device',
        engine: number,
        flags,
        clock: this.#engines.get(number)?.clock(),
      });
    };
  }
}
