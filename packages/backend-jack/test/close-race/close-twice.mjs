// Run by close-race.test.ts with the jack_close_race shim preloaded: opens a JackEngine's client,
// arms the race, closes, then tries to open another; prints what each step said, as JSON.
import { writeFileSync } from 'node:fs';
import { JackEngine } from '@syfala/backend-jack';
import { makeFormat } from '@syfala/proto';

const [server, armed] = process.argv.slice(2);
const format = makeFormat({ sampleRate: 48000, channels: 2, sampleType: 'f32', bufferFrames: 0 });
const streams = { inputs: [format], outputs: [format] };
const options = { server, clientName: 'close-race', autoConnect: false };
const bind = { address: '127.0.0.1', port: 0 };

const first = await JackEngine.start({ bind });
await first.openDevice(streams, options);
writeFileSync(armed, '');
const started = Date.now();
await first.close();
const closeMs = Date.now() - started;
const second = await JackEngine.start({ bind });
const refused = await second.openDevice(streams, options).then(
  () => undefined,
  (error) => error,
);
await second.close();
console.log(
  JSON.stringify({
    closeMs,
    leftOpen: first.leftOpen,
    code: refused?.code,
    message: refused?.message,
  }),
);
