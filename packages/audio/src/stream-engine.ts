// The StreamEngine contract: what the CLI, sessions and apps stream through, whichever engine runs
// the data plane (the TS worker here, the native core in @syfala/native-engine). The engines' own
// RPC between threads stays private to each (engine/messages.ts).
import type { AudioRunKeys, DecodeErrorCode, Format } from '@syfala/proto';
import type { ConcealmentMode, JitterBufferStats } from '@syfala/dataplane';
import type { DeviceStats } from './backend.js';

/** One stream between the device and a peer: device stream `device` ↔ wire stream `wire`. */
export interface StreamRoute {
  readonly device: number;
  readonly wire: number;
  /**
   * The wire format. The device side is Float32 with the same channel count, at the same rate,
   * or at another with `driftCompensation` (its resamplers convert, e.g. 44.1 ↔ 48 kHz).
   */
  readonly format: Format;
}

/** A peer the engine streams with: where its audio goes and what flows each way. */
export interface PeerSpec {
  readonly id: string;
  readonly address: string;
  readonly port: number;
  /** Device inputs sent to the peer. */
  readonly send: readonly StreamRoute[];
  /** Wire streams received from the peer, played on device outputs (mixed with other peers). */
  readonly receive: readonly StreamRoute[];
  readonly targetLatencyFrames: number;
  /**
   * Resample each received stream so the jitter buffer's fill holds at the target however the
   * peer's clock drifts from the device's (DriftCompensatedStream); a step (a device that lost
   * periods) still primes again or slips at once, and routes at another nominal rate than the
   * device's are converted both ways. Off: slips and rebuffers on drift too, but bit-exact, and
   * another rate is refused. Default off.
   */
  readonly driftCompensation?: boolean;
  /**
   * What plays where received audio is missing (lost, late, or an underrun): 'fade' (default)
   * repeats the last cycle and fades it (LossConcealer), 'silence' plays the format's zero. A
   * stream that loses nothing plays bit for bit either way.
   */
  readonly concealment?: ConcealmentMode;
  /**
   * Let the measured arrival jitter set each received stream's target latency (LatencyAdapter),
   * starting from `targetLatencyFrames`: the smallest that keeps underruns rare, raised at once
   * when jitter grows, lowered slowly. Needs `driftCompensation`. Default off: a fixed target.
   */
  readonly adaptiveLatency?: boolean;
  /**
   * Whether to send from the start. A client adds its server before asking to start I/O, so it
   * receives from byte 0, and turns sending on when the server has said ok (PROTOCOL.md §6).
   */
  readonly sending: boolean;
  /**
   * Periods each datagram sent to the peer repeats before its own bytes, so every byte travels
   * 1 + this many times (PROTOCOL.md §7.3, negotiated at start-io): 0 (default) to 3. Sending
   * only: a receiver takes redundant runs as they come.
   */
  readonly redundancy?: number;
  /**
   * Seal what is sent to this peer and open what it sends (docs/SECURITY.md): AUDE datagrams
   * only, each direction with its own secret. Absent: clear AUDI both ways, as agreed on control.
   */
  readonly security?: AudioSecurity;
}

/** The audio keys of one I/O run with a peer (docs/SECURITY.md §2–§4), as its session gave them. */
export interface AudioSecurity extends AudioRunKeys {
  /** Datagrams sealed with one key before the next (default ROTATE_AFTER_DATAGRAMS; tests lower it). */
  readonly rotateAfterDatagrams?: number;
}

/** What the receive path of an encrypted peer refused (SECURITY.md §4). */
export interface PeerSecurityStats {
  /** Datagrams that failed authentication, or came clear or with a key id this run can't open. */
  authFailed: number;
  /** Authentic datagrams refused as replays: a retired key id, or older than the window. */
  replayed: number;
  /** The key ids in use now. */
  sendKeyId: number;
  receiveKeyId: number;
}

export interface StreamSendStats {
  readonly wire: number;
  datagrams: number;
  /** Payload bytes sent, redundant copies included (headers excluded). */
  bytes: number;
  /**
   * Per channel, the largest |sample| sent (linear, full scale 1.0) over the last complete
   * metering block (METER_BLOCK_MS of audio, at least a period; docs/OBSERVABILITY.md §3).
   */
  readonly peak: number[];
}

export interface ReceivedStreamStats extends JitterBufferStats {
  readonly wire: number;
  /** With drift compensation: the peer's clock against the device's, ppm (+: the peer's is faster). */
  readonly driftPpm?: number;
  /** With drift compensation: peer frames consumed per device frame now. */
  readonly resampleRatio?: number;
  /** The arrival jitter measured over the last 4 s, µs (a peak); adaptive latency follows it. */
  readonly jitterUs: number;
  /** With 'fade' concealment: gaps (and slips) the concealer filled. */
  readonly concealedGaps?: number;
  /** The last concealed byte ranges [start, end) of the stream, oldest first (up to 1024). */
  readonly concealed: Array<[number, number]>;
  /** Per channel, the largest |sample| played (after concealment), as StreamSendStats.peak. */
  readonly peak: number[];
}

export interface PeerStats {
  readonly id: string;
  /**
   * The largest datagram sent to the peer, headers included: EngineOptions' datagramBudgetBytes,
   * or with 'auto' what the route to the peer carries unfragmented (native engines; 1,400 on the
   * TS engine).
   */
  readonly datagramBudgetBytes: number;
  readonly sent: StreamSendStats[];
  readonly received: ReceivedStreamStats[];
  /**
   * Datagrams dropped because a queue between threads was full (native core, receive: the audio
   * thread fell behind the UDP thread; its send is 0, the audio thread sends), or because every
   * send buffer was still queued in the socket (TS engine: send; receive is 0).
   */
  readonly queueDrops?: { receive: number; send: number };
  /** Present when the peer's audio is encrypted. */
  readonly security?: PeerSecurityStats;
}

export interface EngineStats {
  /** Absent until a device is open. */
  readonly device: DeviceStats | undefined;
  readonly peers: PeerStats[];
  /** Datagrams that reached the socket, and those rejected before any peer saw them. */
  readonly socket: {
    datagramsReceived: number;
    /**
     * Datagrams that are not valid audio, by decode error: a peer's (the TS engine checks the
     * source first), or anyone's (the native core decodes first).
     */
    rejected: Partial<Record<DecodeErrorCode, number>>;
    /** Datagrams from an address and port that is no peer's. */
    unknownSource: number;
    unknownStream: number;
    sendErrors: number;
  };
}

/**
 * What the CLI and apps stream through, whatever runs the data plane: the TS worker
 * (`AudioEngine`) or the native core (`JackEngine` in @syfala/backend-jack). Opening the device
 * is each engine's own business: their devices take different options.
 */
export interface StreamEngine {
  /** The UDP port audio is received on: announce it in the handshake. */
  readonly port: number;
  /** The device's clock, once open. */
  readonly device: { readonly sampleRate: number; readonly periodFrames: number } | undefined;
  /** Streams with a peer from now on; resolves once the data plane has it. */
  addPeer(peer: PeerSpec): Promise<void>;
  /**
   * Turns sending to a peer on or off; receiving goes on either way. Resolves once the data plane
   * has it: what the device or a processor makes from then on is sent (or not), from its first
   * period, so an app that writes once it resolves loses nothing.
   */
  setSending(id: string, enabled: boolean): Promise<void>;
  removePeer(id: string): void;
  stats(): Promise<EngineStats>;
  /**
   * Settles with the reason when the device stops for good (its server went away, its clock
   * changed rate, the engine's worker died: ENGINE_FAILED): sessions streaming through it must
   * end. A close() does not settle it.
   */
  readonly deviceLost: Promise<Error>;
  /** Stops the device, closes the socket. Idempotent. */
  close(): Promise<void>;
  /**
   * After close(): what it could not free, in one sentence (worth a warning in a log), or
   * undefined when everything was. The process should exit soon then.
   */
  readonly leftOpen?: string | undefined;
}
