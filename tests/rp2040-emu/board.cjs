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
//                   'X' the chip was reset (JSON: why)
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
const { createChip, FLASH_SIZE } = require('./chip.cjs');

const [uf2Path, dataOption, dataPath] = process.argv.slice(2);
if (!uf2Path || (dataOption !== undefined && (dataOption !== '--data' || !dataPath))) {
  console.error('usage: node board.cjs FIRMWARE.uf2 [--data IMAGE]');
  process.exit(64);
}
// The file system's partition (port/rp2040/memory.x).
const FS_OFFSET = 0x180000;
const FS_BYTES = 512 * 1024;

const flash = new Uint8Array(FLASH_SIZE).fill(0xff);
const uf2 = fs.readFileSync(uf2Path);
for (let off = 0; off + 512 <= uf2.length; off += 512) {
  const addr = uf2.readUInt32LE(off + 12);
  const len = uf2.readUInt32LE(off + 16);
  if (addr < 0x10000000 || addr + len > 0x10000000 + FLASH_SIZE) {
    console.error(`board: UF2 block at 0x${addr.toString(16)} is outside the 2 MiB flash`);
    process.exit(65);
  }
  flash.set(uf2.subarray(off + 32, off + 32 + len), addr - 0x10000000);
}

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
    cable = attachUsbHost(mcu);
  },
  // A failure the model caught (a read of the flash while XIP is off, a
  // store to the ROM, ...): the chip stops, and so does the board.
  onFault(message) {
    send('U', `[chip] FATAL: ${message}`);
    setImmediate(() => process.exit(70));
  },
});

// ---- The laptop's USB host controller: one device, control transfers one
// at a time, NCM on the bulk endpoints.
function attachUsbHost(mcu) {
  const usb = mcu.usbCtrl;
  const setup = (type, request, value, index, length) =>
    Uint8Array.from([type, request, value & 255, value >> 8, index & 255, index >> 8, length & 255, length >> 8]);
  let control = null;
  const controlQueue = [];
  let mps0 = 8;
  let ep0OutArmed = false;
  let bulkIn = -1;
  let bulkOut = -1;
  let interruptIn = -1;
  let dataInterface = -1;
  let ntbIn = [];
  const outPackets = [];
  // OUT endpoints the board has armed (it may arm one before the host has
  // read the configuration that names it).
  const armed = new Set();
  let ntbSequence = 0;

  function submit(packet, inLength, done) {
    controlQueue.push({ packet, inLength, done, data: [], dataDone: false });
    nextControl();
  }
  function nextControl() {
    if (control || controlQueue.length === 0) return;
    control = controlQueue.shift();
    usb.sendSetupPacket(control.packet);
  }
  function finishControl() {
    const c = control;
    control = null;
    if (c.done) c.done(Uint8Array.from(c.data));
    nextControl();
  }
  // The status stage of a control read: a zero-length OUT once all data is
  // in. The next SETUP waits until the board has it (rp2040js delivers it
  // after a delay), as on a bus: one arriving later would end the next
  // transfer's data stage.
  function statusOut() {
    if (!control || !control.dataDone || !ep0OutArmed) return;
    ep0OutArmed = false;
    usb.endpointReadDone(0, new Uint8Array(0));
    mcu.clock.createAlarm(finishControl).schedule((usb.readDelayMicroseconds + 1) * 1000);
  }
  function parseConfiguration(d) {
    let cls = -1;
    let iface = -1;
    for (let i = 0; i + 2 <= d.length && d[i] >= 2; i += d[i]) {
      const type = d[i + 1];
      if (type === 4) { iface = d[i + 2]; cls = d[i + 5]; }
      if (type === 5) {
        const ep = d[i + 2];
        const kind = d[i + 3] & 3;
        if (kind === 3 && ep & 0x80) interruptIn = ep & 15;
        if (kind === 2 && cls === 0x0a) {
          dataInterface = iface;
          if (ep & 0x80) bulkIn = ep & 15; else bulkOut = ep & 15;
        }
      }
    }
  }
  usb.onUSBEnabled = () => usb.resetDevice();
  usb.onResetReceived = () => {
    submit(setup(0x00, 5, 1, 0, 0), 0); // SET_ADDRESS 1
    submit(setup(0x80, 6, 0x0100, 0, 18), 18, (d) => { mps0 = d[7]; });
    submit(setup(0x80, 6, 0x0200, 0, 9), 9, (d) => {
      const total = d[2] | (d[3] << 8);
      submit(setup(0x80, 6, 0x0200, 0, total), total, (cfg) => {
        parseConfiguration(cfg);
        if (!(dataInterface >= 0 && bulkIn > 0 && bulkOut > 0 && interruptIn > 0)) {
          send('U', `[usb host] no CDC-NCM data interface in the configuration: ${Buffer.from(cfg).toString('hex')}`);
          return;
        }
        submit(setup(0x00, 9, 1, 0, 0), 0); // SET_CONFIGURATION 1
        submit(setup(0x01, 11, 1, dataInterface, 0), 0); // SET_INTERFACE data, alt 1
      });
    });
  };
  usb.onEndpointWrite = (ep, buf) => {
    if (ep === 0) {
      if (!control) return;
      if (control.inLength === 0) {
        if (buf.length === 0) finishControl();
        return;
      }
      control.data.push(...buf);
      if (control.data.length >= control.inLength || buf.length < mps0) {
        control.dataDone = true;
        statusOut();
      }
    } else if (ep === interruptIn) {
      // NETWORK_CONNECTION, connected.
      if (buf[1] === 0 && buf[2] === 1) send('L', '');
    } else if (ep === bulkIn) {
      for (const b of buf) ntbIn.push(b);
      if (buf.length < 64) {
        const ntb = Uint8Array.from(ntbIn);
        ntbIn = [];
        if (ntb.length) receiveNtb(ntb);
      }
    }
  };
  usb.onEndpointRead = (ep) => {
    if (ep === 0) {
      ep0OutArmed = true;
      statusOut();
      return;
    }
    armed.add(ep);
    pumpOut();
  };
  function pumpOut() {
    if (!armed.has(bulkOut) || outPackets.length === 0) return;
    armed.delete(bulkOut);
    const pk = outPackets.shift();
    usb.endpointReadDone(bulkOut, pk);
  }
  function sendFrame(frame) {
    const length = 12 + 16 + frame.length;
    const ntb = new Uint8Array(length);
    const v = new DataView(ntb.buffer);
    ntb.set(Buffer.from('NCMH'));
    v.setUint16(4, 12, true); // wHeaderLength
    v.setUint16(6, ntbSequence++ & 0xffff, true);
    v.setUint16(8, length, true); // wBlockLength
    v.setUint16(10, 12, true); // wNdpIndex
    ntb.set(Buffer.from('NCM0'), 12);
    v.setUint16(16, 16, true); // wLength
    v.setUint16(18, 0, true); // wNextNdpIndex
    v.setUint16(20, 28, true); // wDatagramIndex
    v.setUint16(22, frame.length, true); // wDatagramLength (then a zero entry)
    ntb.set(frame, 28);
    for (let i = 0; i < length; i += 64) outPackets.push(ntb.slice(i, i + 64));
    if (length % 64 === 0) outPackets.push(new Uint8Array(0));
    pumpOut();
  }
  function receiveNtb(ntb) {
    const v = new DataView(ntb.buffer);
    if (Buffer.from(ntb.slice(0, 4)).toString() !== 'NCMH') {
      send('U', `[usb host] transfer block without an NTH16 header: ${Buffer.from(ntb.slice(0, 16)).toString('hex')}`);
      return;
    }
    for (let ndp = v.getUint16(10, true); ndp && ndp + 8 <= ntb.length; ndp = v.getUint16(ndp + 6, true)) {
      const length = v.getUint16(ndp + 4, true);
      for (let p = ndp + 8; p + 4 <= ndp + length && p + 4 <= ntb.length; p += 4) {
        const index = v.getUint16(p, true);
        const len = v.getUint16(p + 2, true);
        if (!index || !len) break;
        send('E', ntb.slice(index, index + len));
      }
    }
  }
  return { sendFrame };
}

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
