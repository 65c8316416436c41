import { createHmac } from 'node:crypto';
import { idToBytes } from '@syfala/proto';
import { describe, expect, it } from 'vitest';
import { PresharedKey } from '../../src/control/auth.js';
import { CLIENT_ID, ENDPOINT_ID } from './helpers.js';

const PSK = 'a passphrase only the two ends know';
const NONCE = new Uint8Array(32).fill(1);
const CLIENT_NONCE = new Uint8Array(32).fill(2);
const CLIENT_SHARE = new Uint8Array(32).fill(3);
const SERVER_SHARE = new Uint8Array(32).fill(4);

/** HMAC-SHA256(psk, label ‖ parts…), as CONTROL.md §5 and SECURITY.md §2 write it. */
function hmac(label: string, ...parts: Uint8Array[]): Uint8Array {
  const mac = createHmac('sha256', PSK).update(label, 'ascii');
  for (const part of parts) mac.update(part);
  return new Uint8Array(mac.digest());
}

describe('PresharedKey proofs', () => {
  const key = new PresharedKey(PSK);
  const clientId = idToBytes(CLIENT_ID, 'client id');
  const endpointId = idToBytes(ENDPOINT_ID, 'endpoint id');

  it('computes the formulas of CONTROL.md §5 when there are no key shares', () => {
    expect(key.clientMac(NONCE, CLIENT_NONCE, CLIENT_ID)).toEqual(
      hmac('syfala-control-v1 client', NONCE, CLIENT_NONCE, clientId),
    );
    expect(key.serverProof(NONCE, CLIENT_NONCE, ENDPOINT_ID)).toEqual(
      hmac('syfala-control-v1 server', NONCE, CLIENT_NONCE, endpointId),
    );
  });

  it('covers the key shares as SECURITY.md §2 says', () => {
    expect(key.clientMac(NONCE, CLIENT_NONCE, CLIENT_ID, CLIENT_SHARE)).toEqual(
      hmac('syfala-control-v1 client', NONCE, CLIENT_NONCE, clientId, CLIENT_SHARE),
    );
    expect(key.serverProof(NONCE, CLIENT_NONCE, ENDPOINT_ID, CLIENT_SHARE, SERVER_SHARE)).toEqual(
      hmac('syfala-control-v1 server', NONCE, CLIENT_NONCE, endpointId, CLIENT_SHARE, SERVER_SHARE),
    );
    // The client's share alone (a server that does not encrypt) is another proof.
    expect(key.serverProof(NONCE, CLIENT_NONCE, ENDPOINT_ID, CLIENT_SHARE)).toEqual(
      hmac('syfala-control-v1 server', NONCE, CLIENT_NONCE, endpointId, CLIENT_SHARE),
    );
  });
});
