import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ControlFrameDecoder, type ControlMessage } from '@syfala/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tcpRelay } from '../control/helpers.js';
import { connectTo, startServer } from './fixtures.js';

// Google's C++ protobuf reads and writes our control streams: its delimited helpers
// (ParseDelimitedFromZeroCopyStream, SerializeDelimitedToOstream) over code protoc generates from
// control.proto, an implementation independent of protobufjs (CONTROL.md §1).
const BUILD = fileURLToPath(new URL('../../../../tools/protobuf/build.sh', import.meta.url));
const VECTORS = new URL('../../../proto/vectors/control.json', import.meta.url);
const HAS_TOOLS =
  spawnSync('protoc', ['--version']).status === 0 &&
  spawnSync('g++', ['--version']).status === 0 &&
  existsSync('/usr/include/google/protobuf/util/delimited_message_util.h');

/** The body field the C++ reader names for each message type (control.proto's oneof). */
const bodyField = (message: ControlMessage): string => message.type.replaceAll('-', '_');

describe.skipIf(!HAS_TOOLS)(
  `control streams read by Google's C++ protobuf ${HAS_TOOLS ? '' : '(skipped: apt-get install protobuf-compiler libprotobuf-dev g++)'}`,
  { timeout: 120_000 },
  () => {
    let dir = '';

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'syfala-protobuf-'));
      execFileSync('bash', [BUILD, dir]);
    }, 120_000);
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** The C++ reader's view of `stream`, and what its writer wrote back, decoded by us. */
    function throughCpp(stream: Uint8Array): { lines: string[]; echoed: ControlMessage[] } {
      const out = join(dir, 'echoed.bin');
      const stdout = execFileSync(join(dir, 'delimited-echo'), [out], { input: stream });
      const decoder = new ControlFrameDecoder();
      const echoed = decoder.push(readFileSync(out));
      decoder.end();
      return { lines: stdout.toString().trimEnd().split('\n'), echoed };
    }

    /** "<body field> <request id>" of each line. */
    const heads = (lines: string[]): string[] => lines.map((line) => line.split(' ', 2).join(' '));

    it('reads every valid vector frame, and writes frames we decode to the same messages', () => {
      const { valid } = JSON.parse(readFileSync(VECTORS, 'utf8')) as {
        valid: { hex: string }[];
      };
      const stream = Buffer.from(valid.map((vector) => vector.hex).join(''), 'hex');
      const ours = new ControlFrameDecoder().push(stream);
      expect(ours).toHaveLength(valid.length);
      const { lines, echoed } = throughCpp(stream);
      expect(heads(lines)).toEqual(ours.map((m) => `${bodyField(m)} ${m.requestId}`));
      expect(echoed).toEqual(ours);
    });

    it('reads both directions of a real session, frame for frame as we do', async () => {
      const server = await startServer();
      const relay = await tcpRelay(server.controlPort);
      const connected = await connectTo(
        server,
        'tcp',
        { clientName: 'interop client' },
        { controlPort: relay.port },
      );
      const streaming = await connected.startIo();
      await (await streaming.stopIo()).disconnect();
      for (const captured of [relay.toServer, relay.toClient]) {
        const stream = Buffer.concat(captured);
        const ours = new ControlFrameDecoder().push(stream);
        const { lines, echoed } = throughCpp(stream);
        expect(heads(lines)).toEqual(ours.map((m) => `${bodyField(m)} ${m.requestId}`));
        expect(echoed).toEqual(ours);
      }
      const names = (captured: Buffer[]): string[] =>
        throughCpp(Buffer.concat(captured)).lines.map((line) => line.split(' ', 1)[0]!);
      const sent = throughCpp(Buffer.concat(relay.toServer)).lines;
      expect(sent[0]).toMatch(/^hello 1 .*client_name: "interop client"/);
      expect(names(relay.toServer)).toEqual(expect.arrayContaining(['start_io', 'stop_io']));
      expect(names(relay.toClient)).toEqual(
        expect.arrayContaining(['welcome', 'start_io_result', 'stop_io_result']),
      );
    });
  },
);
