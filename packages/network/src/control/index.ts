export type {
  Admission,
  ChannelHandlers,
  ClientHello,
  ControlChannel,
  ServerOffer,
  SessionMessage,
} from './channel.js';
export { MIN_PSK_BYTES, PresharedKey, macMatches, randomNonce, type PskInput } from './auth.js';
export { AudioKeys, MAX_IO_RUNS, deriveAudioKeys } from './audio-keys.js';
export { CLOSE_LINGER_MS } from './frame-socket.js';
export { TcpControlChannel } from './tcp-channel.js';
export {
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
  connectTcpControl,
  type TcpControlConnectOptions,
  type TcpControlConnection,
} from './tcp-client.js';
export {
  DEFAULT_MAX_PENDING_HANDSHAKES,
  DEFAULT_MAX_PENDING_HANDSHAKES_PER_SOURCE,
  TcpControlServer,
  type TcpControlServerOptions,
  type TcpControlServerStats,
  type TcpServerOffer,
} from './tcp-server.js';
export { UdpControlChannel, type UdpChannelLink } from './udp-channel.js';
export {
  UDP_MAX_ATTEMPTS,
  UDP_RETRANSMIT_MS,
  connectUdpControl,
  type UdpControlConnectOptions,
  type UdpControlConnection,
} from './udp-client.js';
export {
  DISCOVERY_BURST,
  DISCOVERY_BURST_PER_SOURCE,
  DISCOVERY_RATE_PER_S,
  DISCOVERY_RATE_PER_SOURCE_PER_S,
  MAX_OFFERED_PEERS,
  MAX_TRACKED_SOURCES,
  OFFER_TTL_MS,
  UdpControlServer,
  VERSION_REPLY_INTERVAL_MS,
  udpClientHello,
  type UdpControlServerOptions,
  type UdpControlServerStats,
  type UdpServerOffer,
} from './udp-server.js';
