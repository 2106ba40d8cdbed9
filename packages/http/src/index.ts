export {
  MAX_COOKIE_LIFETIME_MS,
  SessionCookie,
  type SessionCookieOptions,
  type SessionSetCookie,
} from './cookie.js';
export {
  RequestSession,
  type ResponseFacts,
  SessionHttp,
  type SessionHttpOptions,
} from './session-http.js';
