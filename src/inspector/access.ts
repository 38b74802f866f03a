// Who may use the inspector: the Host a request names (against DNS rebinding) and the Origin of the page that
// sends it (so that a site the developer visits cannot write sessions or spend faults).

/** Host names answered by default: loopback only. */
export const loopbackHosts = ['localhost', '127.0.0.1', '[::1]']

/** The host name of a `Host` header or an origin (lower case, IPv6 in brackets, IPv4 spelled out), or undefined. */
export function hostName(value: string, scheme = 'http://'): string | undefined {
  try {
    return new URL(`${scheme}${value}`).hostname
  } catch {
    return undefined
  }
}

const isLoopback = (name: string | undefined) =>
  name === 'localhost' || name === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(name ?? '')

/** The `Host` a request names: its header, or, for a Request made in code (none), its URL's. */
const hostOf = (request: Request) => request.headers.get('host') ?? new URL(request.url).host

/** The checks for `allowedHosts` (host names, any port) and `cors` (origins besides loopback and the page's own, or '*'). */
export function createAccess(allowedHosts: string[] = loopbackHosts, cors: string[] | '*' = []) {
  // As browsers send them: `https://app.example:3000`, lower case, no path, no default port.
  const origins =
    cors === '*' ? '*' : new Set(cors.map((origin) => (URL.canParse(origin) ? new URL(origin).origin : origin)))
  // `::1` and `[::1]` alike: an IPv6 address is named in brackets in a Host header.
  const hosts = new Set(
    allowedHosts.map((name) => hostName(/^[\da-f:]+$/i.test(name) && name.includes(':') ? `[${name}]` : name) ?? name),
  )
  return {
    /** Whether the request names a host this server answers as. */
    hostAllowed(request: Request): boolean {
      const name = hostName(hostOf(request))
      return name !== undefined && hosts.has(name)
    },
    /**
     * Whether the page that sent it may write: no Origin (not a page), a page served by this machine (its
     * host a loopback name or one this server answers as, any port: the inspector's own page, a dev server
     * beside it), or one `cors` names.
     */
    originAllowed(request: Request): boolean {
      const origin = request.headers.get('origin')
      if (origin === null || origins === '*' || origins.has(origin)) return true
      const name = origin === 'null' ? undefined : hostName(origin, '')
      return name !== undefined && (isLoopback(name) || hosts.has(name))
    },
  }
}
