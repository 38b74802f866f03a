// honeyhive-edge/inspector: the local HoneyHive with a live page behind `npx honeyhive-edge dev`. Node only;
// never imported by the client entry, so none of it reaches the browser bundle or its size budget.
export { createInspector, inspectorLimits } from './inspector.js'
export type { Inspector, InspectorOptions } from './inspector.js'
export { startInspector } from './server.js'
export type { RunningInspector, StartInspectorOptions } from './server.js'
export type { FaultKind, FaultState, InspectorFault } from './faults.js'
export type { Attempt, EventStatus, EventSummary, SessionSummary } from './summary.js'
export type { EventDetail, RequestEntry } from './record.js'
