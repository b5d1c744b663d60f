// The RP2040 firmware on a model of a Pico (chip.cjs: rp2040js, Wokwi's
// RP2040 model, with a boot ROM, the QSPI flash and XIP around it), with
// this script as the USB host at the other end of the cable. The flash
// starts blank but for the UF2's image, as a fresh board does. It checks
// what a laptop would see:
//
//   0. the board formats the empty file-system partition at its first
//      boot and mounts it (its console says so);
//   1. the board enumerates as a CDC-NCM network adapter (VID:PID 1209:0001);
//   2. once the host enables the data interface, the board reports the link
//      speed and "connected";
//   3. DHCP: DISCOVER -> OFFER, REQUEST -> ACK of 192.168.7.2/24 from server
//      192.168.7.1, no router (port/rp2040/dhcp.rs);
//   4. ARP: 192.168.7.1 answers from 02:49:53:45:52:01 (smoltcp);
//   5. the board's heap once boot is over: at least 100 KiB free (the
//      RP2040's budget);
//   6. TCP to 192.168.7.1:80, `GET /hello` -> 200 "Hello from Isère!" from
//      the JS function (the board's own `hello`), then on the same connection
//      `GET /_isere/stats`: the heap and the tasks' stacks of the running
//      image, printed;
//   7. hostile clients on its 4 connection slots (tests/hostile.rs's
//      connection and memory cases), each followed by a good request: idle
//      sockets from one address (3 allowed, the 4th gets 503; the board
//      closes the 3 once header_timeout_ms has passed), a body over the
//      limit (413), a body to a route that takes none (405, read and
//      dropped), a bad Host (400); the heap outside the engine flat across
//      them;
//   8. 10 s of idle with the link up: the board's uptime keeps to simulated
//      time, and the share of it the core sleeps in WFI (sleep.cjs).
//   9. `GET /_isere/device`: the device id the board made at first start
//      and wrote to its file system;
//  10. the board is reset (the RUN pin: a fresh chip on the same flash): it
//      mounts the partition without formatting it, enumerates and leases
//      again, serves `GET /hello`, and `GET /_isere/device` answers the same
//      id, read back from the flash.
//
// Ethernet frames travel in NCM transfer blocks (NTB16, one datagram each),
// split into 64-byte USB packets. The board's console (UART0) is echoed.
//
//   node host.cjs FIRMWARE.uf2 [wall-clock limit in s]
//
// Exits 0 when every step passed, 1 on a wrong answer, 2 on the time limit.
'use strict';
const { createChip, flashFromUf2 } = require('./chip.cjs');
const { attachUsbHost } = require('./usb-host.cjs');

const [uf2Path, limitSec = '120'] = process.argv.slice(2);
if (!uf2Path) {
  console.error('usage: node host.cjs FIRMWARE.uf2 [seconds]');
  process.exit(64);
}

const BOARD_IP = [192, 168, 7, 1];
const LEASE_IP = [192, 168, 7, 2];
const BOARD_MAC = [0x02, 0x49, 0x53, 0x45, 0x52, 0x01];
const HOST_MAC = [0x02, 0x49, 0x53, 0x45, 0x52, 0x02];
const BROADCAST_MAC = [255, 255, 255, 255, 255, 255];

let mcu = null;
const log = (...a) => console.log('[host]', ...a);
const hex = (b) => Buffer.from(b).toString('hex');
const simMs = () => (mcu.clock.nanos / 1e6).toFixed(1);
let failed = false;
function check(ok, what) {
  log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failed = true;
  return ok;
}
function finish(code) {
  chip.stop();
  const lookups = [...chip.romLookups].map(([c, n]) => `${c} (${n})`).join(', ');
  log(`boot ROM codes the image looked up: ${lookups}`);
  log(`${code === 0 ? 'passed' : 'failed'} (simulated time ${simMs()} ms)`);
  process.exit(code);
}

// The image, the file system erased.
const flash = flashFromUf2(uf2Path);
// The RP2040 budget: 100 KiB of heap free after boot with 4 connection
// slots (here with `hello` loaded; tests/rp2040.rs checks it with `login`),
// checked on the board's own report of its heap once boot is over; the
// HTTP exchange waits for it, so that nothing of a request is counted.
const HEAP_FREE_BUDGET = 100 * 1024;
let bootHeapSeen = false;
let onBootHeap = null;
let uartLine = [];
// What this boot's console said of the file system.
let fsBoot = { formatted: false, used: null };
function onUartByte(b) {
  if (b === 10) {
    const line = Buffer.from(uartLine).toString('utf8').replace(/\r$/, '');
    console.log(`[uart] ${line}`);
    if (/FATAL/.test(line)) { check(false, 'the board did not fail'); finish(1); }
    if (/no file system on the flash: formatting/.test(line)) fsBoot.formatted = true;
    const used = /file system: (\d+) of (\d+) blocks used/.exec(line);
    if (used) fsBoot.used = [Number(used[1]), Number(used[2])];
    if (/file system: .*running without one|bundle store: |over-the-air deploys are off|stored configuration ignored/.test(line)) {
      check(false, `the file system and the store come up: "${line}"`);
      finish(1);
    }
    const heap = /heap after boot: (\d+) bytes used, (\d+) free/.exec(line);
    if (heap) {
      const free = Number(heap[2]);
      check(free >= HEAP_FREE_BUDGET,
        `heap after boot: ${free} B (${(free / 1024).toFixed(1)} KiB) free >= ${HEAP_FREE_BUDGET} B (100 KiB)`);
      bootHeapSeen = true;
      if (onBootHeap) onBootHeap();
    }
    uartLine = [];
  } else uartLine.push(b);
}

const chip = createChip({
  flash,
  onUartByte,
  onReset: attach,
  onError: (message) => log(`emulator error: ${message}`),
  onFault(message) {
    check(false, `chip: ${message}`);
    finish(1);
  },
});

// ---- USB: the host controller (usb-host.cjs), with what a laptop checks
// of the device.
let cable = null;
let linkUp = false;
const sendFrame = (frame) => cable.sendFrame(frame);
function attachUsb() {
  cable = attachUsbHost(mcu, {
    onDeviceDescriptor(d) {
      const vid = d[8] | (d[9] << 8);
      const pid = d[10] | (d[11] << 8);
      check(vid === 0x1209 && pid === 0x0001 && d[4] === 2,
        `device descriptor: VID:PID ${vid.toString(16)}:${pid.toString(16).padStart(4, '0')}, class ${d[4]} (CDC), control packets of ${d[7]} bytes`);
    },
    onConfiguration(cfg, e) {
      check(e.dataInterface >= 0 && e.bulkIn > 0 && e.bulkOut > 0 && e.interruptIn > 0,
        `configuration (${cfg.length} bytes): NCM data interface ${e.dataInterface}, bulk IN ${e.bulkIn}, bulk OUT ${e.bulkOut}, notifications on ${e.interruptIn}`);
    },
    onNotification(buf) {
      if (buf[1] === 0x2a) {
        const bits = Buffer.from(buf).readUInt32LE(8);
        check(bits > 0, `notification: link speed ${bits / 1e6} Mbit/s`);
      } else if (buf[1] === 0 && buf[2] === 1 && !linkUp) {
        linkUp = check(true, 'notification: network connected');
        setTimeout(() => sendDhcp(1, []), 0);
      }
    },
    onFrame: receiveFrame,
    onProblem(what) {
      check(false, `USB: ${what}`);
      finish(1);
    },
  });
}

// ---- Ethernet, IPv4, UDP, TCP, written out by hand.
const be16 = (n) => [n >> 8, n & 255];
const be32 = (n) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
function checksum(bytes, sum = 0) {
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (bytes[i + 1] || 0);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}
function ethernet(dst, type, payload) {
  return Uint8Array.from([...dst, ...HOST_MAC, ...be16(type), ...payload]);
}
function ipv4(src, dst, protocol, payload) {
  const h = [0x45, 0, ...be16(20 + payload.length), 0, 1, 0x40, 0, 64, protocol, 0, 0, ...src, ...dst];
  const c = ~checksum(h) & 0xffff;
  h[10] = c >> 8;
  h[11] = c & 255;
  return [...h, ...payload];
}
function transportChecksum(src, dst, protocol, segment, at) {
  const pseudo = [...src, ...dst, 0, protocol, ...be16(segment.length)];
  let c = ~checksum(segment, checksum(pseudo)) & 0xffff;
  if (protocol === 17 && c === 0) c = 0xffff;
  segment[at] = c >> 8;
  segment[at + 1] = c & 255;
  return segment;
}
let myIp = [0, 0, 0, 0];
function sendDhcp(type, options) {
  const m = new Array(240).fill(0);
  m[0] = 1; // BOOTREQUEST
  m[1] = 1; // Ethernet
  m[2] = 6;
  m.splice(4, 4, 0x12, 0x34, 0x56, 0x78); // xid
  m.splice(28, 6, ...HOST_MAC);
  m.splice(236, 4, 99, 130, 83, 99); // magic cookie
  const message = [...m, 53, 1, type, ...options, 55, 3, 1, 3, 6, 255];
  const any = [0, 0, 0, 0];
  const all = [255, 255, 255, 255];
  const datagram = transportChecksum(any, all, 17, [...be16(68), ...be16(67), ...be16(8 + message.length), 0, 0, ...message], 6);
  sendFrame(ethernet(BROADCAST_MAC, 0x0800, ipv4(any, all, 17, datagram)));
}
function dhcpOptions(m) {
  const o = {};
  for (let i = 240; i < m.length && m[i] !== 255;) {
    if (m[i] === 0) { i++; continue; }
    o[m[i]] = [...m.slice(i + 2, i + 2 + m[i + 1])];
    i += 2 + m[i + 1];
  }
  return o;
}

const SYN = 2;
const RST = 4;
const ACK = 16;
const PSH = 8;
const FIN = 1;
let boardMac = null;
// TCP connections to 192.168.7.1:80, by our port: what each received, and
// promises of its opening and of its end.
const conns = new Map();
let nextPort = 40000;
function sendTcp(c, flags, data = []) {
  const segment = [...be16(c.port), ...be16(80), ...be32(c.seq), ...be32(c.ack), 0x50, flags, ...be16(8192), 0, 0, 0, 0, ...data];
  sendFrame(ethernet(boardMac, 0x0800, ipv4(myIp, BOARD_IP, 6, transportChecksum(myIp, BOARD_IP, 6, segment, 16))));
}
function connect() {
  const c = { port: nextPort++, state: 'syn-sent', seq: 1000, ack: 0, received: [] };
  c.opened = new Promise((resolve) => { c.onOpen = resolve; });
  c.ended = new Promise((resolve) => { c.onEnd = resolve; });
  conns.set(c.port, c);
  sendTcp(c, SYN);
  return c.opened.then(() => c);
}
function write(c, text) {
  const bytes = [...Buffer.from(text)];
  sendTcp(c, ACK | PSH, bytes);
  c.seq += bytes.length;
}
const text = (c) => Buffer.from(c.received).toString('utf8');
const statusOf = (c) => text(c).split('\r\n')[0];
function receiveTcp(body) {
  const c = conns.get((body[2] << 8) | body[3]);
  if (!c || c.state === 'closed') return;
  const flags = body[13];
  const data = body.slice((body[12] >> 4) * 4);
  const seq = ((body[4] << 24) | (body[5] << 16) | (body[6] << 8) | body[7]) >>> 0;
  if (c.state === 'syn-sent' && (flags & (SYN | ACK)) === (SYN | ACK)) {
    c.ack = (seq + 1) >>> 0;
    c.seq += 1;
    c.state = 'established';
    sendTcp(c, ACK);
    c.onOpen();
    return;
  }
  if (flags & RST) {
    c.state = 'closed';
    c.onEnd('reset');
    return;
  }
  if (data.length && seq === c.ack) {
    c.received.push(...data);
    c.ack = (c.ack + data.length) >>> 0;
  }
  if (flags & FIN) {
    c.ack = (c.ack + 1) >>> 0;
    if (c.state === 'fin-sent') {
      sendTcp(c, ACK);
    } else {
      sendTcp(c, ACK | FIN);
      c.seq += 1;
    }
    c.state = 'closed';
    c.onEnd('closed');
  } else if (data.length) {
    sendTcp(c, ACK);
  }
}
// A request on a connection of its own (at most one TCP segment's worth), answered and closed by the board
// (`Connection: close`, or an error that closes).
async function exchange(request) {
  const c = await connect();
  write(c, request);
  await c.ended;
  return c;
}
function stats(c) {
  const body = text(c).slice(text(c).lastIndexOf('\r\n\r\n') + 4).trim();
  try { return JSON.parse(body); } catch (e) { return null; }
}

// What the laptop checks once the board has an address and its heap
// report is out: a good exchange, then hostile clients on its 4 slots
// (3 per client address by default: the board leaves the last to others),
// each followed by a good request.
async function scenario() {
  check(true, 'TCP: connected to 192.168.7.1:80');
  const first = await exchange('GET /hello HTTP/1.1\r\nHost: 192.168.7.1\r\n\r\n' +
    'GET /_isere/stats HTTP/1.1\r\nHost: 192.168.7.1\r\nConnection: close\r\n\r\n');
  check(/^HTTP\/1\.1 200 /.test(statusOf(first)) && /\r\nDate: /.test(text(first)) && /\r\n\r\nHello from Isère!/.test(text(first)),
    `HTTP: GET /hello -> "${statusOf(first)}", "Hello from Isère!" from the JS function`);
  const before = stats(first);
  check(before !== null && before.heap && before.heap.free > 0,
    `HTTP: GET /_isere/stats on the same connection -> ${JSON.stringify(before)}`);

  // The hostile cases, twice: the heap outside the engine (whose garbage
  // waits for its collector) after the second round must be where the
  // first left it, or each round leaks.
  const outside = (s) => s.heap.used - s.js_memory.used;
  const heapOutside = async () =>
    outside(stats(await exchange('GET /_isere/stats HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n')));
  const rounds = [];
  for (let round = 1; round <= 2; round++) {
    await hostileRound();
    rounds.push(await heapOutside());
  }
  const grew = rounds[1] - rounds[0];
  check(grew <= 512,
    `hostile: heap in use outside the engine ${rounds[0]} B after one round, ${rounds[1]} B after two (${grew >= 0 ? '+' : ''}${grew} B)`);

  // Idle with the link up: the board's uptime (its tick count) follows
  // simulated time, and the core sleeps through most of it.
  const uptime = async () =>
    [stats(await exchange('GET /_isere/stats HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n')).uptime_ms, mcu.clock.nanos / 1e6];
  const [up0, sim0] = await uptime();
  const window = chip.power.snapshot();
  await chip.power.delay(10000);
  const idle = chip.power.since(window);
  const [up1, sim1] = await uptime();
  check(Math.abs((up1 - up0) - (sim1 - sim0)) <= 0.02 * (sim1 - sim0),
    `idle 10 s: uptime advanced ${up1 - up0} ms over ${(sim1 - sim0).toFixed(0)} ms of simulated time (within 2 %)`);
  log(`idle 10 s: core asleep ${(100 * idle.asleepShare).toFixed(3)} % of simulated time (awake ` +
    `${(idle.awakeNanos / 1e3).toFixed(0)} us; ${idle.wfi} WFI, ${idle.sysTicks} SysTick exceptions, ${idle.irqs} interrupts)`);
}

// The device id the board made at first start and keeps on its file
// system (`GET /_isere/device`, public).
async function deviceId() {
  const c = await exchange('GET /_isere/device HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n');
  const info = stats(c);
  return /^HTTP\/1\.1 200 /.test(statusOf(c)) && info && typeof info.device === 'string' ? info.device : null;
}

// Resolved once this boot's board has an address and its heap report is
// out, so that nothing of a request is counted in it.
let boardReady = null;
let onBoardReady = null;

// Each boot is a fresh chip: a fresh USB controller and a host that
// starts over (enumeration, DHCP, ARP).
function attach(chipMcu, reason) {
  log(`board boots (${reason})`);
  mcu = chipMcu;
  linkUp = false;
  myIp = [0, 0, 0, 0];
  boardMac = null;
  conns.clear();
  bootHeapSeen = false;
  uartLine = [];
  fsBoot = { formatted: false, used: null };
  boardReady = new Promise((resolve) => { onBoardReady = resolve; });
  onBootHeap = null;
  attachUsb();
}

// Two boots of one board: the first on a blank partition, the second
// after a reset, on what the first left in the flash.
async function main() {
  chip.start();
  await boardReady;
  const [used, blocks] = fsBoot.used || [0, 0];
  check(fsBoot.formatted && used > 0,
    `file system: the blank partition formatted at first boot, then mounted (${used} of ${blocks} blocks used)`);
  await scenario();
  const id = await deviceId();
  check(id !== null, `HTTP: GET /_isere/device -> the id made at first start and stored: ${id}`);

  chip.reset();
  await boardReady;
  const [usedAgain, blocksAgain] = fsBoot.used || [0, 0];
  check(!fsBoot.formatted && usedAgain >= used,
    `after a reset: the partition mounted as it was, not formatted (${usedAgain} of ${blocksAgain} blocks used)`);
  const again = await exchange('GET /hello HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n');
  check(/^HTTP\/1\.1 200 /.test(statusOf(again)), `after a reset: GET /hello -> "${statusOf(again)}"`);
  const idAgain = await deviceId();
  check(idAgain !== null && idAgain === id, `after a reset: GET /_isere/device -> ${idAgain}, the id read back from the flash`);
  finish(failed ? 1 : 0);
}

async function hostileRound() {
  const good = async (after) => {
    const c = await exchange('GET /hello HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n');
    check(/^HTTP\/1\.1 200 /.test(statusOf(c)), `hostile: after ${after}, GET /hello -> "${statusOf(c)}"`);
  };
  // Three idle sockets from one address, then a fourth that asks; the
  // board closes the three, quietly, once header_timeout_ms (10 s by
  // default) has passed without a byte.
  const opened = mcu.clock.nanos;
  const idle = [await connect(), await connect(), await connect()];
  const fourth = await exchange('GET /hello HTTP/1.1\r\nHost: b\r\n\r\n');
  check(/^HTTP\/1\.1 503 /.test(statusOf(fourth)) && /\r\nretry-after: 1\r\n/i.test(text(fourth)),
    `hostile: a 4th connection from the address holding 3 -> "${statusOf(fourth)}" with Retry-After`);
  const closed = Promise.all(idle.map((c) => c.ended)).then(() => mcu.clock.nanos);
  const at = await Promise.race([closed, chip.power.delay(12000).then(() => null)]);
  const held = at === null ? 'still open after 12 s' : `after ${((at - opened) / 1e9).toFixed(2)} s`;
  check(at !== null && at - opened >= 9.9e9 && at - opened <= 10.5e9 && idle.every((c) => c.received.length === 0),
    `hostile: the idle sockets, closed by the board quietly ${held} of simulated time (header_timeout_ms 10 s)`);
  for (const c of idle.filter((c) => c.state !== 'closed')) {
    sendTcp(c, ACK | FIN);
    c.seq += 1;
    c.state = 'fin-sent';
  }
  await closed;
  await good('idle sockets');

  // A body far over the limit: 413 before a byte of it is read.
  const big = await exchange('POST /hello HTTP/1.1\r\nHost: b\r\nContent-Length: 1048576\r\n\r\n');
  check(/^HTTP\/1\.1 413 /.test(statusOf(big)), `hostile: a 1 MiB body (limit 16 KiB) -> "${statusOf(big)}"`);
  // A body to a route that takes none: read and dropped a piece at a time.
  // (One segment: this host does no TCP flow control.)
  const dropped = await exchange('POST /hello HTTP/1.1\r\nHost: b\r\nConnection: close\r\nContent-Length: 1200\r\n\r\n' + 'x'.repeat(1200));
  check(/^HTTP\/1\.1 405 /.test(statusOf(dropped)), `hostile: a 1200-byte body to a GET route -> "${statusOf(dropped)}"`);
  // A Host that would rewrite the handler's URL.
  const host = await exchange('GET /hello HTTP/1.1\r\nHost: evil.example/pwn?\r\n\r\n');
  check(/^HTTP\/1\.1 400 /.test(statusOf(host)), `hostile: Host "evil.example/pwn?" -> "${statusOf(host)}"`);
  await good('bad bodies and a bad Host');

}

function receiveFrame(f) {
  const type = (f[12] << 8) | f[13];
  if (type === 0x0806) {
    const op = (f[20] << 8) | f[21];
    if (op === 2 && !boardMac) {
      boardMac = [...f.slice(22, 28)];
      check(same(boardMac, BOARD_MAC) && same([...f.slice(28, 32)], BOARD_IP),
        `ARP: 192.168.7.1 is at ${hex(boardMac).replace(/(..)(?!$)/g, '$1:')}`);
      if (bootHeapSeen) onBoardReady(); else onBootHeap = onBoardReady;
    } else if (op === 1 && same([...f.slice(38, 42)], myIp)) {
      // The board asks for us: answer.
      sendFrame(ethernet([...f.slice(6, 12)], 0x0806, [0, 1, 8, 0, 6, 4, 0, 2, ...HOST_MAC, ...myIp, ...f.slice(22, 28), ...f.slice(28, 32)]));
    }
    return;
  }
  if (type !== 0x0800) return;
  const ip = f.slice(14);
  const body = ip.slice((ip[0] & 15) * 4, (ip[2] << 8) | ip[3]);
  if (ip[9] === 17 && ((body[2] << 8) | body[3]) === 68) {
    const m = body.slice(8);
    const o = dhcpOptions(m);
    const yiaddr = [...m.slice(16, 20)];
    const kind = { 2: 'OFFER', 5: 'ACK', 6: 'NAK' }[o[53] && o[53][0]];
    check((kind === 'OFFER' || kind === 'ACK') && same(yiaddr, LEASE_IP) && same(o[54] || [], BOARD_IP) &&
      same(o[1] || [], [255, 255, 255, 0]) && !o[3] && !o[6],
      `DHCP ${kind}: ${yiaddr.join('.')}/${o[1] ? o[1].join('.') : '?'} from ${o[54] ? o[54].join('.') : '?'}, lease ${o[51] ? Buffer.from(o[51]).readUInt32BE() : '?'} s, no router, no DNS`);
    if (kind === 'OFFER') sendDhcp(3, [50, 4, ...yiaddr, 54, 4, ...o[54]]);
    if (kind === 'ACK') {
      myIp = yiaddr;
      sendFrame(ethernet(BROADCAST_MAC, 0x0806, [0, 1, 8, 0, 6, 4, 0, 1, ...HOST_MAC, ...myIp, 0, 0, 0, 0, 0, 0, ...BOARD_IP]));
    }
    return;
  }
  if (ip[9] === 6 && ((body[0] << 8) | body[1]) === 80) receiveTcp(body);
}

main().catch((e) => { check(false, `scenario: ${e}`); finish(1); });
setTimeout(() => {
  log(`time limit of ${limitSec} s reached (simulated ${simMs()} ms, PC 0x${mcu.core.PC.toString(16)})`);
  process.exit(2);
}, Number(limitSec) * 1000);
