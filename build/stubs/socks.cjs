// Bundled in place of socks. imapflow loads it for connections through a SOCKS proxy, which the
// tool's configuration has no setting for; it only cost start-up time.
'use strict';
class SocksClient {
  static createConnection() {
    return Promise.reject(new Error('internal error: a SOCKS proxy was asked for, and the tool bundles no SOCKS client'));
  }
}
module.exports = { SocksClient };
