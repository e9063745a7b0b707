/**
 * Calls `emit` at most once per `intervalMs` however often `touch` is called, and always once more after the
 * last touch (trailing), so listeners see the latest numbers without one event per task.
 */
export function progressThrottle (intervalMs: number, emit: () => void) {
  let last = 0
  let timer: NodeJS.Timeout | undefined
  const fire = () => {
    timer = undefined
    last = performance.now()
    emit()
  }
  return {
    touch (): void {
      if (timer) return
      const wait = intervalMs - (performance.now() - last)
      if (wait <= 0) fire()
      else timer = setTimeout(fire, wait)
    },
    cancel (): void {
      clearTimeout(timer)
      timer = undefined
    }
  }
}
