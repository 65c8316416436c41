/**
 * JACK's machine-wide server registry, and freeing the slots of servers that died without
 * unregistering.
 *
 * jackd2 (common/shm.c, built with POSIX shm on Linux) keeps one registry for every server of
 * every user in the POSIX shm object `/jack-shm-registry` (the file /dev/shm/jack-shm-registry):
 *
 * ```
 *  offset  size  field
 *  0       4     magic 0x4a41434b ("JACK")
 *  4       2     protocol (+2 padding)
 *  8       4     shm type (1 = POSIX)
 *  12      4     registry size in bytes (70744)
 *  16      4     header length (2136)
 *  20      4     segment entry length (268)
 *  24      8 ×   server slot: pid i32, name char[257] "jack-<uid>:<server>:", 3 padding = 264
 *  2136    256 × segment entry: index i16 (+2), allocator pid i32, size u32,
 *                 id char[255] "/jack-<uid>-<index>" (+1)  = 268
 * ```
 *
 * A server claims a slot (pid 0 = free) when it starts and clears it when it stops cleanly. One
 * that dies (SIGKILL, a crash at shutdown) keeps it: jackd only reclaims a dead slot when a
 * server *of the same name* starts, and a ninth concurrent name fails with "Too many servers
 * already active". Tests that use a fresh name per run therefore fill all 8 slots after 8 dirty
 * exits. Segments are safer: every starting server unlinks segments whose allocator is dead
 * (jack_cleanup_shm), but until one starts, each dead server keeps ~100 MB of /dev/shm (its
 * engine segment) and leaves its socket and semaphore files behind.
 *
 * Every registry update in jackd happens under a SysV semaphore (key 0x282929, taken with
 * SEM_UNDO so a killed holder releases it). We take the same lock — through perl, which can call
 * semop(2) and is essential on Debian — so our edit can never interleave with a server
 * registering; a slot is freed only when its pid no longer exists (or is a zombie).
 */
import { spawn } from 'node:child_process';
import { open, readdir, unlink } from 'node:fs/promises';
import { endianness } from 'node:os';
import { procStatFields } from './cpu.js';
import { JackRigError } from './errors.js';

/** Where jackd2 keeps its shm objects, sockets and semaphores (`jackd --version`: tmpdir). */
export const JACK_TMP_DIR = '/dev/shm';
export const JACK_REGISTRY_PATH = `${JACK_TMP_DIR}/jack-shm-registry`;

const JACK_SHM_MAGIC = 0x4a41434b;
const SHM_TYPE_POSIX = 1;
const MAX_SERVERS = 8;
const MAX_SHM_ID = 256;
const HEADER_FIXED_BYTES = 24;
const SERVER_NAME_BYTES = 257;
const SEGMENT_ID_OFFSET = 12;
const SEGMENT_ID_BYTES = 255;
const REGISTRY_LOCK_TIMEOUT_MS = 5_000;

/** One of the 8 server slots, as read from the registry. */
export interface JackServerSlot {
  slot: number;
  pid: number;
  /** The server name (without jackd's "jack-<uid>:…:" prefix). */
  name: string;
  uid: number;
  /** False when the pid is gone or a zombie: the slot is stale. */
  alive: boolean;
}

/** One shm segment entry in use. */
export interface JackSegment {
  index: number;
  allocator: number;
  bytes: number;
  /** The POSIX shm name, e.g. "/jack-0-3" (the file /dev/shm/jack-0-3). */
  id: string;
  alive: boolean;
}

export interface JackRegistry {
  servers: JackServerSlot[];
  segments: JackSegment[];
}

/** What freeStaleJackSlots() removed. */
export interface StaleCleanup {
  freedSlots: { name: string; pid: number }[];
  removedSegments: string[];
  removedFiles: string[];
}

interface Layout {
  serverBytes: number;
  headerBytes: number;
  entryBytes: number;
}

/** True while a process with this pid exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists, it is just not ours.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return procStatFields(pid)[0] !== 'Z'; // field 3: the state, Z for a zombie
  } catch {
    return true; // no /proc: trust kill(2)
  }
}

function cString(buf: Buffer, offset: number, max: number): string {
  const end = buf.indexOf(0, offset);
  return buf.toString('latin1', offset, end < 0 || end > offset + max ? offset + max : end);
}

function layoutOf(buf: Buffer): Layout {
  const le = endianness() === 'LE';
  const u32 = (o: number): number => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const magic = u32(0);
  const type = u32(8);
  const size = u32(12);
  const headerBytes = u32(16);
  const entryBytes = u32(20);
  const serverBytes = (headerBytes - HEADER_FIXED_BYTES) / MAX_SERVERS;
  if (
    magic !== JACK_SHM_MAGIC ||
    type !== SHM_TYPE_POSIX ||
    size !== buf.length ||
    size !== headerBytes + entryBytes * MAX_SHM_ID ||
    !Number.isInteger(serverBytes) ||
    serverBytes < 4 + SERVER_NAME_BYTES ||
    entryBytes < SEGMENT_ID_OFFSET + SEGMENT_ID_BYTES
  ) {
    throw new JackRigError(
      'REGISTRY_LAYOUT',
      `${JACK_REGISTRY_PATH}: expected a jackd2 POSIX registry (magic 0x4a41434b, type 1, ` +
        `${MAX_SERVERS} servers, ${MAX_SHM_ID} segments), got magic 0x${magic.toString(16)}, ` +
        `type ${type}, size ${size} of ${buf.length} bytes, header ${headerBytes}, entry ${entryBytes}`,
    );
  }
  return { serverBytes, headerBytes, entryBytes };
}

function parse(buf: Buffer): { layout: Layout; registry: JackRegistry } {
  const layout = layoutOf(buf);
  const le = endianness() === 'LE';
  const i32 = (o: number): number => (le ? buf.readInt32LE(o) : buf.readInt32BE(o));
  const servers: JackServerSlot[] = [];
  for (let slot = 0; slot < MAX_SERVERS; slot++) {
    const at = HEADER_FIXED_BYTES + slot * layout.serverBytes;
    const pid = i32(at);
    if (pid === 0) continue;
    const prefix = cString(buf, at + 4, SERVER_NAME_BYTES);
    // "jack-<uid>:<name>:" (jack_set_server_prefix)
    const match = /^jack-(\d+):(.*):$/s.exec(prefix);
    servers.push({
      slot,
      pid,
      name: match?.[2] ?? prefix,
      uid: match ? Number(match[1]) : -1,
      alive: processAlive(pid),
    });
  }
  const segments: JackSegment[] = [];
  for (let index = 0; index < MAX_SHM_ID; index++) {
    const at = layout.headerBytes + index * layout.entryBytes;
    const allocator = i32(at + 4);
    const bytes = le ? buf.readUInt32LE(at + 8) : buf.readUInt32BE(at + 8);
    if (allocator === 0 && bytes === 0) continue;
    segments.push({
      index,
      allocator,
      bytes,
      id: cString(buf, at + SEGMENT_ID_OFFSET, SEGMENT_ID_BYTES),
      alive: processAlive(allocator),
    });
  }
  return { layout, registry: { servers, segments } };
}

/** Reads the registry (without the lock: a snapshot for display). Null when none exists. */
export async function readJackRegistry(path = JACK_REGISTRY_PATH): Promise<JackRegistry | null> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const { buffer } = await file.read({ buffer: Buffer.alloc((await file.stat()).size) });
    return parse(buffer).registry;
  } finally {
    await file.close();
  }
}

// Takes JACK's registry semaphore exactly as jackd does (semaphore_init / semaphore_add in
// common/shm.c), prints "locked", and holds it until stdin closes. SEM_UNDO means the kernel
// gives the token back even if this process (or its parent) is killed while holding it.
const LOCK_SCRIPT = `
my ($key, $tries) = (0x282929, $ARGV[0]);
my $id = semget($key, 0, 0);
if (!defined $id) {
  $id = semget($key, 1, 01000 | 02000 | 0666);
  if (defined $id) { semop($id, pack("s!3", 0, 1, 0)) or die "semop init: $!\\n"; }
  else { $id = semget($key, 0, 0); defined $id or die "semget: $!\\n"; }
}
until (semop($id, pack("s!3", 0, -1, 0x1000 | 04000))) {
  die "semop: $!\\n" unless $!{EAGAIN};
  die "timed out: another process holds the JACK registry lock\\n" if --$tries < 0;
  select(undef, undef, undef, 0.01);
}
$| = 1;
print "locked\\n";
my $ignored = <STDIN>;
semop($id, pack("s!3", 0, 1, 0x1000));
`;

/** Runs fn while holding JACK's registry lock. */
async function withRegistryLock<T>(fn: () => Promise<T>): Promise<T> {
  const tries = String(Math.ceil(REGISTRY_LOCK_TIMEOUT_MS / 10));
  const child = spawn('perl', ['-e', LOCK_SCRIPT, tries], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => {
      child.on('error', (err) =>
        reject(
          new JackRigError('REGISTRY_LOCK', `cannot run perl to take JACK's registry lock`, {
            cause: err,
          }),
        ),
      );
      child.stdout.setEncoding('utf8').on('data', (s: string) => {
        if (s.includes('locked')) resolve();
      });
      child.on('close', (code) =>
        reject(
          new JackRigError(
            'REGISTRY_LOCK',
            `JACK registry lock (SysV semaphore 0x282929): perl exited ${code}: ${stderr.trim()}`,
          ),
        ),
      );
    });
    return await fn();
  } finally {
    child.stdin.end();
    await exited;
  }
}

async function removeFile(path: string, removed: string[]): Promise<void> {
  try {
    await unlink(path);
    removed.push(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

// A server's request socket: jack_<server>_<uid>_0 (posix/JackSocket.cpp BuildName). Clients
// bind jack_<client>_<uid>_0 too, briefly, while opening, so only the exact name of a server
// whose slot we free is removed: a socket of unknown owner is never touched.
const serverSocket = (name: string, uid: number): string => `jack_${name}_${uid}_0`;
// One POSIX semaphore per client of a server: jack_sem.<uid>_<server>_<client>
// (posix/JackPosixSemaphore.cpp); the server name is always in it.
const semaphorePrefix = (name: string, uid: number): string => `jack_sem.${uid}_${name}_`;
const SEMAPHORE_FILE = /^jack_sem\.\d+_/;
// Shm segments: "/jack-<uid>-<registry index>" (jack_shmalloc).
const SEGMENT_FILE = /^jack-\d+-(\d+)$/;

/**
 * Frees the registry slots and shm segments of JACK servers whose process is gone, and removes
 * the files they left in /dev/shm: their request sockets, the semaphores of any server that is
 * not live, and segment files the registry no longer lists. A live server is never touched: an
 * entry is cleared only if its pid does not exist (or is a zombie), and everything happens under
 * the lock jackd takes to register, so no server can register (and then create files) between
 * our reading the registry and our removing what it no longer names. A semaphore is kept
 * whenever its name could belong to a live server (server names may contain "_").
 */
export async function freeStaleJackSlots(path = JACK_REGISTRY_PATH): Promise<StaleCleanup> {
  const result: StaleCleanup = { freedSlots: [], removedSegments: [], removedFiles: [] };
  await withRegistryLock(async () => {
    let file;
    try {
      file = await open(path, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    let registry: JackRegistry;
    try {
      const buf = Buffer.alloc((await file.stat()).size);
      await file.read({ buffer: buf, position: 0 });
      const parsed = parse(buf);
      const { layout } = parsed;
      registry = parsed.registry;
      for (const server of registry.servers) {
        if (server.alive) continue;
        const at = HEADER_FIXED_BYTES + server.slot * layout.serverBytes;
        await file.write(Buffer.alloc(layout.serverBytes), 0, layout.serverBytes, at);
        result.freedSlots.push({ name: server.name, pid: server.pid });
      }
      for (const segment of registry.segments) {
        // allocator 0 with a size: half-written by jackd; leave it, as jack_cleanup_shm does.
        if (segment.alive || segment.allocator === 0) continue;
        // As jack_cleanup_shm: unlink the object, then clear allocator, size and id (keep index).
        if (SEGMENT_FILE.test(segment.id.slice(1))) {
          await removeFile(`${JACK_TMP_DIR}${segment.id}`, result.removedSegments);
        }
        const at = layout.headerBytes + segment.index * layout.entryBytes;
        const cleared = layout.entryBytes - 4;
        await file.write(Buffer.alloc(cleared), 0, cleared, at + 4);
      }
    } finally {
      await file.close();
    }
    const live = registry.servers.filter((s) => s.alive);
    const liveSemaphores = live.map((s) => semaphorePrefix(s.name, s.uid));
    const staleSockets = new Set(
      registry.servers.filter((s) => !s.alive).map((s) => serverSocket(s.name, s.uid)),
    );
    const keptSegments = new Set(
      registry.segments.filter((s) => s.alive || s.allocator === 0).map((s) => s.index),
    );
    for (const entry of await readdir(JACK_TMP_DIR, { withFileTypes: true })) {
      const target = `${JACK_TMP_DIR}/${entry.name}`;
      const segment = SEGMENT_FILE.exec(entry.name);
      if (segment && entry.isFile()) {
        if (!keptSegments.has(Number(segment[1]))) await removeFile(target, result.removedSegments);
      } else if (SEMAPHORE_FILE.test(entry.name) && entry.isFile()) {
        if (!liveSemaphores.some((p) => entry.name.startsWith(p))) {
          await removeFile(target, result.removedFiles);
        }
      } else if (staleSockets.has(entry.name) && entry.isSocket()) {
        await removeFile(target, result.removedFiles);
      }
    }
  });
  return result;
}
