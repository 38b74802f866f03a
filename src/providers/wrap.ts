// wrapOpenAI / wrapAnthropic: an SDK client behind a proxy whose model-call methods log each call; the proxy
// leaves the client itself untouched, so one client can be wrapped per turn with that turn's span.

type Any = any

/** Logs one call of a wrapped method: `call` is what the SDK's method returned for `params` and `options`. */
export type Log = (params: Any, call: Any, options: Any) => Promise<unknown>

/**
 * `client` behind a proxy on which each method at one of `paths` (space-separated, e.g. `chat.completions.create`)
 * hands its call to `log`: a promise (the SDK's `APIPromise`) comes back as the logged promise, its
 * `withResponse()` kept; anything else (a `.stream()` helper) comes back as it is, observed in place. All else
 * passes through: values as they are, functions bound to their own object (the SDKs' private fields need it).
 */
export function wrapClient<T>(client: T, paths: string, log: Log): T {
  const methods = paths.split(' ')
  const proxy = (target: Any, path: string): Any =>
    new Proxy(target, {
      get(target, key) {
        const value = Reflect.get(target, key)
        const at = path + String(key)
        // A namespace this SDK version lacks (undefined) passes as it is, so `client.responses?.create` still works.
        if (typeof value !== 'function')
          return value && methods.some((method) => method.startsWith(at + '.')) ? proxy(value, at + '.') : value
        if (!methods.includes(at)) return value.bind(target)
        return (params: Any, options: Any) => {
          const call = value.call(target, params, options)
          const logged: Any = log(params, call, options)
          return typeof call?.then === 'function'
            ? Object.assign(logged, { withResponse: () => call.withResponse() })
            : call
        }
      },
    })
  return proxy(client, '')
}
