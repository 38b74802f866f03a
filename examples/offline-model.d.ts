/** An OpenAI-compatible chat completions endpoint that streams the last user message back (see offline-model.js). */
export declare function offlineChatCompletions(request: Request, options?: { delayMs?: number }): Promise<Response>
