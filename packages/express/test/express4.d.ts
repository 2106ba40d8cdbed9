// Express 4 under another name, typed as Express: the two share the API the tests use.
declare module 'express4' {
  import express from 'express';
  export default express;
}
