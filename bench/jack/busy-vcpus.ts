/**
 * Keeps every vCPU busy at idle priority while the rig measures (latency.ts --busy-vcpus).
 *
 * On this shared VM a vCPU with nothing to run halts, and the host delivers its next timer late:
 * the dummy JACK driver's wake-ups then come 2–4 ms late while both vCPUs sit idle (`perf record
 * -e sched:sched_switch` over a stall: the idle task on both for all but a few hundred µs), and
 * every graph cycle it owes runs late. A bridge that itself keeps the vCPUs busier (JackTrip's
 * two network threads per side) suffers fewer of those stalls than one that uses less CPU. A
 * SCHED_IDLE spinner per vCPU stands for a machine whose idle CPUs wake on time: it runs only
 * when nothing else wants the CPU, and real-time threads preempt it at once. bench/RESULTS.md,
 * issue #14, twenty-third session.
 */
import { availableParallelism } from 'node:os';
import { ManagedProcess } from '@syfala/jack-rig';

export interface BusyVcpus {
  stop(): Promise<void>;
}

export function startBusyVcpus(): BusyVcpus {
  const spinners = Array.from(
    { length: availableParallelism() },
    () => new ManagedProcess('chrt', ['--idle', '0', 'sh', '-c', 'while :; do :; done']),
  );
  return {
    async stop() {
      await Promise.all(spinners.map((spinner) => spinner.stop()));
    },
  };
}
