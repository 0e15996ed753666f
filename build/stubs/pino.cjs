// Bundled in place of pino. imapflow loads pino for the default logger it makes when it is given
// none; the tool always passes `logger: false`, so pino's code (and the worker-thread transport
// it sets up at load) only cost start-up time. Should imapflow ever ask for it, the run fails
// plainly instead of logging somewhere unseen.
'use strict';
function pino() {
  throw new Error('internal error: imapflow asked for its default logger (pino), which is not bundled; it must be given logger: false');
}
module.exports = pino;
module.exports.default = pino;
module.exports.pino = pino;
