import type { StreamRoute } from '@syfala/audio';
import type { Format, StreamFormats } from '@syfala/proto';

/** Stream i of a list, on device stream i and wire stream i. */
const straight = (formats: readonly Format[]): StreamRoute[] =>
  formats.map((format, i) => ({ device: i, wire: i, format }));

/**
 * A server's device captures its inputs and plays its outputs; it sends the inputs and receives
 * the outputs (PROTOCOL.md §7.1).
 */
export function serverRoutes(formats: StreamFormats): {
  send: StreamRoute[];
  receive: StreamRoute[];
} {
  return { send: straight(formats.inputs), receive: straight(formats.outputs) };
}

/** A client's device is the mirror: it plays the server's inputs and captures its outputs. */
export function clientRoutes(formats: StreamFormats): {
  send: StreamRoute[];
  receive: StreamRoute[];
} {
  return { send: straight(formats.outputs), receive: straight(formats.inputs) };
}

/** The device a client opens for a server's formats. */
export function clientDeviceStreams(formats: StreamFormats): StreamFormats {
  return { inputs: formats.outputs, outputs: formats.inputs };
}

/**
 * The device streams for a card whose clock runs at `sampleRate` (default: the streams' own):
 * the engine converts between them and the wire (with drift compensation).
 */
export function atRate(formats: StreamFormats, sampleRate: number | undefined): StreamFormats {
  if (sampleRate === undefined) return formats;
  const convert = (list: readonly Format[]): Format[] =>
    list.map((format) => ({ ...format, sampleRate }));
  return { inputs: convert(formats.inputs), outputs: convert(formats.outputs) };
}
