/**
 * Writes src/jitter-stats.generated.ts, the TS JitterBufferStats and its field order, from the one
 * list of the jitter buffer's statistics, native/src/core/jitter_stats_fields.hpp.
 * test/jitter-stats.test.ts fails when the file no longer matches the header.
 * Run: pnpm --filter @syfala/dataplane generate:jitter-stats
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const HEADER = new URL('../../../native/src/core/jitter_stats_fields.hpp', import.meta.url);
export const GENERATED = new URL('../src/jitter-stats.generated.ts', import.meta.url);

interface Field {
  readonly tsName: string;
  /** The doc comment's lines, without their comment marks. */
  readonly doc: readonly string[];
}

/** The header's entries in order: a doc comment, then STORED(c_name, tsName) or DERIVED(…). */
export function jitterStatsFields(header: string): Field[] {
  const fields: Field[] = [];
  const entry = /\/\*\*([\s\S]*?)\*\/\s*\\\s*(?:STORED|DERIVED)\((\w+), (\w+)\)/g;
  for (const [, comment, cName, tsName] of header.matchAll(entry)) {
    const camel = cName!.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
    if (tsName !== camel) {
      throw new Error(
        `jitter_stats_fields.hpp: ${cName} must be spelled ${camel} in TS, got ${tsName}`,
      );
    }
    const doc = comment!
      .split('\n')
      .map((line) =>
        line
          .replace(/\\\s*$/, '')
          .replace(/^\s*\*?\s?/, '')
          .trimEnd(),
      )
      .filter((line) => line !== '');
    fields.push({ tsName, doc });
  }
  if (fields.length === 0) throw new Error('jitter_stats_fields.hpp: no fields found');
  return fields;
}

export function jitterStatsModule(header: string): string {
  const fields = jitterStatsFields(header);
  const members = fields.map(({ tsName, doc }) => {
    const comment =
      doc.length === 1
        ? `  /** ${doc[0]} */`
        : ['  /**', ...doc.map((line) => `   * ${line}`), '   */'].join('\n');
    return `${comment}\n  readonly ${tsName}: number;`;
  });
  return `// Generated from native/src/core/jitter_stats_fields.hpp by scripts/jitter-stats.ts: do not edit.

/** Counters are cumulative over the buffer's life, across \`reset()\`; gauges are current. */
export interface JitterBufferStats {
${members.join('\n')}
}

/** JitterBufferStats' fields in the core's order: its snapshot's, the vectors' stats arrays'. */
export const JITTER_STATS_FIELDS = [
${fields.map(({ tsName }) => `  '${tsName}',`).join('\n')}
] as const satisfies readonly (keyof JitterBufferStats)[];
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(GENERATED, jitterStatsModule(readFileSync(HEADER, 'utf8')));
  console.log(`wrote ${fileURLToPath(GENERATED)}`);
}
