export type { SessionCookieOptions } from '@sess/http';
export {
  type SessionEnv,
  type SessionMiddlewareOptions,
  type SessionVariables,
  sessionMiddleware,
} from './middleware.js';
