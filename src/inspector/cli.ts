#!/usr/bin/env node
// The `honeyhive-edge` bin: `honeyhive-edge dev [--port 8787] [--host 127.0.0.1] [--key KEY] [--max-events 10000]
// [--cors ORIGIN] [--allow-host NAME]`.
import { parseArgs } from 'node:util'
import { inspectorLimits } from './inspector.js'
import { startInspector } from './server.js'

const usage = `Usage: honeyhive-edge dev [--port 8787] [--host 127.0.0.1] [--key KEY] [--max-events ${inspectorLimits.maxEvents}]
                         [--cors ORIGIN]... [--allow-host NAME]...

Starts a local HoneyHive (POST /events/model/batch and /v1/events/batch, CORS for loopback pages, beacons
accepted) with a live page of its sessions, events and requests, and buttons that play faults.

  --port N          port to listen on (0: a free one)            default 8787
  --host ADDRESS    address to bind; keep loopback unless you trust the network   default 127.0.0.1
  --key KEY         require Authorization: Bearer KEY (401 without it, 404 with another key)
  --max-events N    events kept; past it the least recently active sessions go   default ${inspectorLimits.maxEvents}
  --cors ORIGIN     let pages at ORIGIN (https://app.example:3000) post events; '*' lets any page
                    (loopback origins always may); repeat or separate with commas
  --allow-host NAME answer requests for this host name too (host.docker.internal); repeatable
  -h, --help        this text`

function fail(message: string): never {
  console.error(`honeyhive-edge: ${message}\n\n${usage}`)
  process.exit(2)
}

function whole(value: string | undefined, name: string, least: number, most: number): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value) || Number(value) < least || Number(value) > most)
    fail(`--${name} must be a whole number from ${least} to ${most} (got "${value}")`)
  return Number(value)
}

function parse() {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      allowPositionals: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        key: { type: 'string' },
        'max-events': { type: 'string' },
        cors: { type: 'string', multiple: true },
        'allow-host': { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (error) {
    return fail((error as Error).message)
  }
}

const { values, positionals } = parse()
if (values.help) {
  console.log(usage)
  process.exit(0)
}
if (positionals[0] !== 'dev' || positionals.length > 1)
  fail(positionals.length === 0 ? 'name a command: dev' : `unknown command "${positionals.join(' ')}"`)
if (values.key === '') fail('--key must not be empty')

const port = whole(values.port, 'port', 0, 65535) ?? 8787
const host = values.host ?? '127.0.0.1'
const maxEvents = whole(values['max-events'], 'max-events', 1, 10_000_000) ?? inspectorLimits.maxEvents
const origins = (values.cors ?? [])
  .flatMap((value) => value.split(','))
  .map((value) => value.trim())
  .filter(Boolean)
for (const origin of origins)
  if (origin !== '*' && !/^https?:\/\/[^/]+$/.test(origin))
    fail(`--cors takes origins like https://app.example:3000, or '*' (got "${origin}")`)
const cors = origins.includes('*') ? '*' : origins
const allowedHosts = (values['allow-host'] ?? []).map((name) => name.trim().toLowerCase())

try {
  const running = await startInspector({ port, host, apiKey: values.key, maxEvents, cors, allowedHosts })
  const exposed = !['127.0.0.1', 'localhost', '::1'].includes(host)
  console.log(
    [
      `honeyhive-edge dev: a local HoneyHive at ${running.baseUrl}`,
      ``,
      `  page      ${running.url}`,
      `  baseUrl   ${running.baseUrl}    createClient({ baseUrl: '${running.baseUrl}'${values.key ? ", apiKey: '<your --key>'" : ''} })`,
      `  routes    POST /events/model/batch, POST /v1/events/batch (beacons accepted)`,
      `  pages     ${cors === '*' ? 'any origin may post (--cors *)' : `loopback origins${origins.length ? ` and ${origins.join(', ')}` : ''} may post (--cors ORIGIN for others)`}`,
      `  key       ${values.key ? 'required: requests without Authorization get 401, another key 404' : 'none: every request is accepted (--key KEY to require one)'}`,
      `  memory    the newest ${maxEvents.toLocaleString('en-US')} events (the least recently active sessions are dropped first)`,
      ...(exposed
        ? [
            ``,
            `  warning   bound to ${host}: anyone who can reach this address reads every prompt and response on the page, and can post events`,
          ]
        : []),
      ``,
      `Ctrl-C to stop.`,
    ].join('\n'),
  )
  const stop = (signal: string) => {
    console.log(`\nhoneyhive-edge dev: ${signal}, stopping`)
    void running.close().then(() => process.exit(0))
  }
  process.once('SIGINT', () => stop('SIGINT'))
  process.once('SIGTERM', () => stop('SIGTERM'))
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code
  console.error(
    code === 'EADDRINUSE'
      ? `honeyhive-edge: port ${port} on ${host} is in use; pass another with --port (0 picks a free one)`
      : `honeyhive-edge: could not listen on ${host}:${port}: ${(error as Error).message}`,
  )
  process.exit(1)
}
