import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Page } from 'puppeteer-core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ROOT, syfala } from './cli-process.js';
import { sleep, tempDir } from './fixtures.js';
import { serveWithMetrics, statusOf } from './observe.js';

/** Debian's chromium (.ci/run installs it), driven over the DevTools protocol: no download. */
const CHROMIUM = '/usr/bin/chromium';
const needsChromium = existsSync(CHROMIUM)
  ? ''
  : ' [skipped: chromium is not installed; apt-get install chromium]';

/**
 * Where the screenshot goes: a temporary file, or with SYFALA_STATUS_SCREENSHOT=1 the README's
 * docs/images/status-page.png, after a minute of streaming so the history has something to show.
 */
const README_SHOT = process.env['SYFALA_STATUS_SCREENSHOT'] === '1';
const STREAM_S = README_SHOT ? 75 : 10;

/**
 * 100 ms of jitter buffer each way: a busy machine's timer stalls must not run it dry. The
 * README's shot lets both sides adapt, so it shows jitter and drift too.
 */
const LATENCY = README_SHOT ? ['--latency', 'auto', '--drift-compensation'] : ['--latency', '4800'];

/** The virtual card's default tone, both ways: tone:440:-12. */
const TONE_DBFS = -12;

interface MeterReading {
  readonly key: string;
  /** The last peak the page read, dBFS. */
  readonly levelDb: number;
  /** Where the bar ends, % of the −60…0 dBFS scale. */
  readonly barPercent: number;
}

describe('the status page (serve --metrics)', () => {
  it(
    `shows a streaming session's meters at the tone's level and the numbers of /status.json${needsChromium}`,
    { timeout: (STREAM_S + 40) * 1000, skip: needsChromium !== '' },
    async () => {
      const { base, udpPort } = await serveWithMetrics([
        ...LATENCY,
        ...(README_SHOT ? ['--name', 'Studio A'] : []),
      ]);
      const page = await openPage(base);
      await page.waitForSelector('.empty');
      expect(await page.$$('.meter')).toHaveLength(0);

      const client = syfala([
        'connect',
        `127.0.0.1:${udpPort}`,
        '--timeout',
        '500',
        '--duration',
        String(STREAM_S),
        '--json',
        ...LATENCY,
        ...(README_SHOT ? ['--client-name', 'Stage left'] : []),
      ]);
      // The README's shot waits for a minute of history (and adaptive latency to settle).
      if (README_SHOT) await sleep((STREAM_S - 20) * 1000);
      // Four meters: 2 channels each way. They move from nothing to the tone once it plays.
      await page.waitForFunction(
        `[...document.querySelectorAll('.meter')].filter(
          (meter) => Math.abs(Number(meter.dataset.levelDb) - ${TONE_DBFS}) < 0.5,
        ).length === 4`,
        { timeout: 15_000 },
      );
      const times = new Set<string>();
      const readings: MeterReading[] = [];
      for (let i = 0; i < 5; i++) {
        readings.push(...(await readMeters(page)));
        times.add(await page.$eval('#sessions', (main) => main.getAttribute('data-time')!));
        await sleep(300);
      }
      const keys = ['receive/0/0', 'receive/0/1', 'send/0/0', 'send/0/1'];
      expect([...new Set(readings.map((meter) => meter.key))].sort()).toEqual(keys);
      for (const key of keys) {
        const levels = readings.filter((meter) => meter.key === key);
        const atTone = levels.filter((meter) => Math.abs(meter.levelDb - TONE_DBFS) < 0.05);
        // What is sent is the tone; what plays here may show a dropout (silence) when the
        // busy machine's timer stalled past the buffer: rare, and then nothing else.
        expect(atTone.length).toBeGreaterThanOrEqual(key.startsWith('send') ? 5 : 4);
        for (const meter of levels) {
          if (meter.levelDb !== -Infinity) expect(meter.levelDb).toBeCloseTo(TONE_DBFS, 1);
        }
        for (const meter of atTone) {
          expect(meter.barPercent).toBeCloseTo(((TONE_DBFS + 60) / 60) * 100, 0);
        }
      }
      // The page kept polling: each reading drew a newer status.
      expect(times.size).toBeGreaterThanOrEqual(4);

      // Its numbers are /status.json's, drawn from a read between two reads of it.
      const before = await statusOf(base);
      await page.waitForFunction(
        `Number(document.querySelector('#sessions').dataset.time) > ${before.time}`,
      );
      const cells = await readCells(page);
      const after = await statusOf(base);
      const stream = (status: typeof before, direction: 'receive' | 'send') =>
        status.sessions[0]!.local!.streams.find((s) => s.direction === direction)!;
      const received = count(cells['to-daemon/received']!);
      expect(received).toBeGreaterThanOrEqual(stream(before, 'receive').packets);
      expect(received).toBeLessThanOrEqual(stream(after, 'receive').packets);
      const sent = count(cells['to-client/sent']!);
      expect(sent).toBeGreaterThanOrEqual(stream(before, 'send').packets);
      expect(sent).toBeLessThanOrEqual(stream(after, 'send').packets);
      const target = stream(after, 'receive');
      expect(cells['to-daemon/target']).toBe(
        `${target.targetLatencyFrames} fr · ${(target.targetLatencySeconds! * 1000).toFixed(1)} ms`,
      );
      // The client's side, from its Stats: what it received of ours.
      const peer = after.sessions[0]!.peer!.streams.find((s) => s.direction === 'send')!;
      expect(count(cells['to-client/received']!)).toBeLessThanOrEqual(peer.packets);
      expect(count(cells['to-client/received']!)).toBeGreaterThan(0);

      const shot = README_SHOT
        ? join(ROOT, 'docs/images/status-page.png')
        : join(tempDir(), 'status-page.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(readFileSync(shot).subarray(1, 4).toString()).toBe('PNG');

      // When the client leaves, its session goes from the page.
      expect((await client.exited).code).toBe(0);
      await page.waitForSelector('.empty', { timeout: 5000 });
    },
  );
});

/** The page in a fresh headless Chromium, which must fetch nothing but the daemon's. */
async function openPage(base: string): Promise<Page> {
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    // Root (CI containers) can't use Chromium's sandbox.
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
  onTestFinished(() => browser.close());
  const page = await browser.newPage();
  const foreign: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(`${base}/`)) foreign.push(request.url());
  });
  page.on('pageerror', (error) => errors.push((error as Error).message));
  onTestFinished(() => {
    expect(foreign).toEqual([]);
    expect(errors).toEqual([]);
  });
  await page.setViewport({ width: 1280, height: 760 });
  await page.goto(`${base}/`);
  return page;
}

async function readMeters(page: Page): Promise<MeterReading[]> {
  const meters = await page.$$eval('.meter', (meters) =>
    meters.map((meter) => {
      const data = (name: string): string => meter.getAttribute(`data-${name}`)!;
      const cover = meter.querySelector('.cover')!.getAttribute('style')!;
      return {
        key: `${data('direction')}/${data('stream')}/${data('channel')}`,
        levelDb: data('level-db'),
        barPercent: parseFloat(/left:\s*([\d.]+)%/.exec(cover)![1]!),
      };
    }),
  );
  // "-inf" for silence: JSON has no infinity.
  return meters.map((meter) => ({
    ...meter,
    levelDb: meter.levelDb === '-inf' ? -Infinity : Number(meter.levelDb),
  }));
}

/** The numbers table: "to-daemon/received" → its text. */
async function readCells(page: Page): Promise<Record<string, string>> {
  return page.$$eval('td[data-field]', (cells) =>
    Object.fromEntries(
      cells.map((cell) => {
        const key = `${cell.getAttribute('data-way')}/${cell.getAttribute('data-field')}`;
        return [key, cell.textContent ?? ''];
      }),
    ),
  );
}

/** "118,597" → 118597. */
function count(text: string): number {
  return Number(text.replace(/,/g, ''));
}
