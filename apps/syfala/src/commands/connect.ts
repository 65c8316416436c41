import { CliError } from '../cli-error.js';
import { endpointFormats } from '../endpoint-formats.js';
import { resolveEndpoint, terminalProgress } from '../resolve-endpoint.js';
import { streamWith, type StreamResult } from '../stream-client.js';
import { clientCard } from './connect/card.js';
import { connectPlan, type ConnectFlags } from './connect/plan.js';
import { SessionReporter } from './connect/reporter.js';
import { sessionStop } from './connect/stop.js';
import { describeEnd } from './connect/summary.js';

const STATS_INTERVAL_MS = 1000;

/**
 * `syfala connect`: streams with a server until --duration or Ctrl-C, recording what it sends
 * and playing a file or a tone to it, with a status line (or JSON stats) every second. Returns 1
 * when the server ended the session first.
 */
export async function connectCommand(text: string, flags: ConnectFlags): Promise<number> {
  const plan = await connectPlan(flags);
  const endpoint = await resolveEndpoint(text, {
    timeoutMs: plan.timeoutMs,
    progress: terminalProgress(),
    ...(plan.interface !== undefined && { interface: plan.interface }),
  });
  if (endpoint.controlPort === 0) {
    throw new CliError(
      `${endpoint.name} (${endpoint.host}) speaks UDP control only; syfala connect needs TCP control`,
    );
  }
  const formats = await endpointFormats(endpoint, plan.psk);
  // From here on, every way out closes the pipes.
  const card = await clientCard(endpoint, formats, plan);
  const { psk, redundancy, concealment, datagramBudgetBytes, clientName } = plan;
  const reporter = new SessionReporter(card.pipes.text, plan.json, {
    endpoint,
    formats,
    backend: plan.card.backend,
    files: card.files,
    protection: { psk: psk !== undefined, offered: plan.encryption },
  });
  // Only from here on does Ctrl-C stop cleanly; before, nothing needs closing and it just exits.
  const stop = sessionStop({ durationMs: plan.durationMs, other: card.pipes.recording?.broken });
  let result: StreamResult | undefined;
  let failure: unknown;
  try {
    result = await streamWith(endpoint, {
      device: card.device,
      ...(psk !== undefined && { psk }),
      encryption: plan.encryption,
      playout: plan.playout,
      ...(card.deviceSampleRate !== undefined && { deviceSampleRate: card.deviceSampleRate }),
      ...(redundancy !== undefined && { redundancy }),
      ...(concealment !== undefined && { concealment }),
      ...(datagramBudgetBytes !== undefined && { datagramBudgetBytes }),
      ...(clientName !== undefined && { clientName }),
      statsIntervalMs: STATS_INTERVAL_MS,
      onStats: (stats, serverView) => reporter.stats(stats, serverView),
      until: ({ ended, encrypted }) => {
        reporter.streaming(encrypted);
        void ended.then(() => reporter.stopped());
        return stop.until().then(() => reporter.stopped());
      },
    });
    failure = result.failed;
  } catch (error) {
    failure = error;
  } finally {
    stop.dispose();
    reporter.ended();
  }
  const pipeNotes = await card.pipes.close();
  reporter.summary(result, failure);
  for (const note of pipeNotes) reporter.note(note);
  if (result?.leftOpen !== undefined) reporter.note(result.leftOpen);
  if (result === undefined || failure !== undefined) throw failure;
  if ((redundancy ?? 0) > result.redundancy.serverToClient) {
    reporter.note(
      `${endpoint.name} sends ${result.redundancy.serverToClient} redundant period(s), not the ${redundancy} asked for`,
    );
  }
  if (result.ended === undefined) return 0;
  reporter.note(describeEnd(result.ended));
  return 1;
}
