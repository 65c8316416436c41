import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  ManagedProcess,
  PIPEWIRE_INSTALL_HINT,
  runCommand,
  startPipeWireServer,
  uniqueServerName,
  type JackServer,
} from '@syfala/jack-rig';
import { jsonLines } from './cli-process.js';
import {
  EXACT,
  JACK_SIGNAL,
  LATENCY,
  SECONDS,
  exactRuns,
  signalRoundTrip,
} from './jack-round-trip.js';

const hasPipeWire =
  spawnSync('pipewire', ['--version']).status === 0 &&
  existsSync('/usr/share/doc/pipewire-jack') &&
  spawnSync('jack_thru', ['--help']).error === undefined &&
  existsSync(JACK_SIGNAL);
const needsPipeWire = hasPipeWire
  ? ''
  : ` [skipped: needs ${PIPEWIRE_INSTALL_HINT}, jackd2's tools and the native addon built with libjack]`;

const QUANTUM = 256;

/**
 * The server's loop through jack_thru: PipeWire hands a client's input port the very buffer of
 * its own output port linked to it, in the same cycle, and our callback zeroes its outputs before
 * reading its inputs, so a direct receive_1 → send_1 loop sends silence (jackd2 delays such a
 * loop by a period instead).
 */
async function thruLoop(graph: JackServer): Promise<void> {
  const thru = new ManagedProcess('jack_thru', [], { env: graph.env() });
  onTestFinished(async () => void (await thru.stop()));
  await graph.waitForPorts(['jack_thru:input_1', 'jack_thru:output_1'], 10_000, thru);
  // jack_thru connects itself to the physical ports: the test source would mix in.
  for (const port of [
    'jack_thru:input_1',
    'jack_thru:input_2',
    'jack_thru:output_1',
    'jack_thru:output_2',
  ]) {
    for (const peer of await graph.connections(port)) {
      await (port.includes('input') ? graph.disconnect(peer, port) : graph.disconnect(port, peer));
    }
  }
  await graph.connect('syfala-server:receive_1', 'jack_thru:input_1');
  await graph.connect('jack_thru:output_1', 'syfala-server:send_1');
}

describe("PipeWire's JACK", () => {
  it(`carries f32 from connect to serve and back on one PipeWire graph, sample-exact${needsPipeWire}`, async (ctx) => {
    if (!hasPipeWire) ctx.skip();
    const graph = await startPipeWireServer({
      name: uniqueServerName('pw-e2e'),
      periodFrames: QUANTUM,
    });
    onTestFinished(() => graph.stop());

    const { server, client, sent, back } = await signalRoundTrip(
      graph,
      graph,
      [...LATENCY, ...EXACT],
      SECONDS + 3,
      '11',
      thruLoop,
    );
    const listening = await server.logEvent('listening');
    // The defaults come from PipeWire's graph as from jackd: its rate, its quantum, its ports.
    expect(listening['inputs']).toEqual([`f32/48000Hz/2ch/${QUANTUM}`]);

    // Pretty names through PipeWire's metadata, and latency as jackd2 reports it: the
    // target (--latency 1024) plus a period on the ports that give received audio.
    const property = await runCommand(
      'jack_property',
      ['-l', '--port', 'syfala-rig-a:capture_1', 'http://jackaudio.org/metadata/pretty-name'],
      { env: graph.env() },
    );
    expect(property.stdout.trim()).toBe('rig-a capture 1');
    const latency = await runCommand(
      'jack_lsp',
      ['-s', graph.name, '-l', 'syfala-server:receive_1'],
      {
        env: graph.env(),
      },
    );
    expect(latency.stdout).toContain(
      `port capture latency = [ ${1024 + QUANTUM} ${1024 + QUANTUM} ]`,
    );

    expect((await client.exited).code).toBe(0);
    // Every sample that came back is one that was sent, bit for bit. On a loaded machine
    // PipeWire skips or repeats whole cycles of a late client without calling JACK's xrun
    // callback (jackd2 reports those), so the delay may step, but only by whole quanta.
    const { runs, unexplained } = exactRuns(sent, back);
    expect(unexplained).toBe(0);
    expect(runs.length).toBeGreaterThan(0);
    const delays = [...new Set(runs.map((run) => run.delay))];
    expect(delays.filter((delay) => (delay - delays[0]!) % QUANTUM !== 0)).toEqual([]);
    const matched = runs.reduce((total, run) => total + run.length, 0);
    expect(matched).toBeGreaterThan(0.5 * (back.length - runs[0]!.start));
    const summary = jsonLines(client.stdout).find((line) => line['type'] === 'summary') as {
      streams: { missingFrames: number; skippedFrames: number }[];
    };
    const clientStats = jsonLines(client.stdout).filter((line) => line['type'] === 'stats');
    const serverStats = jsonLines(server.stderr).filter((line) => line['event'] === 'stats');
    const serverXruns = (serverStats.at(-1)?.['device'] as { xruns: number } | undefined)?.xruns;
    await ctx.annotate(
      `${runs.length} exact run(s) at delays ${delays.join(', ')}, ${matched} of ` +
        `${back.length - runs[0]!.start} frames; connect: missing ` +
        `${summary.streams[0]!.missingFrames}, skipped ${summary.streams[0]!.skippedFrames}, ` +
        `xruns ${String(clientStats.at(-1)?.['xruns'])}; serve: xruns ${String(serverXruns)}`,
    );
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  }, 60_000);
});
