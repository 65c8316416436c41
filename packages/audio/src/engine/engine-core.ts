import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';
import {
  DecodeError,
  SEALED_AUDIO_TAG_CODE,
  bytesPerFrame,
  createAudioHeader,
  createSealedAudioHeader,
  readAudioHeader,
  readSealedAudioHeader,
  type DecodeErrorCode,
  type Format,
} from '@syfala/proto';
import {
  DriftCompensatedStream,
  JitterBuffer,
  LatencyAdapter,
  LossConcealer,
  PeakMeter,
  RateConverter,
  StreamPacketizer,
  decodeSamples,
  encodeSamples,
  type DatagramSink,
} from '@syfala/dataplane';
import type { AudioDevice, PeriodInfo, SinkFailure } from '../backend.js';
import { AudioError } from '../errors.js';
import { openDevice } from './devices.js';
import { PeerSecurity, ReplayWindow } from './peer-security.js';
import { loadProcessor, type Processor } from './processor.js';
import type { EngineStats, PeerSpec, StreamRoute, StreamSendStats } from '../stream-engine.js';
import type { DeviceSpec, EngineWorkerData } from './messages.js';

/**
 * Datagram buffers in flight at once. dgram reads a buffer after send() returns (its address
 * lookup defers the send a tick, and a full socket queues it), so a buffer is reused only once
 * its send has called back: a burst that outruns the pool drops datagrams (counted as
 * queueDrops.send), never overwrites one still queued, which would put a byte index on the wire
 * twice.
 */
const SEND_POOL_SIZE = 512;
/**
 * Socket buffers asked of the kernel (Linux caps them at net.core.rmem_max/wmem_max): the
 * virtual clock runs periods in bursts, and at 128 f32 channels a burst outgrows the 208 KB
 * default, which drops datagrams with the CPU mostly idle (bench/RESULTS.md).
 */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
/**
 * Room in each jitter buffer, in seconds of audio: a worker stall (garbage collection at high
 * channel counts) must not turn every datagram that arrives meanwhile into an overrun.
 */
const JITTER_CAPACITY_SECONDS = 0.25;
/** A stream's period can run over its nominal share by a frame (multi-rate devices). */
const PERIOD_SLACK_FRAMES = 2;

interface SendRoute {
  readonly route: StreamRoute;
  readonly packetizer: StreamPacketizer;
  /**
   * When the device input runs at another nominal rate than the wire stream: converts each
   * period to the stream's rate into `samples` (the peer's drift compensation tracks the rest).
   */
  readonly converter: RateConverter | undefined;
  readonly samples: Float32Array;
  readonly wire: Uint8Array;
  /** Meters what is sent, at the stream's rate. */
  readonly meter: PeakMeter;
  readonly stats: Omit<StreamSendStats, 'peak'>;
}

interface ReceiveRoute {
  readonly route: StreamRoute;
  readonly buffer: JitterBuffer;
  /** With drift compensation: pulls from `buffer`, resampled to the device's clock. */
  readonly compensated: DriftCompensatedStream | undefined;
  /** With 'fade' concealment; with drift compensation too, it conceals before resampling. */
  readonly concealer: LossConcealer | undefined;
  readonly wire: Uint8Array;
  readonly samples: Float32Array;
  /** The mask a pull fills for a concealer after the buffer; absent when none runs there. */
  readonly missing: Uint8Array | undefined;
  /**
   * Measures the arrival jitter of every received stream (shown in stats); with adaptive latency
   * its target also becomes the buffer's.
   */
  readonly adapter: LatencyAdapter;
  readonly adaptive: boolean;
  readonly bytesPerFrame: number;
  /** Meters what plays (after concealment), at the device's rate. */
  readonly meter: PeakMeter;
  /** For an encrypted peer: what is too old to open (SECURITY.md §4). */
  readonly replay: ReplayWindow | undefined;
}

interface Peer {
  readonly spec: PeerSpec;
  sending: boolean;
  readonly send: SendRoute[];
  /** By wire stream index. */
  readonly receive: (ReceiveRoute | undefined)[];
  /** Lends the packetizers free send-pool buffers and sends them to the peer; one per peer. */
  readonly sink: DatagramSink;
  /** Datagrams dropped because every send buffer was still held by dgram (send); receive is 0. */
  readonly queueDrops: { receive: number; send: number };
  /** Present when the peer's audio is encrypted: seals what is sent, opens what is received. */
  readonly security: PeerSecurity | undefined;
}

/**
 * The TS data plane, inside a worker thread: one UDP audio socket and, once opened, one device.
 * The socket comes first because the handshake announces its port; the device follows when the
 * formats are known. Each period, the device's captured streams are converted, packetized and
 * sent to every peer, and every peer's received streams are pulled from their jitter buffers,
 * converted and mixed into the device's outputs. Nothing here runs on the main event loop, and
 * nothing allocates per packet but the Buffer Node's dgram makes for each received datagram, and
 * for an encrypted peer what Node's crypto makes for each datagram sealed or opened (peer-security.ts).
 */
export class EngineCore {
  readonly #socket: Socket;
  readonly #datagramBudgetBytes: number;
  #device: AudioDevice | undefined;
  /** The app's processor, until it throws. */
  #processor: Processor | undefined;
  #onProcessorFailed: (message: string) => void = () => undefined;
  #maxPeriodFrames = 0;
  /** By source port, then address: no string is built per datagram. */
  readonly #peersByPort = new Map<number, Peer[]>();
  readonly #peersById = new Map<string, Peer>();
  readonly #header = createAudioHeader();
  readonly #sealedHeader = createSealedAudioHeader();
  readonly #sendPool: Buffer[];
  /** Slots whose send has called back, a stack of #freeSlots entries. */
  readonly #free = new Uint16Array(SEND_POOL_SIZE);
  #freeSlots = SEND_POOL_SIZE;
  /** Per slot: its send's callback, which frees it (made once, not per datagram). */
  readonly #onSent: ((error: Error | null) => void)[];
  readonly #socketStats: EngineStats['socket'] = {
    datagramsReceived: 0,
    rejected: {},
    unknownSource: 0,
    unknownStream: 0,
    sendErrors: 0,
  };

  private constructor(socket: Socket, datagramBudgetBytes: number) {
    this.#socket = socket;
    this.#datagramBudgetBytes = datagramBudgetBytes;
    this.#sendPool = Array.from({ length: SEND_POOL_SIZE }, () =>
      Buffer.alloc(datagramBudgetBytes),
    );
    this.#onSent = this.#sendPool.map((_, slot) => {
      this.#free[slot] = slot;
      return (error: Error | null): void => {
        if (error) this.#socketStats.sendErrors++;
        this.#free[this.#freeSlots++] = slot;
      };
    });
    socket.on('message', (datagram, from) => this.#receive(datagram, from));
    socket.on('error', () => this.#socketStats.sendErrors++);
  }

  /** Binds the audio socket. */
  static async bind(data: EngineWorkerData): Promise<EngineCore> {
    const socket = createSocket(data.bind.address.includes(':') ? 'udp6' : 'udp4');
    socket.bind(data.bind.port, data.bind.address);
    await Promise.race([
      once(socket, 'listening'),
      once(socket, 'error').then(([error]) => Promise.reject(error as Error)),
    ]);
    socket.setRecvBufferSize(SOCKET_BUFFER_BYTES);
    socket.setSendBufferSize(SOCKET_BUFFER_BYTES);
    return new EngineCore(socket, data.datagramBudgetBytes);
  }

  get port(): number {
    return this.#socket.address().port;
  }

  /**
   * Opens the device and starts its clock; peers can be added from then on. A sink that fails
   * later is reported to `onSinkFailed` and the device runs on; so is a processor that throws,
   * to `onProcessorFailed`.
   */
  async openDevice(
    spec: DeviceSpec,
    onSinkFailed: (failure: SinkFailure) => void,
    onProcessorFailed: (message: string) => void = () => undefined,
  ): Promise<AudioDevice> {
    if (this.#device !== undefined) {
      throw new AudioError('BAD_OPTION', 'audio engine: a device is already open');
    }
    const device = await openDevice(spec);
    if (spec.processor !== undefined) {
      try {
        this.#processor = await loadProcessor(spec.processor, {
          inputs: device.streams.outputs,
          outputs: device.streams.inputs,
          sampleRate: device.sampleRate,
          periodFrames: device.periodFrames,
          options: spec.processor.options,
        });
      } catch (error) {
        await device.close();
        throw error;
      }
      this.#onProcessorFailed = onProcessorFailed;
    }
    const rates = [...device.streams.inputs, ...device.streams.outputs].map((f) => f.sampleRate);
    const periodSeconds = device.periodFrames / device.sampleRate;
    this.#maxPeriodFrames =
      Math.ceil(periodSeconds * Math.max(device.sampleRate, ...rates)) + PERIOD_SLACK_FRAMES;
    this.#device = device;
    this.#updateCapturing();
    device.start((inputs, outputs, info) => this.#process(inputs, outputs, info), onSinkFailed);
    return device;
  }

  /**
   * Adds a peer; a spec it refuses leaves the peers as they were. A peer's id and its address
   * and port are its own: one already streaming is never replaced (remove it first).
   */
  addPeer(spec: PeerSpec): void {
    const device = this.#device;
    if (device === undefined) {
      throw new AudioError('BAD_OPTION', 'audio engine: open a device before adding peers');
    }
    if (this.#peersById.has(spec.id)) {
      throw new AudioError('BAD_OPTION', `audio engine: peer ${spec.id} already streams`);
    }
    const holder = this.#peerAt(spec);
    if (holder !== undefined) {
      throw new AudioError(
        'BAD_OPTION',
        `audio engine: address ${spec.address} port ${spec.port} is peer ${holder.spec.id}'s already`,
      );
    }
    const compensate = spec.driftCompensation === true;
    checkRoutes(spec.send, device.streams.inputs, 'input', compensate);
    checkRoutes(spec.receive, device.streams.outputs, 'output', compensate);
    const security = spec.security && new PeerSecurity(spec.security);
    const frames = this.#maxPeriodFrames;
    const send = spec.send.map((route): SendRoute => {
      const deviceRate = device.streams.inputs[route.device]!.sampleRate;
      const streamFrames = this.#streamFrames(route.format, deviceRate);
      return {
        route,
        packetizer: new StreamPacketizer({
          streamIndex: route.wire,
          format: route.format,
          datagramBudgetBytes: this.#datagramBudgetBytes,
          redundancy: spec.redundancy ?? 0,
          maxPeriodBytes: streamFrames * bytesPerFrame(route.format),
          sealed: security !== undefined,
        }),
        converter:
          deviceRate === route.format.sampleRate
            ? undefined
            : new RateConverter({
                channels: route.format.channels,
                inputSampleRate: deviceRate,
                outputSampleRate: route.format.sampleRate,
                maxWriteFrames: frames,
              }),
        samples: new Float32Array(streamFrames * route.format.channels),
        wire: new Uint8Array(streamFrames * bytesPerFrame(route.format)),
        meter: new PeakMeter(route.format),
        stats: { wire: route.wire, datagrams: 0, bytes: 0 },
      };
    });
    const receive: (ReceiveRoute | undefined)[] = [];
    const fade = (spec.concealment ?? 'fade') === 'fade';
    if (spec.adaptiveLatency === true && !compensate) {
      // Played straight, a jitter buffer only primes to its target: a raised target would wait
      // for the next underrun, so adapting it needs the resampler to hold the fill there.
      throw new AudioError('BAD_OPTION', 'audio engine: adaptive latency needs drift compensation');
    }
    for (const route of spec.receive) {
      const capacityFrames = Math.max(
        4 * spec.targetLatencyFrames,
        Math.ceil(route.format.sampleRate * JITTER_CAPACITY_SECONDS),
      );
      const buffer = new JitterBuffer({
        format: route.format,
        targetLatencyFrames: spec.targetLatencyFrames,
        capacityFrames,
        // The resampler holds the fill at the target against drift; the slip (surplus) and the
        // priming at an underrun (shortfall) undo at once the steps a device that loses periods
        // makes. Underruns are not concealed (concealUnderruns): on the JACK rig that lost more
        // and held no lower a latency (bench/RESULTS.md, issue #14). A native peer's gap for time
        // its device lost, after this side primed through the stall, is skipped.
        skipCoveredGaps: compensate,
      });
      const concealer = fade
        ? new LossConcealer({
            channels: route.format.channels,
            sampleRate: route.format.sampleRate,
          })
        : undefined;
      receive[route.wire] = {
        route,
        buffer,
        compensated: compensate
          ? new DriftCompensatedStream({
              buffer,
              format: route.format,
              maxPeriodFrames: frames,
              deviceSampleRate: device.streams.outputs[route.device]!.sampleRate,
              ...(concealer && { concealer }),
            })
          : undefined,
        concealer,
        wire: new Uint8Array(frames * bytesPerFrame(route.format)),
        samples: new Float32Array(frames * route.format.channels),
        missing: fade && !compensate ? new Uint8Array(frames) : undefined,
        adapter: new LatencyAdapter({
          sampleRate: route.format.sampleRate,
          // In the stream's frames: a stream at another rate gets its share of a period.
          periodFrames: Math.round(
            (device.periodFrames * route.format.sampleRate) / device.sampleRate,
          ),
          minTargetFrames: 1,
          maxTargetFrames: Math.floor(capacityFrames / 2),
          initialTargetFrames: spec.targetLatencyFrames,
          raiseOnUnderruns: !compensate,
        }),
        adaptive: spec.adaptiveLatency === true,
        bytesPerFrame: bytesPerFrame(route.format),
        meter: new PeakMeter({
          channels: route.format.channels,
          sampleRate: device.streams.outputs[route.device]!.sampleRate,
        }),
        replay: security && new ReplayWindow(capacityFrames * bytesPerFrame(route.format)),
      };
    }
    const queueDrops = { receive: 0, send: 0 };
    let slot = 0;
    const sink: DatagramSink = {
      claim: () => {
        if (this.#freeSlots === 0) {
          queueDrops.send++;
          return undefined;
        }
        slot = this.#free[--this.#freeSlots]!;
        return this.#sendPool[slot];
      },
      send: (datagram, length) => {
        security?.seal(datagram, length);
        this.#socket.send(datagram, 0, length, spec.port, spec.address, this.#onSent[slot]);
      },
    };
    const peer: Peer = { spec, sending: spec.sending, send, receive, sink, queueDrops, security };
    this.#peersById.set(spec.id, peer);
    this.#peersByPort.set(spec.port, [...(this.#peersByPort.get(spec.port) ?? []), peer]);
    this.#updateCapturing();
  }

  /** The most frames at the stream's rate one device period at `deviceRate` makes. */
  #streamFrames(format: Format, deviceRate: number): number {
    return (
      Math.ceil((this.#maxPeriodFrames * format.sampleRate) / deviceRate) + PERIOD_SLACK_FRAMES
    );
  }

  setSending(id: string, enabled: boolean): void {
    const peer = this.#peersById.get(id);
    if (peer === undefined) return;
    peer.sending = enabled;
    this.#updateCapturing();
  }

  removePeer(id: string): void {
    const peer = this.#peersById.get(id);
    if (peer === undefined) return;
    this.#peersById.delete(id);
    const samePort = this.#peersByPort.get(peer.spec.port)!.filter((p) => p !== peer);
    if (samePort.length === 0) this.#peersByPort.delete(peer.spec.port);
    else this.#peersByPort.set(peer.spec.port, samePort);
    this.#updateCapturing();
  }

  /**
   * Captures only the inputs some peer is sent: a generated source (a file played with
   * `connect --play`) then starts with the first period that goes out, not when the card opened.
   */
  #updateCapturing(): void {
    const device = this.#device;
    if (device?.setCapturing === undefined) return;
    const sent = new Set<number>();
    for (const peer of this.#peersById.values()) {
      if (peer.sending) for (const s of peer.send) sent.add(s.route.device);
    }
    for (let i = 0; i < device.streams.inputs.length; i++) device.setCapturing(i, sent.has(i));
  }

  stats(): EngineStats {
    return {
      device: this.#device?.stats(),
      peers: [...this.#peersById.values()].map((peer) => ({
        id: peer.spec.id,
        datagramBudgetBytes: this.#datagramBudgetBytes,
        sent: peer.send.map((s) => ({ ...s.stats, peak: s.meter.peaks() })),
        queueDrops: { ...peer.queueDrops },
        ...(peer.security && { security: peer.security.stats() }),
        received: peer.receive
          .filter((r): r is ReceiveRoute => r !== undefined)
          .map((r) => ({
            wire: r.route.wire,
            ...r.buffer.stats(),
            concealed: r.buffer.concealedRanges(),
            peak: r.meter.peaks(),
            ...(r.concealer && { concealedGaps: r.concealer.gaps }),
            jitterUs: (r.adapter.jitterFrames * 1e6) / r.route.format.sampleRate,
            ...(r.compensated && {
              driftPpm: r.compensated.driftPpm,
              resampleRatio: r.compensated.ratio,
            }),
          })),
      })),
      socket: { ...this.#socketStats, rejected: { ...this.#socketStats.rejected } },
    };
  }

  /**
   * Stops the device (its WAV sinks are flushed and closed), then the socket, which closes even
   * when the device's close rejects (with a file that could not be finalised).
   */
  async close(): Promise<void> {
    try {
      await this.#device?.close();
    } finally {
      await new Promise<void>((resolve) => this.#socket.close(() => resolve()));
    }
  }

  /**
   * One period: every peer's received streams are mixed into the device's outputs, the app's
   * processor (if any) turns them into what is sent, in the device's inputs, and those go out.
   */
  #process(
    inputs: readonly Float32Array[],
    outputs: readonly Float32Array[],
    info: PeriodInfo,
  ): void {
    for (const peer of this.#peersById.values()) {
      for (const r of peer.receive) if (r !== undefined) this.#play(r, outputs, info);
    }
    if (this.#processor !== undefined) this.#runProcessor(this.#processor, outputs, inputs, info);
    for (const peer of this.#peersById.values()) {
      if (!peer.sending) continue;
      for (const s of peer.send) this.#send(s, inputs[s.route.device]!, peer.sink);
    }
  }

  #play(r: ReceiveRoute, outputs: readonly Float32Array[], info: PeriodInfo): void {
    const output = outputs[r.route.device]!;
    const frames = output.length / r.route.format.channels;
    r.buffer.lateFrames = Math.floor((info.lateNs * r.route.format.sampleRate) / 1e9);
    if (r.compensated) {
      const pulled = r.compensated.pull(r.samples, 0, frames);
      this.#adapt(r, frames, pulled.underrun);
    } else {
      const pulled = r.buffer.pull(r.wire, 0, frames, r.missing);
      this.#adapt(r, frames, pulled.underrun);
      decodeSamples(r.route.format.sampleType, r.wire, 0, r.samples, 0, output.length);
      if (r.missing) r.concealer?.conceal(r.samples, 0, frames, pulled, r.missing);
    }
    for (let i = 0; i < output.length; i++) output[i]! += r.samples[i]!;
    r.meter.measure(r.samples, 0, frames);
    r.meter.endPeriod();
  }

  /** The adapter hears of every period played; only with adaptive latency does it set the target. */
  #adapt(r: ReceiveRoute, frames: number, underrun: boolean): void {
    const target = r.adapter.period(frames, underrun);
    if (r.adaptive) r.buffer.targetLatencyFrames = target;
  }

  /**
   * Its outputs start zeroed, as the contract says, whatever the device captured. A throw stops
   * it for good: half-written outputs turn to silence, and the main thread is told.
   */
  #runProcessor(
    processor: Processor,
    received: readonly Float32Array[],
    sent: readonly Float32Array[],
    info: PeriodInfo,
  ): void {
    for (const buffer of sent) buffer.fill(0);
    try {
      processor.process(received, sent, info);
    } catch (error) {
      this.#processor = undefined;
      for (const buffer of sent) buffer.fill(0);
      this.#onProcessorFailed(error instanceof Error ? error.message : String(error));
    }
  }

  #send(s: SendRoute, input: Float32Array, sink: DatagramSink): void {
    let samples = input;
    let count = input.length;
    if (s.converter) {
      const channels = s.route.format.channels;
      s.converter.write(input, 0, input.length / channels);
      const frames = s.converter.outputFramesAvailable;
      s.converter.read(s.samples, 0, frames);
      samples = s.samples;
      count = frames * channels;
    }
    const bytes = encodeSamples(s.route.format.sampleType, samples, 0, s.wire, 0, count);
    s.meter.measure(samples, 0, count / s.route.format.channels);
    s.meter.endPeriod();
    // Redundancy sends the history again ahead of the new bytes (not for an empty period).
    if (bytes > 0) s.stats.bytes += s.packetizer.historyBytes + bytes;
    s.stats.datagrams += s.packetizer.packetize(s.wire, 0, bytes, sink);
  }

  #receive(datagram: Buffer, from: RemoteInfo): void {
    this.#socketStats.datagramsReceived++;
    // Strangers first: a flood from unknown sources then costs a lookup per datagram, not a
    // decode (a rejected one throws), so it crowds the peers' audio out of the socket less.
    const peer = this.#peerAt(from);
    if (peer === undefined) {
      this.#socketStats.unknownSource++;
      return;
    }
    // An encrypted peer's audio is AUDE; a clear peer's AUDE is an unknown tag to its reader.
    if (peer.security !== undefined && isSealed(datagram)) {
      this.#receiveSealed(peer.security, peer, datagram);
      return;
    }
    const header = this.#header;
    try {
      readAudioHeader(datagram, header);
    } catch (error) {
      this.#rejected(error);
      return;
    }
    if (peer.security !== undefined) {
      peer.security.refuseClear();
      return;
    }
    const route = peer.receive[header.streamIndex];
    if (route === undefined) {
      this.#socketStats.unknownStream++;
      return;
    }
    this.#push(route, header.byteIndex, datagram, header.payloadOffset, header.byteCount);
  }

  /** SECURITY.md §4: decoded, its key id and age checked, opened; only then played. */
  #receiveSealed(security: PeerSecurity, peer: Peer, datagram: Buffer): void {
    const header = this.#sealedHeader;
    try {
      readSealedAudioHeader(datagram, header);
    } catch (error) {
      this.#rejected(error);
      return;
    }
    const route = peer.receive[header.streamIndex];
    if (route === undefined) {
      this.#socketStats.unknownStream++;
      return;
    }
    const plaintext = security.open(datagram, header, route.replay!);
    if (plaintext !== undefined) {
      this.#push(route, header.byteIndex, plaintext, 0, header.byteCount);
    }
  }

  /** A header reader's DecodeError is counted by code; anything else is a bug of ours. */
  #rejected(error: unknown): void {
    if (!(error instanceof DecodeError)) throw error;
    this.#count(error.code);
  }

  #push(
    route: ReceiveRoute,
    byteIndex: number,
    bytes: Uint8Array,
    offset: number,
    byteCount: number,
  ): void {
    route.buffer.push(byteIndex, bytes, offset, byteCount);
    route.adapter.arrival((byteIndex + byteCount) / route.bytesPerFrame);
  }

  #peerAt(from: { readonly address: string; readonly port: number }): Peer | undefined {
    const samePort = this.#peersByPort.get(from.port);
    if (samePort === undefined) return undefined;
    for (const peer of samePort) if (peer.spec.address === from.address) return peer;
    return undefined;
  }

  #count(code: DecodeErrorCode): void {
    this.#socketStats.rejected[code] = (this.#socketStats.rejected[code] ?? 0) + 1;
  }
}

function isSealed(datagram: Buffer): boolean {
  return datagram.length >= 8 && datagram.readUInt32LE(4) === SEALED_AUDIO_TAG_CODE;
}

/**
 * Refuses routes the device cannot carry, before anything runs: a route to a stream the device
 * lacks, or of another channel count, would throw in the device's period callback. Another
 * nominal rate is converted by the resamplers, which only run with drift compensation.
 */
function checkRoutes(
  routes: readonly StreamRoute[],
  streams: readonly Format[],
  direction: 'input' | 'output',
  compensate: boolean,
): void {
  for (const { device, wire, format } of routes) {
    const stream = streams[device];
    if (stream === undefined) {
      throw new AudioError(
        'BAD_OPTION',
        `audio engine: device ${direction} stream ${device} does not exist`,
      );
    }
    if (stream.channels !== format.channels) {
      throw new AudioError(
        'BAD_OPTION',
        `audio engine: wire stream ${wire} has ${format.channels} channels, device ${direction} stream ${device} ${stream.channels}`,
      );
    }
    if (stream.sampleRate !== format.sampleRate && !compensate) {
      throw new AudioError(
        'BAD_OPTION',
        `audio engine: wire stream ${wire} is at ${format.sampleRate} Hz, device ${direction} stream ${device} at ${stream.sampleRate} Hz: converting needs drift compensation`,
      );
    }
  }
}
