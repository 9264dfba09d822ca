/**
 * Unit tests of how the generator finds its counting receivers' sockets for the
 * receive low-water mark (bench/rcv_lowat.ts), and the mark's size. The
 * /proc/net/tcp text is a fixed sample; the smoke test runs the mark for real.
 *
 * @module
 */

import assert from "node:assert/strict";
import { defaultLowat } from "../bench/fanout_params.ts";
import { inodesByLocalPort } from "../bench/rcv_lowat.ts";

// Two connections from local port 0xA001 (to 0x1F90 and to 0x1F91), one from 0xA002, a listener.
const PROC_NET_TCP =
  `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:A001 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 2222 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:A001 0100007F:1F91 01 00000000:00000000 00:00000000 00000000     0        0 3333 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:A002 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000000000000 20 4 30 10 -1
   4: 0100007F:A003 0100007F:1F90 06 00000000:00000000 03:00000fa0 00000000     0        0 0 3 0000000000000000
`;

Deno.test("inodesByLocalPort: only connections to the server's port, by local port", () => {
  const to8080 = inodesByLocalPort(PROC_NET_TCP, 0x1f90);
  assert.deepEqual([...to8080].sort(), [[0xa001, 2222], [0xa002, 4444]]);
  assert.deepEqual([...inodesByLocalPort(PROC_NET_TCP, 0x1f91)], [[0xa001, 3333]]);
  assert.equal(inodesByLocalPort(PROC_NET_TCP, 0x1f92).size, 0);
});

Deno.test("inodesByLocalPort: reads this machine's own table", () => {
  const text = Deno.readTextFileSync("/proc/net/tcp");
  assert.ok(inodesByLocalPort(text, 1) instanceof Map);
});

Deno.test("defaultLowat: about 200 ms of a receiver's deliveries, 4–64 KiB", () => {
  assert.equal(defaultLowat(50), 4096);
  assert.equal(defaultLowat(800), 16000);
  assert.equal(defaultLowat(3200), 64000);
  assert.equal(defaultLowat(9600), 65536);
});
