/**
 * Waits for `work` or for the signal to abort, whichever comes first. A task running on the main thread cannot be
 * interrupted, so a cancel does not wait for the ones in flight (a 60 s query would hold the cancel for 60 s):
 * the job ends now and their late outcomes are ignored.
 */
export async function raceAbort (work: Promise<void>, signal: AbortSignal): Promise<void> {
  let onAbort!: () => void
  const aborted = new Promise<void>((resolve) => { onAbort = resolve })
  signal.addEventListener('abort', onAbort, { once: true })
  if (signal.aborted) onAbort()
  try {
    await Promise.race([work, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}
