#!/usr/bin/env -S node --use-largepages=silent
// The `syfala` command: runs the CLI that `tsc -b` builds into dist/. Node's code goes on 2 MB
// pages where the kernel allows it: on a virtual machine whose page tables the host shadows, a
// process mapped in fewer pages costs less to switch into, and the JACK thread lives in this one
// (bench/RESULTS.md, issue #14, twenty-fifth session).
let cli;
try {
  cli = await import('../dist/cli.js');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
  process.stderr.write(
    'syfala: the command is not built yet; run `pnpm exec tsc -b` at the repository root\n',
  );
  process.exit(1);
}
process.exitCode = await cli.main(process.argv);
