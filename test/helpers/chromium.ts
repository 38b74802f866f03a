import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'

// Debian's Chromium driven by playwright-core, never a downloaded browser (field notes §5), for every
// browser suite: one place for its path, its flags and its throwaway profile.

export const executablePath = '/usr/bin/chromium'
/** Whether Chromium is installed here (`apt-get install -y chromium`). */
export const hasChromium = existsSync(executablePath)
export const missingChromium = `Chromium is missing at ${executablePath} (CI=true makes this a failure): apt-get install -y chromium`
// Without the background-networking flags Chromium dials Google's hosts, which this closed network refuses.
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Launches headless Chromium on a fresh profile; `close()` ends it and removes the profile. */
export async function launchChromium(
  options: Parameters<typeof chromium.launchPersistentContext>[1] = {},
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  if (!hasChromium) throw new Error(missingChromium)
  const profile = mkdtempSync(join(tmpdir(), 'hh-chromium-'))
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: chromiumArgs,
      ...options,
    })
    return {
      context,
      close: async () => {
        await context.close()
        rmSync(profile, { recursive: true, force: true })
      },
    }
  } catch (error) {
    rmSync(profile, { recursive: true, force: true })
    throw error
  }
}
