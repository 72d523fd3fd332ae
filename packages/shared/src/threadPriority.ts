/**
 * For the source of an `eval` worker: lowers the thread's own CPU priority to
 * `workerData.nice`, so work it does runs with what serving leaves. Linux keeps
 * the nice value per thread (setpriority(2), "BUGS") and takes a thread id where
 * a process id goes; best effort elsewhere.
 */
export const LOWER_THREAD_PRIORITY_SOURCE = `
try {
  const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop());
  require('node:os').setPriority(tid, require('node:worker_threads').workerData.nice);
} catch {}
`;
