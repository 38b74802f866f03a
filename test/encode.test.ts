import { describe, expect, test } from 'vitest'
import { byteLength, isPlain, toJson } from '../src/encode.js'

const utf8 = (text: string) => new TextEncoder().encode(text).length

describe('byteLength', () => {
  test('counts UTF-8 bytes as TextEncoder writes them, short and past the scratch buffer', () => {
    const samples = [
      '',
      'plain ascii',
      'café',
      '日本語',
      'emoji 🙂 pair',
      'lone \ud800 surrogate',
      '\u007f\u0080\u07ff\u0800',
    ]
    for (const text of samples) expect(byteLength(text), JSON.stringify(text)).toBe(utf8(text))
    // Over 64 KiB / 3 characters takes the path that allocates.
    for (const text of ['a'.repeat(30_000), 'é'.repeat(30_000), '🙂'.repeat(20_000)])
      expect(byteLength(text)).toBe(utf8(text))
  })
})

describe('the plain-data fast path', () => {
  test('isPlain says no for what JSON.stringify would mangle, so the full encoder runs', () => {
    expect(isPlain({ a: [1, 'x', { b: null }], c: true })).toBe(true)
    for (const value of [1n, new Date(0), new Map(), new Set(), new Uint8Array(1), new Error('x'), { toJSON: () => 1 }])
      expect(isPlain({ nested: [value] })).toBe(false)
    expect(toJson({ nested: [new Map([['k', 1n]])] })).toBe('{"nested":[{"k":"1"}]}')
  })

  test('toJson trusts a caller that already walked the value', () => {
    const event = { model: 'm', messages: [{ role: 'user', content: 'hi' }] }
    expect(toJson(event, true)).toBe(JSON.stringify(event))
    expect(toJson(event)).toBe(JSON.stringify(event))
  })
})
