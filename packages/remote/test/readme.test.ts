import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const read = (path: string): string => readFileSync(new URL(path, import.meta.url), 'utf8');

it('the README shows the processor module its example loads, as it is', () => {
  const block = /```js\n\/\/ examples\/peak-processor\.mjs\n([\s\S]*?)```/.exec(
    read('../README.md'),
  );
  const file = read('../examples/peak-processor.mjs');
  // The file's own header comment stays out of the README, which says it in prose.
  expect(block?.[1]).toBe(file.replace(/^(\/\/.*\n)+/, ''));
});
