/**
 * `@sess/opentelemetry`: OpenTelemetry spans and metrics for sess, from the
 * events `@sess/core` publishes on `node:diagnostics_channel`.
 *
 * @packageDocumentation
 */
export {
  INSTRUMENTATION_NAME,
  instrumentSess,
  type SessInstrumentation,
  type SessInstrumentationOptions,
} from './instrumentation.js';
