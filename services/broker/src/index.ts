export { startBroker } from './mqtt-server/start-broker';
export type {
  BrokerTlsOptions,
  RunningBroker,
  StartBrokerOptions,
} from './mqtt-server/start-broker';
export { DEFAULT_MAX_PACKET_BYTES, maxPacketBytesSchema } from './mqtt-server/packet-size-limit';
export {
  PasswordUsers,
  RememberedPasswordChecks,
  hashPassword,
} from './authentication/password-users';
export { anyOf } from './authentication/password-authenticator';
export type { PasswordAuthenticator } from './authentication/password-authenticator';
export {
  DEFAULT_SERVICE_ACCOUNT,
  DEFAULT_SERVICE_ACCOUNTS,
  deviceCommonName,
  identityFromCommonName,
  SERVICE_ACCOUNT_SLOTS,
  serviceAccountOfReplica,
} from './domain/identity';
export type { BrokerIdentity } from './domain/identity';
export { mayPublish, maySubscribe } from './domain/access-policy';
export { BrokerConfigError, brokerOptionsFromEnv, parseBrokerEnv } from './config/broker-config';
export type { BrokerEnv } from './config/broker-config';
