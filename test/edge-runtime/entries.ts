// The built entries as an edge function imports them (`honeyhive-edge`, `honeyhive-edge/relay`): bundled
// with ky and valibot into the function's script, as Vercel does, and evaluated again for a cold start.
export * as client from '../../dist/index.js'
export * as relay from '../../dist/relay.js'
