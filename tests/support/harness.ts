/**
 * End-to-end test harness: the real relay and real clients as separate
 * processes over real TCP sockets on loopback, and a recording proxy that
 * keeps every byte crossing it (to prove the relay only ever sees ciphertext).
 * Relays speak TLS as shipped unless a test starts one with `--no-tls`; every
 * relay and client gets its own data and config directories, so tests never
 * touch a user's certificate or known_relays, and clients pin on first use
 * without a prompt. This module gathers them: test_env.ts (run arguments,
 * directories, ports), relay_process.ts, client_process.ts and raw_peer.ts (the
 * recording proxy and a raw protocol peer).
 *
 * @module
 */

export { CLIENT_RUN_ARGS, freePort, RELAY_RUN_ARGS, testDir } from "./test_env.ts";
export { RelayProcess } from "./relay_process.ts";
export { ClientProcess, type ClientSpec } from "./client_process.ts";
export {
  connectRelay,
  containsBytes,
  helloFrame,
  type RawFrame,
  RawPeer,
  RecordingProxy,
} from "./raw_peer.ts";
