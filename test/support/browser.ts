import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it): playwright-core drives it, nothing is downloaded. */
export const CHROMIUM = '/usr/bin/chromium'

/**
 * What headless chromium needs here: root needs --no-sandbox; on a closed network the background services
 * (component updates, sync, safe browsing lists, first-run tasks) would fail or wait, so they are off.
 */
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage'
]

export interface Browser {
  context: BrowserContext
  page: Page
  /** console errors and uncaught exceptions of every page, as they came */
  errors: string[]
}

/**
 * Headless chromium with a fresh profile (its own --user-data-dir, removed after the test), one page open, every
 * console error and page error collected. Closed through t.after.
 */
export async function launchBrowser (t: TestContext): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'conclab-chromium-profile-'))
  let context: BrowserContext
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      viewport: { width: 1200, height: 900 },
      timeout: 30_000
    })
  } catch (error) {
    rmSync(profile, { recursive: true, force: true })
    throw error
  }
  t.after(async () => {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  })
  const errors: string[] = []
  const watch = (page: Page) => {
    page.on('console', (message) => { if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url})`) })
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`))
  }
  context.on('page', watch)
  const page = context.pages()[0] ?? await context.newPage()
  watch(page)
  page.setDefaultTimeout(20_000)
  return { context, page, errors }
}

/**
 * Runs `body` (JavaScript source of a function body, given `arg`) in the page and answers its result. Source text,
 * not a function: under tsx a function's source may carry the compiler's helpers, which the page does not have.
 */
export async function inPage<T> (page: Page, body: string, arg: unknown = null): Promise<T> {
  return page.evaluate(`((arg) => { ${body} })(${JSON.stringify(arg)})`) as Promise<T>
}

/**
 * Polls the page until the JavaScript expression `condition` is true (page.waitForFunction would evaluate it with
 * eval inside the page, which the page's Content-Security-Policy forbids).
 */
export async function waitInPage (page: Page, condition: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await inPage<boolean>(page, `return Boolean(${condition})`))) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting in the page for ${condition}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/**
 * How many distinct colours the canvas of the chart under `selector` has (sampled): 0 without a canvas, 1 when it is
 * blank or uniform; a drawn chart has many.
 */
export async function canvasColours (page: Page, selector: string): Promise<number> {
  return inPage<number>(page, `
    const canvas = document.querySelector(arg + ' canvas')
    if (!canvas || canvas.width === 0 || canvas.height === 0) return 0
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data
    const colours = new Set()
    for (let i = 0; i < pixels.length; i += 4 * 7) colours.add(pixels[i] + ',' + pixels[i + 1] + ',' + pixels[i + 2] + ',' + pixels[i + 3])
    return colours.size`, selector)
}

export function assertNoErrors (errors: readonly string[]): void {
  assert.deepEqual(errors, [], 'the page logged errors')
}
