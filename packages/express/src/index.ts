export type { SessionCookieOptions } from '@sess/http';
export {
  type RequestSessionData,
  type SessionData,
  type SessionMiddlewareOptions,
  sessionMiddleware,
} from './middleware.js';
