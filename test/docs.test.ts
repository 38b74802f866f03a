import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

// The README leads and docs/ holds the reference (issue 21): every relative link between them must land on a
// file that exists and, for `#anchor` links into markdown, on a heading that exists (GitHub's slugs).

// Paths as strings from the repository root, where vitest runs: under happy-dom, URL and import.meta.url are not
// Node's, and node:fs does not take them.
const root = `${process.cwd()}/`
const read = (path: string): string => readFileSync(root + path, 'utf8')
const pages = [
  'README.md',
  ...readdirSync(`${root}docs`)
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
]
/** A base for resolving links as a browser does (only the path matters). */
const base = 'file:///repository/'

/** The text outside fenced code blocks (links and headings in code are not links and headings). */
const prose = (markdown: string): string => markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const result = new Set<string>()
  for (const [, text] of prose(markdown).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const plain = text.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[*_`]/g, (c) => (c === '_' ? '_' : ''))
    const slug = plain
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
    const count = seen.get(slug) ?? 0
    seen.set(slug, count + 1)
    result.add(count === 0 ? slug : `${slug}-${count}`)
  }
  return result
}

/** Every relative link target of a page, with inline code removed first. */
function links(markdown: string): string[] {
  const text = prose(markdown).replace(/`[^`\n]*`/g, '')
  return [...text.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)]
    .map(([, target]) => target)
    .filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target))
}

/** Resolves `target` as written in `page` (a path relative to the repository root). */
function resolve(page: string, target: string): { file: string; anchor?: string } {
  const [path, anchor] = target.split('#')
  const file =
    path === '' ? page : decodeURI(new URL(path, new URL(page, base)).pathname.slice(new URL(base).pathname.length))
  return { file, anchor }
}

describe('README and docs/', () => {
  it('has the pages the README links to', () => {
    expect(pages.length).toBeGreaterThan(10)
  })

  for (const page of pages) {
    it(`${page}: every relative link lands on a file, and an #anchor on a heading there`, () => {
      const broken: string[] = []
      for (const target of links(read(page))) {
        const { file, anchor } = resolve(page, target)
        const url = root + file
        if (!existsSync(url)) {
          broken.push(`${target} (no file ${file})`)
          continue
        }
        if (anchor && file.endsWith('.md') && statSync(url).isFile() && !anchors(read(file)).has(anchor))
          broken.push(`${target} (no heading #${anchor} in ${file})`)
      }
      expect(broken).toEqual([])
    })
  }

  it('README.md is at most 320 lines and shows the two commands', () => {
    const readme = read('README.md')
    expect(readme.split('\n').length).toBeLessThanOrEqual(320)
    expect(readme).toContain('npm ci && npm run demo')
    expect(readme).toContain('npm test')
  })

  it('finds a heading by its GitHub slug, and not a missing one', () => {
    const slugs = anchors(
      '# The client\n## What `onError` receives\n## A, b & c (d)\n## A, b & c (d)\n```\n# not a heading\n```',
    )
    expect([...slugs]).toEqual(['the-client', 'what-onerror-receives', 'a-b--c-d', 'a-b--c-d-1'])
  })
})
