// Run by close-race.test.ts with the jack_close_race shim preloaded and armed from the start, so
// the first JACK client this process closes meets the race. Opens a client the way `mode` says
// (a JackEngine device after probeJack, or a duplex stream, which probes inside) and prints, as
// JSON, the client's name or the error that refused it.
import { JackEngine, jackBackend, probeJack } from '@syfala/backend-jack';
import { makeFormat } from '@syfala/proto';

const [server, mode] = process.argv.slice(2);
const format = makeFormat({ sampleRate: 48000, channels: 2, sampleType: 'f32', bufferFrames: 0 });
const streams = { inputs: [format], outputs: [format] };
const options = { server, clientName: 'open-once', autoConnect: false };

async function open() {
  if (mode === 'duplex') return (await jackBackend.open(streams, options)).name;
  const probed = await probeJack(server, { keepFor: options.clientName });
  const engine = await JackEngine.start({ bind: { address: '127.0.0.1', port: 0 } });
  const device = await engine.openDevice(streams, options);
  return { name: device.name, probedRate: probed.sampleRate, rate: device.sampleRate };
}

const result = await open().then(
  (opened) => ({ opened }),
  (error) => ({ code: error.code, message: error.message }),
);
console.log(JSON.stringify(result));
// Closing would meet the race it was armed for; the JACK server drops the client at exit.
process.exit(0);
