// The relay, as a route handler of the same app (any path under /api/honeyhive/): the page posts its feedback
// here without a key (`{ event_id, feedback, token }`); the relay checks the token against the secret the chat
// route signed it with and forwards the update to HoneyHive with the key, on the v1 route. after() delivers once
// the page has its 202.
import { createRelay } from 'honeyhive-edge/relay'
import { after } from 'next/server'
import { apiKey, baseUrl, feedbackSecret, project, route } from '../../../honeyhive'

// Same-origin pages only: the origins this app is served on (set ALLOWED_ORIGINS for yours, comma-separated).
const allowedOrigins = (process.env.ALLOWED_ORIGINS || 'http://localhost:3000,http://127.0.0.1:3000').split(',')
const relay = createRelay({ apiKey, baseUrl, route, project, allowedOrigins, feedbackSecret })
const ctx = { waitUntil: (promise: Promise<unknown>) => after(promise) }

/** Batches and feedback updates from the page. */
export const POST = (request: Request) => relay(request, ctx)
/** Feedback updates sent with PUT. */
export const PUT = POST
/** CORS preflights (answered by the relay). */
export const OPTIONS = POST
