import type { Command } from 'commander';
import { describeSinkFailure } from '@syfala/audio';
import { formatAddress, type ServerSession, type SyfalaServer } from '@syfala/network';
import { describeFormat } from '@syfala/proto';
import { describeError } from '../cli-error.js';
import { Daemon, peerId } from '../daemon.js';
import { firstReceived, summarizeSessions, sumOf } from '../observe/session-summary.js';
import type { EndpointStatus } from '../observe/status.js';
import { StatusServer } from '../observe/status-server.js';
import {
  Log,
  cardEvents,
  describeFormats,
  playoutStats,
  playoutParts,
  statsCountersText,
} from '../output.js';
import { waitForSignal } from '../signals.js';
import { serveSettings } from './serve-settings.js';

const STATS_INTERVAL_MS = 5000;

/**
 * `syfala serve`: the virtual sound card as a Syfala server, logging sessions and (while any
 * streams) stats every 5 s, until SIGINT or SIGTERM; then every client is told 'shutdown' (or
 * 'device-lost' when the sound card went away first).
 */
export async function serveCommand(command: Command): Promise<number> {
  const settings = await serveSettings(command);
  const log = new Log(settings.log);
  for (const warning of settings.warnings) log.event('warning', { message: warning }, warning);
  // Bound first: a port in use stops serve before the daemon opens anything.
  const status =
    settings.metrics && (await StatusServer.listen(settings.metrics, settings.metrics.name));
  const daemon = await Daemon.start({
    ...settings.daemon,
    // A sink is the card's, not a session's: it stops alone, and every session streams on.
    onSinkFailed: (failure) =>
      log.event(
        'sink-failed',
        { ...failure },
        `output stream ${failure.output + 1}'s recording stopped: ${describeSinkFailure(failure)}; streaming goes on`,
      ),
  }).catch(async (error: unknown) => {
    await status?.close();
    throw error;
  });
  const stop = waitForSignal(['SIGINT', 'SIGTERM']);
  const { server, engine } = daemon;
  const { discovery } = settings.daemon;
  const multicast = discovery?.group !== false;
  const mdns = discovery?.mdns !== false;
  const { inputs, outputs } = server.formats;
  const { latency, driftCompensation } = settings.daemon.playout;
  const endpoint: EndpointStatus = {
    name: server.name,
    backend: settings.daemon.device.backend,
    id: server.id,
    bind: settings.daemon.host,
    udpPort: server.udpPort,
    controlPort: server.controlPort,
    audioPort: engine.port,
    inputs: inputs.map(describeFormat),
    outputs: outputs.map(describeFormat),
    multicast,
    mdns,
    psk: settings.daemon.psk !== undefined,
    encryption: settings.daemon.encryption !== false,
    latency,
    driftCompensation,
  };
  log.event(
    'listening',
    { ...endpoint },
    `listening as "${server.name}" (${server.id}) on ${settings.daemon.host}: UDP ${server.udpPort}, ` +
      `TCP control ${server.controlPort}, audio ${engine.port}; inputs ${describeFormats(inputs)}; ` +
      `outputs ${describeFormats(outputs)}; audio encryption ` +
      `${settings.daemon.encryption === false ? 'off (--no-encryption)' : 'on'}; latency ${latency === 'auto' ? 'auto' : `${latency} fr`}, ` +
      `drift compensation ${driftCompensation ? 'on' : 'off'}; ` +
      `discovery ` +
      ([multicast && 'multicast beacons', mdns && 'mDNS'].filter(Boolean).join(' + ') ||
        'by address only'),
  );

  if (status) {
    status.serve(daemon, endpoint);
    const { address, port } = status.address;
    const url = `http://${formatAddress(address, port)}/`;
    log.event(
      'metrics-listening',
      { address, port, url },
      `status page on ${url}, metrics on ${url}metrics, its data on ${url}status.json`,
    );
  }

  const subscription = daemon.events$.subscribe((event) => {
    const { session } = event;
    const client = session.client.clientName;
    if (event.type === 'opened') {
      const from = `${session.client.address}:${session.client.port}`;
      const transport = session.channel.transport;
      const { encrypted } = session;
      log.event(
        'session-opened',
        { client, clientId: session.client.clientId, address: from, transport, encrypted },
        `session opened: "${client}" from ${from} over ${transport.toUpperCase()}, ` +
          audioProtection(session, settings.daemon.encryption !== false),
      );
      logIo(log, session);
    } else {
      const { reason, by, text } = event.end;
      // Totals of both sides: the daemon's view and the client's (its last Stats).
      const local = daemon.localView(session)?.session;
      const peer = session.peerStats()?.session;
      log.event(
        'session-closed',
        { client, reason, by, text, totals: { local, peer } },
        `session closed: "${client}", ${reason} (by ${by}${text === '' ? '' : `: ${text}`})` +
          (local === undefined ? '' : `; here: ${statsCountersText(local)}`) +
          (peer === undefined ? '' : `; client says: ${statsCountersText(peer)}`),
      );
    }
  });

  const inputErrors = server.inputErrors$.subscribe(({ plane, peer, error }) =>
    log.event(
      'input-error',
      { plane, peer, error: describeError(error) },
      `dropped input from ${peer} (${plane.toUpperCase()}): handling it failed: ${describeError(error)}`,
    ),
  );

  const refusals = logRefusals(log, server);

  let stopping = false;
  const ticker = setInterval(() => {
    if (!server.sessions.some((session) => session.state === 'streaming')) return;
    // A dead engine rejects stats: deviceLost reports it, below.
    void engine.stats().then(
      (stats) => {
        if (stopping) return;
        const peers = summarizeSessions(server.sessions, stats, server.formats)
          .filter((session) => session.local !== undefined)
          .map(({ session, client, id, local }) => {
            const first = firstReceived(local, 'local');
            return {
              client,
              peer: id,
              sentDatagrams: sumOf(local, 'send', 'packets'),
              receivedDatagrams: sumOf(local, 'receive', 'packets'),
              lostFrames: sumOf(local, 'receive', 'lostFrames'),
              missingFrames: sumOf(local, 'receive', 'missingFrames'),
              late: sumOf(local, 'receive', 'latePackets'),
              duplicate: sumOf(local, 'receive', 'duplicatePackets'),
              underruns: sumOf(local, 'receive', 'underruns'),
              skippedFrames: sumOf(local, 'receive', 'skippedFrames'),
              // Encrypted audio: datagrams dropped unplayed (docs/SECURITY.md §4).
              ...(local?.authFailures !== undefined && {
                authFailed: local.authFailures,
                replayed: local.replays,
              }),
              targetLatencyFrames: first?.targetLatencyFrames,
              ...playoutStats(first),
              // The client's own view, from its last Stats (OBSERVABILITY.md §1).
              peerView: session.peerStats()?.session,
            };
          });
        const control = server.stats();
        log.event(
          'stats',
          {
            sessions: control.sessions,
            refused: control.refused,
            device: stats.device,
            socket: stats.socket,
            peers,
          },
          `stats: ${peers.length} streaming of ${control.sessions} session(s), card ${cardEvents(endpoint.backend)} ` +
            `${stats.device?.xruns ?? 0}, ${stats.socket.datagramsReceived} datagrams in` +
            peers
              .map(
                (p) =>
                  `; "${p.client}": sent ${p.sentDatagrams}, received ${p.receivedDatagrams}, ` +
                  `missing ${p.missingFrames} frames (lost ${p.lostFrames}), late ${p.late}, ` +
                  `duplicate ${p.duplicate}, underruns ${p.underruns}, skipped ${p.skippedFrames} frames` +
                  (p.authFailed === undefined
                    ? ''
                    : `, auth failures ${p.authFailed}, replays ${p.replayed}`) +
                  [
                    ...(p.targetLatencyFrames === undefined
                      ? []
                      : [`latency ${p.targetLatencyFrames} fr`]),
                    ...playoutParts(p),
                  ]
                    .map((text) => `, ${text}`)
                    .join('') +
                  (p.peerView === undefined
                    ? ''
                    : `; client says: ${statsCountersText(p.peerView)}`),
              )
              .join(''),
        );
      },
      () => undefined,
    );
  }, STATS_INTERVAL_MS);

  const why = await Promise.race([stop.received, engine.deviceLost.then((error) => ({ error }))]);
  stopping = true;
  clearInterval(ticker);
  await status?.close();
  const open = server.sessions.length;
  if (typeof why === 'string') {
    log.event(
      'shutdown',
      { signal: why, sessions: open },
      `shutting down (${why}): disconnecting ${open} session(s)`,
    );
    await daemon.close();
  } else {
    stop.dispose();
    log.event(
      'device-lost',
      { reason: why.error.message, sessions: open },
      `the sound card is gone (${why.error.message}): disconnecting ${open} session(s)`,
    );
    await daemon.close('device-lost', why.error.message);
  }
  if (engine.leftOpen !== undefined) {
    log.event('warning', { message: engine.leftOpen }, engine.leftOpen);
  }
  subscription.unsubscribe();
  inputErrors.unsubscribe();
  refusals.unsubscribe();
  log.event('stopped', {}, 'stopped');
  if (typeof why !== 'string') throw why.error;
  return 0;
}

/**
 * Logs every connection or client the server turned away, with its source; a flood is folded
 * into one line per source every REFUSAL_FOLD_INTERVAL_MS (the server rate-limits the reports).
 */
function logRefusals(log: Log, server: SyfalaServer): { unsubscribe(): void } {
  return server.refusals$.subscribe((report) => {
    if (report.type === 'refused') {
      const { transport, reason, text, source } = report;
      const peer = formatAddress(report.address, report.port);
      log.event(
        'refused',
        { peer, source, transport, reason, text },
        `refused ${peer} (${transport.toUpperCase()}): ${reason}${text === '' ? '' : `, ${text}`}`,
      );
    } else {
      const { source, count, reasons } = report;
      const from = source ?? 'other sources';
      const byReason = Object.entries(reasons)
        .map(([reason, n]) => `${reason} ${n}`)
        .join(', ');
      log.event(
        'refused-folded',
        { source: source ?? null, count, reasons },
        `refused ${count} more from ${from} (${byReason}): too many to log one by one`,
      );
    }
  });
}

/**
 * Whether a session's audio is encrypted, and if not why: the client did not offer it, this
 * server has --no-encryption, or the client speaks UDP control, which stays clear in version 1.
 */
function audioProtection(session: ServerSession, encryption: boolean): string {
  if (session.encrypted) return 'audio encrypted';
  const why =
    session.channel.transport === 'udp'
      ? 'UDP control is clear in version 1'
      : encryption
        ? 'the client did not offer it'
        : '--no-encryption';
  return `audio NOT encrypted (${why})`;
}

/** Logs I/O starting and stopping: entering and leaving 'streaming' (state$ completes on close). */
function logIo(log: Log, session: ServerSession): void {
  const client = session.client.clientName;
  const peer = peerId(session);
  let streaming = false;
  session.state$.subscribe((state) => {
    if (state === 'streaming') {
      streaming = true;
      const { redundancy } = session;
      const repeats =
        redundancy.serverToClient + redundancy.clientToServer === 0
          ? ''
          : `, redundancy ${redundancy.serverToClient} to it, ${redundancy.clientToServer} from it`;
      log.event(
        'io-started',
        { client, peer, redundancy },
        `io started: "${client}", audio to ${peer}${repeats}`,
      );
    } else if (streaming && state !== 'stopping-io') {
      streaming = false;
      log.event('io-stopped', { client, peer }, `io stopped: "${client}"`);
    }
  });
}
