// The chat: streams a reply with the AI SDK's streamText and one tool, logs the turn to HoneyHive as a tree
// (a chain, its model calls and the tool under it) with honeyhiveTelemetry, and delivers it with Next's
// after(), once the response has been sent. The reply's metadata carries the turn's event id and a feedback
// token, so the page's thumbs can rate this turn (and nothing else) through the relay route.
import { createOpenAI } from '@ai-sdk/openai'
import { convertToModelMessages, jsonSchema, stepCountIs, streamText, tool, type UIMessage } from 'ai'
import { createClient } from 'honeyhive-edge'
import { honeyhiveTelemetry } from 'honeyhive-edge/ai-sdk'
import { createFeedbackToken } from 'honeyhive-edge/relay'
import { after } from 'next/server'
import { offlineWeatherModel } from '../../../../worker/offline-weather'
import { apiKey, baseUrl, feedbackSecret, project, route } from '../../honeyhive'

// Offline on purpose: a stand-in you would replace with a real weather API.
const weather = tool({
  description: 'The current weather in a city',
  inputSchema: jsonSchema<{ city: string }>({
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  }),
  execute: async ({ city }) => `sunny and 21 °C in ${city}`,
})

/** `POST { id, messages }` from useChat: `id` is the chat's id, the HoneyHive session. */
export async function POST(request: Request): Promise<Response> {
  const { id, messages } = (await request.json()) as { id?: string; messages: UIMessage[] }
  // One client per request: its queue is this turn's, and after() flushes just that.
  const hh = createClient({ apiKey, baseUrl, route, project, source: 'next-chat', sessionId: id })
  const eventId = crypto.randomUUID()
  const token = await createFeedbackToken({ secret: feedbackSecret, eventId })
  const online = Boolean(process.env.OPENAI_API_KEY || process.env.OPENAI_BASE_URL)
  const openai = createOpenAI({
    apiKey: process.env.OPENAI_API_KEY || 'offline',
    baseURL: process.env.OPENAI_BASE_URL || undefined,
    // Without a key the offline model answers (examples/worker's: it calls the tool for "weather in <city>").
    fetch: online ? undefined : (input, init) => offlineWeatherModel(new Request(input, init)),
  })
  const result = streamText({
    model: openai.chat(process.env.MODEL || 'gpt-4o-mini'),
    system: 'You are a helpful assistant. Be brief.',
    messages: await convertToModelMessages(messages),
    tools: { weather },
    stopWhen: stepCountIs(3),
    // The Stop button closes the request: the model call stops and the turn is logged `cancelled`.
    abortSignal: request.signal,
    maxRetries: 1,
    // The chain gets the id the token was minted for, so a thumb lands on this turn.
    telemetry: { functionId: 'next-chat', integrations: [honeyhiveTelemetry(hh, { event_id: eventId })] },
  })
  // after() runs once the response is sent (the stream closed, or the page went away). The turn is logged when
  // it settles; flush then, bounded.
  after(async () => {
    await Promise.resolve(result.text).catch(() => undefined)
    await hh.flush({ timeoutMs: 20_000 })
  })
  return result.toUIMessageStreamResponse({
    messageMetadata: ({ part }) => (part.type === 'start' ? { eventId, token } : undefined),
  })
}
