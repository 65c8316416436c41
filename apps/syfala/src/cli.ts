import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { inspect } from 'node:util';
import { Command, CommanderError, Option } from 'commander';
import { SyfalaError } from '@syfala/proto';
import { DEFAULT_CONTROL_PORT, DEFAULT_MAX_SESSIONS, DEFAULT_UDP_PORT } from '@syfala/network';
import { describeError } from './cli-error.js';
import { BACKENDS } from './backend-flags.js';
import { connectCommand } from './commands/connect.js';
import type { ConnectFlags } from './commands/connect/plan.js';
import { devicesCommand, type DevicesFlags } from './commands/devices.js';
import { discoverCommand, type DiscoverFlags } from './commands/discover.js';
import { infoCommand, type InfoFlags } from './commands/info.js';
import { serveCommand } from './commands/serve.js';
import { addReferenceCommands } from './reference/commands.js';
import { AUTO_INITIAL_PERIODS, DEFAULT_TARGET_LATENCY_FRAMES } from './playout.js';
import { STATUS_LINE_HELP } from './output.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** Exit codes: 0 done, 1 an error reported in one sentence, 2 a usage error (commander's). */
const EXIT_ERROR = 1;
const EXIT_USAGE = 2;

const DEFAULT_FORMATS = 'f32/48000/2/32';
const DEFAULT_TIMEOUT_MS = 1500;
/** How every time option reads its value. */
const TIME_HELP = '1500ms, 2s; a plain number is milliseconds';
const CONCEALMENT_HELP =
  'what plays where received audio is missing: fade (repeat the last cycle and fade it out; default) or silence';
const ENDPOINT_HELP = 'a name, an endpoint id or id prefix (8+ hex digits), or HOST[:UDPPORT]';

/**
 * Runs the `syfala` command line (`argv` as in process.argv: node, script, arguments…) and
 * resolves with the exit code. Errors are printed as one sentence; --debug adds the stack.
 */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const run =
    <Args extends unknown[]>(command: (...args: Args) => Promise<number>) =>
    async (...args: Args): Promise<void> => {
      exitCode = await command(...args);
    };
  const program = buildProgram(run);
  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (error) {
    // Commander has printed its usage message (or the help, or the version) already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    process.stderr.write(`${errorReport(error, program.opts<{ debug?: boolean }>().debug)}\n`);
    return EXIT_ERROR;
  }
}

function errorReport(error: unknown, debug: boolean | undefined): string {
  const sentence = `syfala: ${describeError(error).replace(/\s*\n\s*/g, ' ')}`;
  if (debug === true) return `${sentence}\n${inspect(error)}`;
  const expected = error instanceof SyfalaError || (error as NodeJS.ErrnoException).code;
  return expected ? sentence : `${sentence} (unexpected: run with --debug for the stack)`;
}

type Runner = <Args extends unknown[]>(
  command: (...args: Args) => Promise<number>,
) => (...args: Args) => Promise<void>;

export function buildProgram(run: Runner): Command {
  const program = new Command('syfala')
    .description(
      'Networked low-latency audio: find Syfala endpoints, serve a sound card, connect and stream.',
    )
    .version(version)
    .option('--debug', 'show the stack with every error')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)');

  program
    .command('discover')
    .description('list the Syfala endpoints on the network (UDP beacons and DNS-SD)')
    .option('--json', 'print one JSON array (with --watch: one JSON event per line)')
    .option('--watch', 'print endpoints as they are added, updated and removed, until Ctrl-C')
    .addOption(
      numberOption(
        '--timeout <time>',
        `how long to listen (without --watch): ${TIME_HELP}`,
        DEFAULT_TIMEOUT_MS,
      ),
    )
    .option('--interface <ipv4>', 'discover on the network interface with this address')
    .option('--no-mdns', 'do not browse DNS-SD (mDNS)')
    .option('--no-beacon', 'send no discovery beacons')
    .option(
      '--target <address[:port]>',
      `send beacons to this address (default port ${DEFAULT_UDP_PORT}) instead of the multicast group`,
    )
    .action(run((flags: DiscoverFlags) => discoverCommand(flags)));

  const serve = program
    .command('serve')
    .description('expose a sound card on the network as a Syfala server, until Ctrl-C or SIGTERM')
    .addOption(
      new Option('--backend <name>', 'sound card backend').choices(BACKENDS).default('virtual'),
    )
    .option('--name <name>', 'the name clients see (at most 255 UTF-8 bytes)', hostname())
    .option(
      '--id <uuid>',
      'a stable endpoint id, so `connect <id>` finds it after a restart (default: a new one each start)',
    )
    .option(
      '--inputs <formats>',
      'streams the card captures and sends: TYPE/RATE/CHANNELS/FRAMES, comma-separated (RATE ' +
        '8000 to 384000 Hz, CHANNELS 1 to 1024, FRAMES 16 to 8192 or 0; "" for ' +
        "none; --backend jack or coreaudio: one f32 stream over the device's channels at its rate)",
      DEFAULT_FORMATS,
    )
    .option(
      '--outputs <formats>',
      'streams the card receives and plays, as --inputs',
      DEFAULT_FORMATS,
    )
    .addOption(
      numberOption(
        '--udp-port <port>',
        'UDP port: discovery, UDP control (0: a free one)',
        DEFAULT_UDP_PORT,
      ),
    )
    .addOption(
      numberOption(
        '--control-port <port>',
        'TCP control port (0: a free one)',
        DEFAULT_CONTROL_PORT,
      ),
    )
    .addOption(
      numberOption('--audio-port <port>', "the audio engine's UDP port (0: a free one)", 0),
    )
    .option('--bind <address>', 'IPv4 address every socket binds to', '0.0.0.0')
    .option(
      '--interface <ipv4>',
      'join the discovery group and announce over mDNS on this interface only',
    )
    .addOption(pskOption('clients must prove they hold this key (at least 16 bytes)'))
    .option(
      '--no-encryption',
      "send and accept clients' audio clear: by default it is encrypted and authenticated " +
        '(ChaCha20-Poly1305, keys from each connection, bound to --psk) with every client that ' +
        'offers it; for measurement, or clients that cannot (UDP-control peers are clear anyway)',
    )
    .option(
      '--config <file>',
      'JSON file of these options in camelCase ({"udpPort": 7000}); flags win',
    )
    .option(
      '--source <spec>',
      'what input stream N captures, one flag per stream in order: tone[:HZ[:DBFS]] (default ' +
        'tone:440:-12), noise[:DBFS], silence, wav:PATH (looped)',
      collect,
    )
    .option(
      '--sink <spec>',
      'where output stream N goes, one flag per stream in order: null (default), wav:PATH',
      collect,
    )
    .option('--concealment <mode>', CONCEALMENT_HELP)
    .option('--no-mdns', 'do not announce over DNS-SD (mDNS)')
    .option(
      '--no-multicast',
      'do not answer beacons sent to the multicast group (the default when --bind is not ' +
        '0.0.0.0: a socket bound to one address, such as 127.0.0.1, cannot join a group)',
    )
    .addOption(
      numberOption(
        '--max-sessions <n>',
        'clients at once; more are refused as busy',
        DEFAULT_MAX_SESSIONS,
      ),
    )
    .addOption(
      new Option(
        '--log <format>',
        'log format (default: text on a terminal, else JSON lines)',
      ).choices(['text', 'json']),
    )
    .option(
      '--metrics <[address:]port>',
      'serve over HTTP: /metrics (OpenMetrics, for Prometheus), a live status page with level ' +
        'meters at /, and its data at /status.json (PORT alone: on 127.0.0.1; default: off)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  syfala serve --name "Studio A"\n' +
        '  syfala serve --name "Studio A" --metrics 9464   # then open http://127.0.0.1:9464/\n' +
        '  syfala serve --bind 127.0.0.1 --no-mdns --inputs f32/48000/2/32,i24/48000/8/64 --source noise:-20\n',
    )
    .action(run((_flags: unknown, command: Command) => serveCommand(command)));
  addJackFlags(serve, {
    clientName:
      'the client name; its ports are send_N (JACK inputs, sent to the clients) and receive_N ' +
      '(JACK outputs, what they send); with several streams send2_1 is stream 2, channel 1',
    defaultClientName: 'syfala-server',
    capturePorts: 'ports feeding the input streams, in channel order',
    playbackPorts: 'ports the output streams feed, in channel order',
  });
  addPlayoutFlags(serve, "each client's audio");
  addDatagramBudgetFlag(serve);
  addCoreAudioFlags(serve);

  const connect = program
    .command('connect')
    .description('stream with a server: record what it sends, play a file or a tone to it')
    .argument('<endpoint>', ENDPOINT_HELP)
    .option(
      '--record <file>',
      "record the server's input streams: stream 1 to FILE.wav, stream 2 to FILE-2.wav …; " +
        '- writes its one stream to stdout as WAV (then text goes to stderr)',
    )
    .option(
      '--play <file>',
      "play a WAV file (once) to the server's output stream 1; the others get a tone; " +
        '- reads WAV from stdin, then silence',
    )
    .option(
      '--raw',
      "with --record - or --play -: headerless PCM in the stream's format (wire type, or the closest WAV holds)",
    )
    .option(
      '--duration <time>',
      'stop after this long: 4s, 500ms, 2min; a plain number is seconds (default: at Ctrl-C)',
    )
    .option('--json', 'print JSON lines: stats every second, then a summary')
    .addOption(
      new Option('--backend <name>', 'the local sound card').choices(BACKENDS).default('virtual'),
    )
    .option(
      '--sample-rate <hz>',
      "virtual card: run at this rate instead of the endpoint's (resampled; needs drift compensation)",
    )
    .option(
      '--skew-ppm <ppm>',
      'virtual card: run its clock this many ppm fast (negative: slow), to try drift compensation',
    )
    .addOption(pskOption("the server's pre-shared key"))
    .option(
      '--no-encryption',
      'send and accept audio clear: by default it is encrypted and authenticated ' +
        '(ChaCha20-Poly1305, keys from this connection, bound to --psk) when the server offers ' +
        'it; for measurement, or a server of before encrypted audio that requires --psk',
    )
    .option('--concealment <mode>', CONCEALMENT_HELP)
    .option(
      '--redundancy <periods>',
      'each datagram repeats the previous 0 to 3 periods, both ways, against packet loss (default 0)',
    )
    .addOption(lookupTimeoutOption())
    .addOption(lookupInterfaceOption())
    .option(
      '--client-name <name>',
      "the name the server's log shows for us (default: the host name)",
    )
    .addHelpText(
      'after',
      '\nExamples:\n  syfala connect "Studio A" --record take.wav --duration 10\n' +
        '  syfala connect "Studio A" --record - --duration 10 | sox -t wav - take.flac\n' +
        '  sox in.flac -t wav - | syfala connect "Studio A" --play - --duration 10\n' +
        `\n${STATUS_LINE_HELP}\n`,
    )
    .action(run((endpoint: string, flags: ConnectFlags) => connectCommand(endpoint, flags)));
  addJackFlags(connect, {
    clientName:
      'the client name (default: syfala-<endpoint name>); its ports are capture_N (JACK outputs, ' +
      'what the endpoint captures) and playback_N (JACK inputs, what it plays); with several ' +
      'streams capture2_1 is stream 2, channel 1',
    capturePorts: 'ports sent to the endpoint, in channel order',
    playbackPorts: "ports the endpoint's audio plays to",
  });
  addPlayoutFlags(connect, "the server's audio");
  addDatagramBudgetFlag(connect);
  addCoreAudioFlags(connect);

  program
    .command('devices')
    .description('list the sound cards serve and connect can use: virtual, JACK, CoreAudio')
    .addOption(new Option('--backend <name>', 'list this backend only').choices(BACKENDS))
    .addOption(jackServerOption())
    .option('--json', 'print one JSON array')
    .action(run((flags: DevicesFlags) => devicesCommand(flags)));

  program
    .command('info')
    .description(
      "show an endpoint's name, id, address, ports, protocol version and stream formats; given " +
        "a daemon's --metrics address, its sessions as both sides see them",
    )
    .argument('<endpoint>', `${ENDPOINT_HELP}, or a daemon's --metrics address (http://HOST:PORT/)`)
    .option('--json', 'print one JSON object')
    .addOption(lookupTimeoutOption())
    .addOption(lookupInterfaceOption())
    .addOption(
      pskOption("the server's pre-shared key, for when its announcement leaves the formats out"),
    )
    .action(run((endpoint: string, flags: InfoFlags) => infoCommand(endpoint, flags)));

  addReferenceCommands(program);
  return program;
}

/** What the JACK flags say where serve and connect differ: their clients' ports. */
interface JackFlagsHelp {
  readonly clientName: string;
  readonly defaultClientName?: string;
  readonly capturePorts: string;
  readonly playbackPorts: string;
}

/** How long connect and info look for the endpoint they are given. */
function lookupTimeoutOption(): Option {
  return numberOption(
    '--timeout <time>',
    `how long to look for the endpoint: ${TIME_HELP}`,
    DEFAULT_TIMEOUT_MS,
  );
}

function lookupInterfaceOption(): Option {
  return new Option('--interface <ipv4>', 'look for it on the network interface with this address');
}

/** JACK's client flags, the same for serve and connect but for what their ports carry. */
function addJackFlags(command: Command, help: JackFlagsHelp): void {
  command
    .addOption(jackServerOption())
    .addOption(
      new Option('--jack-name <name>', `JACK: ${help.clientName}`).default(help.defaultClientName),
    )
    .option(
      '--capture-ports <ports>',
      `JACK: ${help.capturePorts} (default: the physical capture ports)`,
    )
    .option(
      '--playback-ports <ports>',
      `JACK: ${help.playbackPorts} (default: the physical playback ports)`,
    )
    .option('--no-auto-connect', 'JACK: connect no ports (wire them yourself)');
}

/** Which JACK server: serve, connect and devices take it. */
function jackServerOption(): Option {
  return new Option(
    '--jack-server <name>',
    "JACK: the server to use (jackd -n; default: JACK's own)",
  );
}

/** How received audio is played out, the same for serve and connect; defaults per backend. */
function addPlayoutFlags(command: Command, received: string): void {
  command
    .option(
      '--latency <auto|frames>',
      `jitter-buffer target for ${received}: auto (start at ${AUTO_INITIAL_PERIODS} device ` +
        'periods, then follow the measured jitter; needs drift compensation) or a fixed number ' +
        `of frames, 480 or 480fr (default: auto on jack and coreaudio, ${DEFAULT_TARGET_LATENCY_FRAMES} on virtual)`,
    )
    .option(
      '--drift-compensation',
      "resample received audio to follow the sender's clock, so the buffer holds at the target " +
        'and an underrun is concealed instead of re-priming (default on jack and coreaudio)',
    )
    .option(
      '--no-drift-compensation',
      'play received audio bit for bit; a clock drift slips or re-primes (default on virtual)',
    );
}

/** How large the audio datagrams sent may be, the same for serve and connect. */
function addDatagramBudgetFlag(command: Command): void {
  command.option(
    '--datagram-budget <auto|bytes>',
    'largest audio datagram sent, headers included: auto (jack and coreaudio: as large as the ' +
      'route to the peer carries unfragmented, up to 65507 over loopback, 1400 over Ethernet; ' +
      'virtual: 1400) or a number of bytes, e.g. 1400 where a hop on the path has a smaller ' +
      'MTU than this host sees (default: auto)',
  );
}

/** CoreAudio's device flags, the same for serve and connect. */
function addCoreAudioFlags(command: Command): void {
  command
    .option(
      '--device <uid|name>',
      'CoreAudio: the device both ways (default: the system default input and output)',
    )
    .option('--input-device <uid|name>', 'CoreAudio: the device that captures')
    .option('--output-device <uid|name>', 'CoreAudio: the device that plays')
    .option(
      '--input-channels <list>',
      'CoreAudio: device channels (from 1) the captured streams take, e.g. 3,4 (default: the first)',
    )
    .option(
      '--output-channels <list>',
      'CoreAudio: device channels (from 1) the played streams feed (default: the first)',
    )
    .option('--period <frames>', 'CoreAudio: ask the device for this I/O buffer size');
}

/** A flag whose default is a number; the value given is a string, checked with the config's. */
function numberOption(flags: string, description: string, value: number): Option {
  return new Option(flags, description).default(value);
}

/** Read from SYFALA_PSK when not given: a key on the command line shows up in `ps`. */
function pskOption(description: string): Option {
  return new Option('--psk <key>', description).env('SYFALA_PSK');
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
