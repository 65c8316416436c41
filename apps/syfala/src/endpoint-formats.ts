import { connect, type Endpoint } from '@syfala/network';
import type { StreamFormats } from '@syfala/proto';

/**
 * The endpoint's stream formats: as discovery saw them, or, when its DNS-SD record left them out
 * (too many to fit in the TXT record), from the offer of a short-lived session.
 */
export async function endpointFormats(endpoint: Endpoint, psk?: string): Promise<StreamFormats> {
  return endpoint.formats ?? offeredFormats(endpoint, psk);
}

/**
 * The formats a short-lived session is offered. With `psk`, the handshake proves the key: a
 * wrong one rejects with ControlError AUTH_FAILED.
 */
export async function offeredFormats(endpoint: Endpoint, psk?: string): Promise<StreamFormats> {
  // No audio flows: no keys needed, and a server of before encrypted audio answers too.
  const connected = await connect(endpoint, {
    encryption: false,
    ...(psk !== undefined && { psk }),
  });
  await connected.disconnect();
  return connected.offer.formats;
}
