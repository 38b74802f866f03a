// Server-side settings shared by the chat route and the relay route. Offline by default: without HH_API_KEY the
// events go to the local inspector (`npx honeyhive-edge dev`, port 8787), which takes any key.

/** HoneyHive's API, or the inspector when no key is set. */
export const baseUrl = process.env.HH_BASE_URL || (process.env.HH_API_KEY ? undefined : 'http://127.0.0.1:8787')
/** The key; the inspector takes any. */
export const apiKey = process.env.HH_API_KEY || 'local-inspector'
/**
 * Signs the feedback tokens (the chat route) and checks them (the relay). Set your own in production:
 * `openssl rand -base64 32`.
 */
export const feedbackSecret = process.env.HH_FEEDBACK_SECRET || 'next-chat-dev-only-secret-change-me-0123456789'
/** The route that keeps trees (chain, model and tool events) and takes feedback updates. */
export const route = '/v1/events/batch'
export const project = process.env.HH_PROJECT || 'next-chat'
