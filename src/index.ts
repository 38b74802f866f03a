export { createClient } from './client.js'
export type { HoneyHiveClient } from './client.js'
export type { ModelEventSpan, ModelEventResult, Span, SpanParent } from './spans.js'
export type { EventType } from './schema.js'
export type { ClientOptions, FetchLike, FlushOptions } from './options.js'
export type { Route } from './routes.js'
export { sessionIdFor, sessionNamespace } from './ids.js'
export type { Stats, FlushResult } from './delivery.js'
export {
  HoneyHiveError,
  ConfigError,
  ValidationError,
  HttpError,
  NetworkError,
  TimeoutError,
  InvalidResponseError,
  DroppedError,
  isHoneyHiveError,
} from './errors.js'
export type { DropReason } from './errors.js'
export { modelEventSchema, sessionPropertiesSchema, batchRequestSchema, batchResponseSchema } from './schema.js'
export type { ModelEvent, SessionProperties, BatchRequest, BatchResponse, Issue } from './schema.js'
