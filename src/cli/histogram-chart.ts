import type { Report } from '../measure/report-schema.js'
import { fixed } from './number-format.js'
import type { TableModel } from './table-render.js'

/**
 * A report's distribution (report.histograms: log-spaced bins, 10 per power of ten of ms) as a table with a bar
 * and the cumulative percent, as fortio prints one: where the tasks' times fall, and which bin holds the p99.
 */
export type HistogramKind = 'latency' | 'response'

const BAR_WIDTH = 30

export function histogramModel (report: Report, kind: HistogramKind): TableModel {
  const bins = kind === 'latency' ? report.histograms.latencyMs : report.histograms.responseMs
  const total = bins.reduce((sum, bin) => sum + bin.count, 0)
  const most = Math.max(1, ...bins.map((bin) => bin.count))
  let below = 0
  return {
    head: [`${kind === 'latency' ? 'service' : 'response'} ms ≤`, 'count', 'cum %', ''],
    align: ['right', 'right', 'right', 'left'],
    compact: true,
    rows: bins.map((bin) => {
      below += bin.count
      const bar = bin.count === 0 ? '' : '█'.repeat(Math.max(1, Math.round(BAR_WIDTH * bin.count / most)))
      return [fixed(bin.le), String(bin.count), total === 0 ? '-' : (100 * below / total).toFixed(2), bar]
    })
  }
}
