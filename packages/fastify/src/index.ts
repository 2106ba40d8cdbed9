export type { SessionCookieOptions } from '@sess/http';
export {
  type RequestSessionData,
  type SessionData,
  type SessionPluginOptions,
  sessionPlugin,
} from './plugin.js';
