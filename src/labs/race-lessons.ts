/**
 * What each race strategy stands for in Python, and what its numbers mean with and without the GIL — the lines
 * the race lab's answer carries per result, so a learner reads the lesson beside the count (docs/labs/race.md).
 */
import type { RaceStrategy } from './race-messages.js'

interface Lesson {
  /** the Python statement the strategy's loop runs (python/race.py runs it on CPython) */
  python: string
  /** what the result means with the emulated GIL (CPython 3.10+) */
  withGil: string
  /** what it means without it: free-threaded CPython 3.13t, or C code that releases the GIL */
  withoutGil: string
}

const LESSONS: Record<RaceStrategy, Lesson> = {
  unsafe: {
    python: 'x += 1',
    withGil: 'CPython 3.10+ with the GIL: loses nothing. The eval loop may switch threads only at a loop\'s backward jump, a Python function\'s entry or a C call\'s return, never between the read of x and its write (CPython 3.9, which could switch between almost any two bytecodes, lost 0.85–1.3 M of 2 M).',
    withoutGil: 'the free-threaded 3.13t / C case: threads run at the same time on different cores, two of them read the same value and one write overwrites the other.'
  },
  'unsafe-call': {
    python: 'x = x + one()',
    withGil: 'loses updates even with the GIL: the call is a switch point between the read of x and its write, and every increment made by the threads that run meanwhile is overwritten.',
    withoutGil: 'the free-threaded 3.13t / C case: loses updates like x += 1, the call only widening the gap between read and write.'
  },
  atomic: {
    python: 'none: Python has no atomic add on an int (use a threading.Lock, as mutex does)',
    withGil: 'loses nothing: Atomics.add is one indivisible read-modify-write (C\'s atomic_fetch_add).',
    withoutGil: 'loses nothing: Atomics.add is one indivisible read-modify-write (C\'s atomic_fetch_add).'
  },
  mutex: {
    python: 'with lock: x += 1',
    withGil: 'loses nothing: one thread at a time runs the read-modify-write.',
    withoutGil: 'loses nothing: one thread at a time runs the read-modify-write; the lock is what free-threaded code needs.'
  }
}

export function raceLesson (strategy: RaceStrategy, gil: boolean): { python: string, meaning: string } {
  const lesson = LESSONS[strategy]
  return { python: lesson.python, meaning: gil ? lesson.withGil : lesson.withoutGil }
}

/** The record's lesson: its wait releases the GIL, so the GIL does not protect read → wait → write. */
export function recordMeaning (locked: boolean, gil: boolean): string {
  if (locked) return 'with a threading.Lock around read → wait → write: nothing lost, the waits run one after another.'
  return gil
    ? 'loses updates with the GIL too: time.sleep (like a database call) releases it, so the others read the same balance meanwhile.'
    : 'loses updates: every thread that read the same balance writes the same value back.'
}
