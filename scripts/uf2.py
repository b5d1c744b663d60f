#!/usr/bin/env python3
"""Converts an RP2040 ELF image to UF2, the format of the RPI-RP2 boot drive.

    scripts/uf2.py FIRMWARE.elf FIRMWARE.uf2

UF2 (https://github.com/microsoft/uf2) is a sequence of 512-byte blocks, each
carrying 256 bytes for one flash address. The loadable bytes are the ELF's
PT_LOAD segments at their physical (load) addresses, which must all lie in
the RP2040's flash window (XIP, 0x10000000 + 16 MiB): `.data` is stored
there and copied to RAM by the start-up code, `.bss` has no file bytes.
Pages partly covered are padded with zeros, as the Pico SDK's elf2uf2 does.
Standard library only.
"""

import struct
import sys

UF2_MAGIC_START0 = 0x0A324655
UF2_MAGIC_START1 = 0x9E5D5157
UF2_MAGIC_END = 0x0AB16F30
UF2_FLAG_FAMILY_ID_PRESENT = 0x00002000
RP2040_FAMILY_ID = 0xE48BFF56
PAGE = 256
FLASH_START = 0x10000000
FLASH_END = FLASH_START + 16 * 1024 * 1024
PT_LOAD = 1


def load_segments(elf):
    """(physical address, bytes) of every PT_LOAD segment with file bytes."""
    if elf[:4] != b"\x7fELF" or elf[4] != 1 or elf[5] != 1:
        raise SystemExit("uf2: not a 32-bit little-endian ELF file")
    (e_phoff,) = struct.unpack_from("<I", elf, 28)
    e_phentsize, e_phnum = struct.unpack_from("<HH", elf, 42)
    segments = []
    for i in range(e_phnum):
        p_type, p_offset, _vaddr, p_paddr, p_filesz = struct.unpack_from(
            "<IIIII", elf, e_phoff + i * e_phentsize
        )
        if p_type != PT_LOAD or p_filesz == 0:
            continue
        if not (FLASH_START <= p_paddr and p_paddr + p_filesz <= FLASH_END):
            raise SystemExit(
                "uf2: segment at 0x%08x (%d bytes) is not in flash" % (p_paddr, p_filesz)
            )
        segments.append((p_paddr, elf[p_offset : p_offset + p_filesz]))
    if not segments:
        raise SystemExit("uf2: no loadable segment")
    return segments


def pages(segments):
    """The 256-byte flash pages the segments touch, by address."""
    out = {}
    for addr, data in segments:
        for i, byte in enumerate(data):
            a = addr + i
            page = out.setdefault(a - a % PAGE, bytearray(PAGE))
            page[a % PAGE] = byte
    return out


def uf2(pages_by_address):
    addresses = sorted(pages_by_address)
    blocks = []
    for n, addr in enumerate(addresses):
        header = struct.pack(
            "<IIIIIIII",
            UF2_MAGIC_START0,
            UF2_MAGIC_START1,
            UF2_FLAG_FAMILY_ID_PRESENT,
            addr,
            PAGE,
            n,
            len(addresses),
            RP2040_FAMILY_ID,
        )
        payload = bytes(pages_by_address[addr]).ljust(476, b"\0")
        blocks.append(header + payload + struct.pack("<I", UF2_MAGIC_END))
    return b"".join(blocks)


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: uf2.py FIRMWARE.elf FIRMWARE.uf2")
    with open(sys.argv[1], "rb") as f:
        elf = f.read()
    by_address = pages(load_segments(elf))
    image = uf2(by_address)
    with open(sys.argv[2], "wb") as f:
        f.write(image)
    first, last = min(by_address), max(by_address) + PAGE
    print(
        "uf2: %s: %d blocks, flash 0x%08x..0x%08x (%d KiB)"
        % (sys.argv[2], len(by_address), first, last, (last - first + 1023) // 1024)
    )


if __name__ == "__main__":
    main()
