// The "CPython" block every lab's answer ends with: what python/<lab>.py measured with the same parameters, drawn by
// the lab, under one line naming the CPython it ran on — or why it did not run. Nothing when it was not asked for.

import { el, ms } from './dom.js'

/** "CPython 3.11.7 (with its GIL)": the interpreter the original ran on, from the answer's cpython.python. */
export function pythonName (python) {
  if (!python) return 'CPython'
  return `CPython ${python.version} (${python.gilEnabled === false ? 'GIL off, free-threaded' : 'with its GIL'})`
}

/**
 * cpython: a lab answer's `cpython` field; id: the block's id (lab-<lab>-cpython); draw(result, python): the lab's
 * parts for CPython's result. Returns the parts to append to the answer.
 */
export function cpythonBlock (cpython, id, draw) {
  if (cpython?.ran && cpython.result) {
    return [el('div', { id, class: 'cpython' },
      el('p', {}, el('strong', {}, pythonName(cpython.python)), `, ${cpython.script ?? 'its original'} with the same parameters (${ms(cpython.ms)} with the interpreter's start-up):`),
      draw(cpython.result, cpython.python))]
  }
  if (cpython && !cpython.ran && !/^not requested/.test(cpython.reason ?? '')) {
    return [el('p', { id, class: 'cpython' }, `CPython did not run: ${cpython.reason}`)]
  }
  return []
}
