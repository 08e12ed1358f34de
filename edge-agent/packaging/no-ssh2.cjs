/* global module */
// Stands in for ssh2 in the agent's bundle: dockerode loads it for ssh:// engines only, which
// the agent does not use (its engine is a local socket).
class Client {
  constructor() {
    throw new Error('ssh:// container engines are not supported by the opcfleet-agent bundle');
  }
}
module.exports = { Client };
