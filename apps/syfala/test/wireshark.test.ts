import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DISCONNECT_REASONS, OUTCOMES } from '@syfala/proto';
import { describe, expect, it } from 'vitest';
import { NETNS, hasTshark, startCapture } from './attacker.js';
import { LOOPBACK_SERVE, ROOT, serve, syfala } from './cli-process.js';
import { tempDir } from './fixtures.js';

/**
 * The Wireshark dissector (tools/wireshark/syfala.lua) run by tshark on the normative bytes of
 * every UDP message (packages/proto/vectors/wire.json) and on a capture of a real CLI session.
 */

const DISSECTOR = join(ROOT, 'tools/wireshark/syfala.lua');
const hasText2pcap = spawnSync('text2pcap', ['-v']).status === 0;

/** `fields` of every packet the dissector claims, one object per packet (values joined by ","). */
function dissect(
  pcap: string,
  filter: string,
  fields: readonly string[],
): Record<string, string>[] {
  const out = execFileSync(
    'tshark',
    [
      ...['-X', `lua_script:${DISSECTOR}`, '-r', pcap, '-Y', filter, '-T', 'fields'],
      ...['-E', 'occurrence=a', '-E', 'aggregator=,', '-E', 'separator=/t'],
      ...fields.flatMap((field) => ['-e', field]),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 * 1024 * 1024 },
  );
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const values = line.split('\t');
      return Object.fromEntries(fields.map((field, i) => [field, values[i] ?? '']));
    });
}

interface WireVector {
  name: string;
  hex: string;
  message: Record<string, unknown> & { type: string };
}

/** What the dissector must show for a vector message, by field (PROTOCOL.md §5). */
function expectedFields(message: WireVector['message']): Record<string, string> {
  const m = message as Record<string, never>;
  /** Enumerations are their 1-based position in the specification's table (PROTOCOL.md §5.2). */
  const code = (list: readonly string[], value: string): string => String(list.indexOf(value) + 1);
  switch (message.type) {
    case 'connect': {
      const formats = m['formats'] as { inputs: object[]; outputs: object[] };
      const all = [...formats.inputs, ...formats.outputs] as Record<string, number>[];
      return {
        'syfala.endpoint_id': m['endpointId'],
        'syfala.name': m['name'],
        'syfala.control_port': String(m['controlPort']),
        'syfala.inputs': String(formats.inputs.length),
        'syfala.outputs': String(formats.outputs.length),
        'syfala.format.channels': all.map((f) => f['channels']).join(','),
        'syfala.format.buffer_frames': all.map((f) => f['bufferFrames']).join(','),
        'syfala.format.sample_rate': all.map((f) => f['sampleRate']).join(','),
      };
    }
    case 'connection-result':
      return { 'syfala.outcome': code(OUTCOMES, m['outcome']) };
    case 'start-io':
    case 'stop-io':
      return { 'syfala.request_id': String(m['requestId']) };
    case 'start-io-result':
    case 'stop-io-result':
      return {
        'syfala.request_id': String(m['requestId']),
        'syfala.outcome': code(OUTCOMES, m['outcome']),
      };
    case 'disconnect':
      return { 'syfala.reason': code(DISCONNECT_REASONS, m['reason']) };
    case 'heartbeat':
      return {
        'syfala.sequence': String(m['sequence']),
        'syfala.sender_time_us': String(m['senderTimeUs']),
      };
    case 'audio':
      return {
        'syfala.stream_index': String(m['streamIndex']),
        'syfala.byte_index': String(m['byteIndex']),
        'syfala.byte_count': String((m['payload'] as string).length / 2),
        'syfala.payload': m['payload'],
      };
    case 'sealed-audio':
      return {
        'syfala.stream_index': String(m['streamIndex']),
        'syfala.byte_index': String(m['byteIndex']),
        'syfala.byte_count': String((m['sealed'] as string).length / 2 - 16),
        'syfala.key_id': String(m['keyId']),
        'syfala.io_run': String(Math.floor((m['keyId'] as number) / 2 ** 16)),
        'syfala.copy': String(m['copy']),
        'syfala.auth_tag': (m['sealed'] as string).slice(-32),
      };
    case 'version-not-supported':
      return {
        'syfala.min_version': String(m['minVersion']),
        'syfala.max_version': String(m['maxVersion']),
      };
    default:
      return {};
  }
}

describe.skipIf(!hasTshark || !hasText2pcap)(
  `the Wireshark dissector${hasTshark && hasText2pcap ? '' : ' [skipped: apt-get install tshark]'}`,
  { timeout: 60_000 },
  () => {
    it('decodes every field of every UDP message of PROTOCOL.md, from the test vectors', () => {
      const { valid } = JSON.parse(
        readFileSync(join(ROOT, 'packages/proto/vectors/wire.json'), 'utf8'),
      ) as { valid: WireVector[] };
      const dir = tempDir();
      // text2pcap's hex dump: each datagram from offset 0, 16 bytes a line.
      const dump = valid
        .map(({ hex }) =>
          (hex.match(/.{1,32}/g) ?? [])
            .map(
              (line, i) =>
                `${(i * 16).toString(16).padStart(6, '0')} ${line.replace(/(..)/g, '$1 ')}`,
            )
            .join('\n'),
        )
        .join('\n\n');
      writeFileSync(join(dir, 'vectors.txt'), `${dump}\n`);
      execFileSync('text2pcap', [
        '-q',
        '-u',
        '40000,6910',
        join(dir, 'vectors.txt'),
        join(dir, 'v.pcap'),
      ]);
      const fields = [
        'syfala.magic',
        'syfala.version',
        'syfala.tag',
        'syfala.type',
        ...new Set(valid.flatMap(({ message }) => Object.keys(expectedFields(message)))),
      ];
      const rows = dissect(join(dir, 'v.pcap'), 'syfala', fields);
      expect(rows).toHaveLength(valid.length);
      valid.forEach(({ message, name }, i) => {
        const row = rows[i]!;
        expect({ name, ...row }).toMatchObject({
          name,
          'syfala.magic': 'SYF',
          'syfala.version': '1',
          'syfala.type': message.type,
          ...expectedFields(message),
        });
      });
    });
  },
);
