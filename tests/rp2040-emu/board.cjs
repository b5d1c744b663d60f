// The RP2040 board and its USB cable, for the Rust test support
// (tests/support/rp2040.rs), which plays the laptop's network stack.
//
// This process is the hardware: the chip (rp2040js, with our flash and
// boot-ROM model, chip.cjs) and the laptop's USB host controller, which
// enumerates the board as a CDC-NCM network adapter and carries Ethernet
// frames in NCM transfer blocks. Everything above Ethernet (DHCP, ARP, TCP)
// is the test support's, over this process's stdin and stdout:
//
//   message = kind (1 byte) + length (u32, big-endian) + payload
//   to the laptop:  'E' a frame from the board   'U' a console line
//                   'L' the link is up            'T' the clock (JSON)
//                   'X' the chip boots (JSON: why: power-on, RUN pin, ...)
//   from the laptop: 'E' a frame to the board    'T' read the clock
//                   'R' reset the chip (the flash is kept)
//
//   node board.cjs FIRMWARE.uf2 [--data IMAGE]
//
// The flash starts erased with the UF2 programmed in, as a Pico fresh from
// the boot drive, and IMAGE (a file-system image, `isere-sim --data-size
// 512K` makes one) in the file system's partition, as `picotool load -o
// 0x10180000` puts it; a reset keeps the flash, as silicon does.
'use strict';
const fs = require('fs');
const { createChip, flashFromUf2 } = require('./chip.cjs');
const { attachUsbHost } = require('./usb-host.cjs');

const [uf2Path, dataOption, dataPath] = process.argv.slice(2);
if (!uf2Path || (dataOption !== undefined && (dataOption !== '--data' || !dataPath))) {
  console.error('usage: node board.cjs FIRMWARE.uf2 [--data IMAGE]');
  process.exit(64);
}
// The file system's partition (port/rp2040/memory.x).
const FS_OFFSET = 0x180000;
const FS_BYTES = 512 * 1024;

const flash = flashFromUf2(uf2Path);

if (dataPath) {
  const image = fs.readFileSync(dataPath);
  if (image.length > FS_BYTES) {
    console.error(`board: ${dataPath} is ${image.length} bytes, larger than the ${FS_BYTES}-byte partition`);
    process.exit(65);
  }
  flash.set(image, FS_OFFSET);
}

function send(kind, payload) {
  const bytes = Buffer.from(payload);
  const head = Buffer.alloc(5);
  head.write(kind, 0, 'latin1');
  head.writeUInt32BE(bytes.length, 1);
  process.stdout.write(Buffer.concat([head, bytes]));
}

let cable = null;
let uartLine = [];
const chip = createChip({
  flash,
  // The laptop's servers answer in real time.
  realTime: true,
  onUartByte(b) {
    if (b === 10) {
      send('U', Buffer.from(uartLine).toString('utf8').replace(/\r$/, ''));
      uartLine = [];
    } else if (uartLine.length < 4096) uartLine.push(b);
  },
  // Each boot is a fresh chip: a fresh USB controller, which the host
  // enumerates again.
  onReset(mcu, reason) {
    uartLine = [];
    send('X', JSON.stringify({ reason }));
    cable = attachUsbHost(mcu, {
      onNotification(buf) {
        // NETWORK_CONNECTION, connected.
        if (buf[1] === 0 && buf[2] === 1) send('L', '');
      },
      onFrame: (frame) => send('E', frame),
      onProblem: (what) => send('U', `[usb host] ${what}`),
    });
  },
  // A failure the model caught (a read of the flash while XIP is off, a
  // store to the ROM, ...): the chip stops, and so does the board.
  onFault(message) {
    send('U', `[chip] FATAL: ${message}`);
    setImmediate(() => process.exit(70));
  },
});

// ---- Messages from the laptop.
let pending = Buffer.alloc(0);
process.stdin.on('data', (data) => {
  pending = Buffer.concat([pending, data]);
  while (pending.length >= 5) {
    const kind = String.fromCharCode(pending[0]);
    const length = pending.readUInt32BE(1);
    if (pending.length < 5 + length) break;
    const payload = pending.subarray(5, 5 + length);
    pending = pending.subarray(5 + length);
    if (kind === 'E') cable.sendFrame(Uint8Array.from(payload));
    else if (kind === 'T') {
      const now = chip.power.snapshot();
      send('T', JSON.stringify({ nanos: now.nanos, asleep: now.asleepNanos }));
    } else if (kind === 'R') chip.reset('RUN pin');
    else {
      console.error(`board: unknown message ${JSON.stringify(kind)}`);
      process.exit(66);
    }
  }
});
// The laptop went away: so does the board.
process.stdin.on('end', () => process.exit(0));

chip.start();
