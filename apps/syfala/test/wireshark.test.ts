import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DISCONNECT_REASONS, OUTCOMES, encode } from '@syfala/proto';
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
      // Ports are chosen at run time, now and then one another dissector claims (README).
      ...['-o', 'udp.try_heuristic_first:TRUE'],
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

/** A pcap of UDP datagrams (hex) from `fromPort` to 6910, one packet each, by text2pcap. */
function udpPcap(datagrams: readonly string[], fromPort: number, pcap: string): void {
  // text2pcap's hex dump: each datagram from offset 0, 16 bytes a line.
  const dump = datagrams
    .map((hex) =>
      (hex.match(/.{1,32}/g) ?? [])
        .map(
          (line, i) => `${(i * 16).toString(16).padStart(6, '0')} ${line.replace(/(..)/g, '$1 ')}`,
        )
        .join('\n'),
    )
    .join('\n\n');
  const text = `${pcap}.txt`;
  writeFileSync(text, `${dump}\n`);
  execFileSync('text2pcap', ['-q', '-u', `${fromPort},6910`, text, pcap], { stdio: 'ignore' });
}

interface WireVector {
  name: string;
  hex: string;
  message: Record<string, unknown> & { type: string };
}

/** What the dissector must show for a vector message, by field (PROTOCOL.md §5). */
function expectedFields(message: WireVector['message']): Record<string, string> {
  const text = (key: string): string => String(message[key]);
  /** Enumerations are their 1-based position in the specification's table (PROTOCOL.md §5.2). */
  const code = (list: readonly string[], key: string): string =>
    String(list.indexOf(text(key)) + 1);
  switch (message.type) {
    case 'connect': {
      const formats = message['formats'] as { inputs: object[]; outputs: object[] };
      const all = [...formats.inputs, ...formats.outputs] as Record<string, number>[];
      return {
        'syfala.endpoint_id': text('endpointId'),
        'syfala.name': text('name'),
        'syfala.control_port': text('controlPort'),
        'syfala.inputs': String(formats.inputs.length),
        'syfala.outputs': String(formats.outputs.length),
        'syfala.format.channels': all.map((f) => f['channels']).join(','),
        'syfala.format.buffer_frames': all.map((f) => f['bufferFrames']).join(','),
        'syfala.format.sample_rate': all.map((f) => f['sampleRate']).join(','),
      };
    }
    case 'connection-result':
      return { 'syfala.outcome': code(OUTCOMES, 'outcome') };
    case 'start-io':
    case 'stop-io':
      return { 'syfala.request_id': text('requestId') };
    case 'start-io-result':
    case 'stop-io-result':
      return {
        'syfala.request_id': text('requestId'),
        'syfala.outcome': code(OUTCOMES, 'outcome'),
      };
    case 'disconnect':
      return { 'syfala.reason': code(DISCONNECT_REASONS, 'reason') };
    case 'heartbeat':
      return {
        'syfala.sequence': text('sequence'),
        'syfala.sender_time_us': text('senderTimeUs'),
      };
    case 'audio':
      return {
        'syfala.stream_index': text('streamIndex'),
        'syfala.byte_index': text('byteIndex'),
        'syfala.byte_count': String(text('payload').length / 2),
        'syfala.payload': text('payload'),
      };
    case 'sealed-audio':
      return {
        'syfala.stream_index': text('streamIndex'),
        'syfala.byte_index': text('byteIndex'),
        'syfala.byte_count': String(text('sealed').length / 2 - 16),
        'syfala.key_id': text('keyId'),
        'syfala.io_run': String(Math.floor(Number(message['keyId']) / 2 ** 16)),
        'syfala.copy': text('copy'),
        'syfala.auth_tag': text('sealed').slice(-32),
      };
    case 'version-not-supported':
      return {
        'syfala.min_version': text('minVersion'),
        'syfala.max_version': text('maxVersion'),
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
      // From 41170, a port Wireshark gives Manolito: found all the same.
      udpPcap(
        valid.map(({ hex }) => hex),
        41170,
        join(dir, 'v.pcap'),
      );
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

    it('shows each datagram of a segmented send captured whole (UDP GSO, as on loopback)', () => {
      // What the native engine hands the kernel in one send: a run of one stream's datagrams,
      // all of one length but a shorter last; a capture on loopback sees them as one payload.
      const run = [0, 1376, 2752, 4128].map((byteIndex, i) =>
        encode({
          type: 'audio',
          streamIndex: 1,
          byteIndex,
          payload: new Uint8Array(i === 3 ? 512 : 1376).fill(i),
        }),
      );
      const hex = run.map((datagram) => Buffer.from(datagram).toString('hex')).join('');
      const pcap = join(tempDir(), 'gso.pcap');
      udpPcap([hex], 40000, pcap);
      const fields = [
        'syfala.tag',
        'syfala.stream_index',
        'syfala.byte_index',
        'syfala.byte_count',
      ];
      const rows = dissect(pcap, 'syfala', [...fields, '_ws.expert', '_ws.col.Info']);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toEqual({
        'syfala.tag': 'AUDI,AUDI,AUDI,AUDI',
        'syfala.stream_index': '1,1,1,1',
        'syfala.byte_index': '0,1376,2752,4128',
        'syfala.byte_count': '1376,1376,1376,512',
        '_ws.expert': '',
        '_ws.col.Info': 'AUDI stream 1 bytes 0+1376 (4 datagrams: one segmented send)',
      });
    });
  },
);

/** Consecutive datagrams of one stream: each starts where the previous one's bytes ended. */
function expectContiguous(rows: readonly Record<string, string>[]): void {
  expect(rows.length).toBeGreaterThan(20);
  expect(Number(rows[0]!['syfala.byte_index'])).toBe(0);
  for (let i = 1; i < rows.length; i++) {
    const previous = rows[i - 1]!;
    expect(Number(rows[i]!['syfala.byte_index'])).toBe(
      Number(previous['syfala.byte_index']) + Number(previous['syfala.byte_count']),
    );
  }
}

const skipSession = !NETNS || !hasTshark;

describe.skipIf(skipSession)(
  `the Wireshark dissector on a captured CLI session${skipSession ? ' [skipped: needs tshark and the private network namespace of in-netns.sh]' : ''}`,
  () => {
    it(
      'shows the beacons, the control frames and both audio streams as the session ran them',
      { timeout: 90_000 },
      async () => {
        const dir = tempDir();
        const file = join(dir, 'session.pcapng');
        // Everything on loopback: the namespace holds only this test's traffic.
        const capture = await startCapture('udp or tcp', file);
        const server = syfala([
          'serve',
          ...LOOPBACK_SERVE,
          ...['--name', 'Wireshark card', '--log', 'json'],
          ...['--inputs', 'f32/48000/2/128', '--outputs', 'i16/48000/1/128'],
        ]);
        const { udpPort, controlPort } = await serve(server);
        const { audioPort } = await server.logEvent('listening');
        const endpoint = `127.0.0.1:${udpPort}`;
        for (const flags of [[], ['--no-encryption']]) {
          const client = syfala(['connect', endpoint, '--duration', '1', ...flags]);
          expect((await client.exited).code).toBe(0);
        }
        server.child.kill('SIGTERM');
        expect((await server.exited).code).toBe(0);
        await capture.stop();

        const beacons = dissect(file, 'syfala.tag == "CONN" || syfala.tag == "DSCV"', [
          'syfala.tag',
          'udp.dstport',
          'syfala.name',
          'syfala.control_port',
          'syfala.format.sample_rate',
        ]);
        expect(beacons.filter((row) => row['syfala.tag'] === 'DSCV').length).toBeGreaterThan(1);
        expect(beacons).toContainEqual({
          'syfala.tag': 'CONN',
          'udp.dstport': expect.any(String),
          'syfala.name': 'Wireshark card',
          'syfala.control_port': String(controlPort),
          'syfala.format.sample_rate': '48000,48000',
        });

        const control = dissect(file, 'syfala_control', [
          'tcp.srcport',
          'syfala_control.body',
          'syfala_control.udp_audio_port',
        ]);
        const bodies = control.flatMap((row) => row['syfala_control.body']!.split(','));
        for (const body of ['hello', 'welcome', 'start-io', 'start-io-result', 'heartbeat']) {
          expect(bodies).toContain(body);
        }
        const welcomes = control.filter((row) => row['syfala_control.body']!.includes('welcome'));
        expect(welcomes).toHaveLength(2);
        for (const welcome of welcomes) {
          expect(welcome['syfala_control.udp_audio_port']).toBe(String(audioPort));
        }

        const audioFields = [
          'frame.number',
          'syfala.tag',
          'syfala.direction',
          'syfala.stream_index',
          'syfala.byte_index',
          'syfala.byte_count',
          'syfala.key_id',
          'syfala.io_run',
          'syfala.copy',
          'syfala.stream_format',
          'syfala.frames',
        ];
        const audio = dissect(file, 'syfala.tag == "AUDI" || syfala.tag == "AUDE"', audioFields);
        const FORMATS = {
          'server → client (input)': { format: 'f32/48000/2/128', frameBytes: 8 },
          'client → server (output)': { format: 'i16/48000/1/128', frameBytes: 2 },
        } as Record<string, { format: string; frameBytes: number }>;
        for (const tag of ['AUDE', 'AUDI']) {
          for (const [direction, { format, frameBytes }] of Object.entries(FORMATS)) {
            const rows = audio.filter(
              (row) => row['syfala.tag'] === tag && row['syfala.direction'] === direction,
            );
            expectContiguous(rows);
            for (const row of rows) {
              expect(row['syfala.stream_index']).toBe('0');
              expect(row['syfala.stream_format']).toBe(format);
              expect(Number(row['syfala.frames'])).toBe(
                Number(row['syfala.byte_count']) / frameBytes,
              );
              if (tag === 'AUDE') {
                // The first I/O run of each connection seals with key ids 0 to 2^16 - 1.
                expect(Number(row['syfala.key_id'])).toBeLessThan(2 ** 16);
                expect(row['syfala.io_run']).toBe('0');
                expect(row['syfala.copy']).toBe('0');
              }
            }
          }
        }
      },
    );
  },
);
