import { toJson } from './encode.js'
import type { ModelEvent, SessionProperties } from './schema.js'

// The two wire formats HoneyHive takes (field notes §10) and the one mapping between them. Users always
// log the seed's fields; the route only changes what goes on the wire.

/** The seed's route (the default): `{ model_events, single_session?, session_properties? }`. */
export const seedRoute = '/events/model/batch'
/** HoneyHive's current route: `{ events, single_session?, session_properties? }`, strict, fields where its UI renders them. */
export const v1Route = '/v1/events/batch'
/** The routes a client or relay can post to. */
export type Route = typeof seedRoute | typeof v1Route

/** A batch's session fields, by the seed's names (deprecated aliases included). */
export interface SessionFields {
  single_session?: boolean
  is_single_session?: boolean
  session_properties?: SessionProperties
  session?: SessionProperties
}

/** What a request body puts before its events and after them, for a route and a batch's session fields. */
export interface Frame {
  open: string
  close: string
}

/**
 * The frame of a batch request. On v1 the deprecated aliases (`is_single_session`, `session`) are sent by
 * their current names, which v1 requires.
 */
export function batchFrame(route: string, fields: SessionFields): Frame {
  const { single_session, is_single_session, session_properties, session } = fields
  const members = toJson(
    route === v1Route
      ? { single_session: single_session ?? is_single_session, session_properties: session_properties ?? session }
      : fields,
  ).slice(1, -1)
  return { open: `{"${route === v1Route ? 'events' : 'model_events'}":[`, close: `]${members && `,${members}`}}` }
}

type Fields = Record<string, unknown>
const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
/** `target` with `source`'s keys added where it has none: what the user put there themselves wins. */
const under = (source: Fields, target: unknown): Fields => ({ ...source, ...(target as Fields) })
// Drops undefined so that an empty mapping leaves no key behind.
const defined = (fields: Fields): Fields | undefined => {
  for (const key in fields) if (fields[key] === undefined) delete fields[key]
  return Object.keys(fields).length > 0 ? fields : undefined
}

/**
 * The seed fields `mapped` at their conventional keys (undefined left out), with the keys of the nested seed
 * object `name` (`hyperparameters`, `template_inputs`, `usage`) added flat. A nested key that a mapped field
 * already holds with another value is kept under `name` instead (`config.hyperparameters.provider`,
 * `inputs.template_inputs.chat_history`, `metadata.usage.cost`): a collision never loses either value.
 */
function flatten(mapped: Fields, name: string, nested: unknown): Fields {
  const flat = defined({ ...mapped }) ?? {}
  const kept: Fields = {}
  for (const [key, value] of Object.entries(isObject(nested) ? nested : {})) {
    if (value === undefined) continue
    // An OpenRouter `provider` routing object is not the provider's name; equal values are one value.
    if (key !== name && (flat[key] === undefined || toJson(flat[key]) === toJson(value))) flat[key] = value
    else kept[key] = value
  }
  if (Object.keys(kept).length > 0) flat[name] = kept
  return flat
}

/**
 * A logged event (the seed's fields) as a v1 `PostEventRequest`, each field where HoneyHive's semantic
 * conventions put it (docs/routes-and-sessions.md): model, provider and hyperparameters in `config`; messages as
 * `inputs.chat_history`, template variables as other `inputs` keys; the response as `outputs.role` /
 * `content` / `tool_calls`; token counts and cost in `metadata`. A hyperparameter, template variable or usage
 * key that a mapped field already holds stays under its seed name (see `flatten`). Keys the user set in
 * `config`, `inputs`, `outputs` or `metadata` win; `project` is dropped (the key decides the project).
 */
export function toV1Event(event: ModelEvent): Fields {
  const {
    project,
    model_name,
    model,
    model_version,
    provider,
    hyperparameters,
    template,
    tools,
    tool_choice,
    response_format,
    messages,
    template_inputs,
    response,
    usage,
    cost,
    config,
    inputs,
    outputs,
    metadata,
    ...root
  } = event
  const counts: Fields = { ...usage }
  // OpenAI's and Anthropic's own names for the cache and reasoning counts (field notes §9).
  const details = (name: string) => (usage?.[name] as Fields | undefined) ?? {}
  counts.cache_read_input_tokens ??=
    details('prompt_tokens_details').cached_tokens ?? details('input_tokens_details').cached_tokens
  counts.cache_write_input_tokens ??= usage?.cache_creation_input_tokens
  counts.reasoning_tokens ??=
    details('completion_tokens_details').reasoning_tokens ?? details('output_tokens_details').reasoning_tokens
  const said =
    isObject(response) && 'role' in response
      ? response
      : response === undefined
        ? {}
        : typeof response === 'string'
          ? { text: response }
          : { value: response }
  const configured = {
    model: model_name ?? model,
    version: model_version,
    provider,
    template,
    tools,
    tool_choice,
    response_format,
  }
  const variables = isObject(template_inputs) ? template_inputs : undefined
  return {
    ...root,
    event_type: root.event_type ?? 'model',
    config: defined(under(flatten(configured, 'hyperparameters', hyperparameters), config)),
    inputs: under(
      flatten(
        { chat_history: messages, template_inputs: variables ? undefined : template_inputs },
        'template_inputs',
        variables,
      ),
      inputs,
    ),
    outputs: defined(under(said, outputs)),
    metadata: defined(under(flatten({ cost }, 'usage', counts), metadata)),
  }
}
