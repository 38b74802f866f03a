// The same ~1 KiB chat event for every contender (no event_id: each client makes its own).
const messages = [
  {
    role: 'system',
    content:
      'You are a helpful assistant for a travel company. Answer briefly, cite the booking rules when they apply, and never invent prices or availability.',
  },
  {
    role: 'user',
    content:
      'I booked a flight from Lisbon to Berlin for the 14th and need to move it two days later. What would that cost me, and can I keep my seat selection and the extra bag I already paid for?',
  },
]
const response = {
  role: 'assistant',
  content:
    'You can move it: a date change on your fare costs a 45 EUR fee plus any fare difference, shown before you confirm. Paid seats and bags move with the booking when the new flight has the same cabin.',
}

/** A fresh top-level object per call (nested parts shared), about 1 KiB of JSON. */
export function createChatEvent(i) {
  return {
    event_name: 'chat.completion',
    model: 'gpt-4o-mini',
    provider: 'openai',
    messages,
    response,
    hyperparameters: { temperature: 0.2, max_tokens: 512, top_p: 1 },
    usage: { prompt_tokens: 96, completion_tokens: 48, total_tokens: 144 },
    duration: 812.5 + (i % 100),
    metadata: { route: '/api/chat', user_tier: 'pro', request: i },
  }
}
