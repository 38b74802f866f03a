'use client'
// The page: AI SDK UI's useChat, a Stop button while a reply streams, and thumbs under each reply. A thumb
// sends feedback with the token the chat route put in the reply's metadata, keyless, to the relay route of
// this same app (under /api/honeyhive/), which forwards it to HoneyHive with the key.
import { useChat } from '@ai-sdk/react'
import { createClient } from 'honeyhive-edge'
import { useState, type FormEvent } from 'react'

/** What the chat route puts in each reply's metadata. */
interface TurnMetadata {
  eventId: string
  token: string
}

// A keyless client: no key in the page; it only sends feedback, to the relay route on this origin (whose own
// `route` is HoneyHive's v1). Made on first use: `location` exists only in the browser.
let hh: ReturnType<typeof createClient> | undefined
const honeyhive = () => (hh ??= createClient({ baseUrl: `${location.origin}/api/honeyhive` }))

/** The chat, its Stop button and its thumbs. */
export function Chat() {
  // The chat's id is the HoneyHive session: one per page load.
  const [id] = useState(() => crypto.randomUUID())
  const { messages, sendMessage, status, stop, error } = useChat({ id })
  const [input, setInput] = useState('')
  const [rated, setRated] = useState<Record<string, string>>({})
  const busy = status === 'submitted' || status === 'streaming'

  const submit = (event: FormEvent) => {
    event.preventDefault()
    if (!input.trim() || busy) return
    sendMessage({ text: input })
    setInput('')
  }
  const rate = (messageId: string, metadata: TurnMetadata, up: boolean) => {
    honeyhive().feedback(metadata.eventId, { rating: up ? 1 : 0 }, { token: metadata.token })
    setRated((all) => ({ ...all, [messageId]: up ? 'up' : 'down' }))
  }

  return (
    <>
      <ol id="messages" style={{ listStyle: 'none', padding: 0 }}>
        {messages.map((message) => {
          const metadata = message.metadata as TurnMetadata | undefined
          return (
            <li key={message.id} className={`message ${message.role}`} style={{ margin: '0.75rem 0' }}>
              <strong>{message.role === 'user' ? 'You' : 'Assistant'}: </strong>
              {message.parts.map((part, index) => {
                if (part.type === 'text')
                  return (
                    <span key={index} className="text">
                      {part.text}
                    </span>
                  )
                if (part.type.startsWith('tool-'))
                  return (
                    <code key={index} className="tool" style={{ display: 'block', color: '#0a7' }}>
                      🔧 {part.type.slice('tool-'.length)} {'output' in part ? JSON.stringify(part.output) : '…'}
                    </code>
                  )
                return null
              })}
              {message.role === 'assistant' && metadata && !(busy && message === messages.at(-1)) && (
                <span className="feedback" style={{ marginLeft: '0.5rem' }}>
                  <button aria-label="thumbs up" onClick={() => rate(message.id, metadata, true)}>
                    👍
                  </button>
                  <button aria-label="thumbs down" onClick={() => rate(message.id, metadata, false)}>
                    👎
                  </button>
                  {rated[message.id] && <em className="rated"> feedback sent: {rated[message.id]}</em>}
                </span>
              )}
            </li>
          )
        })}
      </ol>
      {error && <p role="alert">Error: {error.message}</p>}
      <form onSubmit={submit} style={{ display: 'flex', gap: '0.5rem' }}>
        <input
          id="message"
          value={input}
          onChange={(event) => setInput(event.target.value)}
          placeholder="Say something, or ask: weather in Paris?"
          style={{ flex: 1 }}
        />
        {busy ? (
          <button type="button" id="stop" onClick={() => stop()}>
            Stop
          </button>
        ) : (
          <button type="submit" id="send">
            Send
          </button>
        )}
      </form>
      <p id="status" data-status={status} style={{ color: '#888' }}>
        {status}
      </p>
    </>
  )
}
