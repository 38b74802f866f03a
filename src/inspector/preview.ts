// One line of text per event and per session for the page: what the user asked, which tool ran, what the
// user thought of a reply. Read from the event where HoneyHive's conventions put it (field notes §10, §12).

type Fields = Record<string, unknown>
const fields = (value: unknown): Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : {}
const previewLength = 160

/** A message's text: a string, or the text parts of a list of parts (OpenAI's and Anthropic's shapes). */
export function messageText(content: unknown): string | undefined {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return undefined
  const texts = content
    .map((part) =>
      typeof part === 'string' ? part : typeof fields(part).text === 'string' ? (fields(part).text as string) : '',
    )
    .filter(Boolean)
  return texts.length > 0 ? texts.join(' ') : undefined
}

/** The messages an event was given: v1's `inputs.chat_history`, or the seed's `messages`. */
export function inputMessages(event: Fields): unknown[] | undefined {
  const history = fields(event.inputs).chat_history
  if (Array.isArray(history)) return history
  return Array.isArray(event.messages) ? event.messages : undefined
}

/** The text of the last `user` message, on one line, cut for a row. */
function lastUserText(messages: unknown[] | undefined): string | undefined {
  for (let index = (messages?.length ?? 0) - 1; index >= 0; index--) {
    const message = fields(messages![index])
    if (message.role !== 'user') continue
    const text = messageText(message.content)
    if (text) return oneLine(text)
  }
  return undefined
}

const oneLine = (text: string) =>
  text
    .slice(0, previewLength * 2)
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, previewLength)

/** What a row shows beside its name: a model call's (or chain's) last user message; a tool's arguments. */
export function previewOf(event: Fields, type: string): string | undefined {
  const inputs = fields(event.inputs)
  if (type === 'tool') {
    const args =
      inputs.args ?? inputs.arguments ?? inputs.input ?? (Object.keys(inputs).length > 0 ? inputs : undefined)
    if (args === undefined) return undefined
    return oneLine(typeof args === 'string' ? args : (JSON.stringify(args) ?? ''))
  }
  const said = lastUserText(inputMessages(event))
  if (said) return said
  // A chain's prompt, by the names runs use for it.
  for (const key of ['prompt', 'query', 'question', 'input', 'message'])
    if (typeof inputs[key] === 'string') return oneLine(inputs[key] as string)
  return undefined
}

/** The thumbs a feedback rating means: 1/true/"positive"/"up" up, 0/false/-1/"negative"/"down" down (HoneyHive's `feedback.rating`). */
export function thumbOf(rating: unknown): 'up' | 'down' | undefined {
  if (rating === true || rating === 1 || rating === 'positive' || rating === 'up' || rating === 'thumbs_up') return 'up'
  if (
    rating === false ||
    rating === 0 ||
    rating === -1 ||
    rating === 'negative' ||
    rating === 'down' ||
    rating === 'thumbs_down'
  )
    return 'down'
  return undefined
}

/** What the page shows of an event's feedback, if it has any: the thumbs, the rating as given, the comment. */
export function feedbackOf(
  feedback: unknown,
): { thumb?: 'up' | 'down'; rating?: string; comment?: string } | undefined {
  const given = fields(feedback)
  if (Object.keys(given).length === 0) return undefined
  const thumb = thumbOf(given.rating)
  return {
    ...(thumb && { thumb }),
    ...(given.rating !== undefined && { rating: String(JSON.stringify(given.rating)).slice(0, 40) }),
    ...(typeof given.comment === 'string' && { comment: given.comment.slice(0, 500) }),
  }
}
