#!/usr/bin/env node
// The `syfala-relay` command: runs the CLI that `tsc -b` builds into dist/.
let cli;
try {
  cli = await import('../dist/cli.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  process.stderr.write(
    'syfala-relay: the command is not built yet; run `pnpm exec tsc -b` at the repository root\n',
  );
  process.exit(1);
}
process.exitCode = await cli.main(process.argv);
