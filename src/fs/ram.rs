//! A block device in RAM: for tests, and for boards whose file system does
//! not have to outlive a reset.

use alloc::vec::Vec;

use crate::port::{BlockDevice, FLASH_BLOCK_SIZE, FlashError};

/// Flash emulated in a heap buffer. Erased bytes read as `0xFF`, like NOR
/// flash.
pub struct RamDevice {
    data: Vec<u8>,
}

impl RamDevice {
    /// A device of `blocks` erased blocks.
    pub fn new(blocks: u32) -> RamDevice {
        RamDevice {
            data: alloc::vec![0xFF; blocks as usize * FLASH_BLOCK_SIZE as usize],
        }
    }

    /// A device holding `image` (a multiple of the block size: the rest of a
    /// partial last block is dropped).
    pub fn from_image(mut image: Vec<u8>) -> RamDevice {
        let whole = image.len() / FLASH_BLOCK_SIZE as usize * FLASH_BLOCK_SIZE as usize;
        image.truncate(whole);
        RamDevice { data: image }
    }

    /// The device's contents.
    pub fn image(&self) -> &[u8] {
        &self.data
    }

    fn range(
        &self,
        block: u32,
        offset: u32,
        len: usize,
    ) -> Result<core::ops::Range<usize>, FlashError> {
        let start = block as usize * FLASH_BLOCK_SIZE as usize + offset as usize;
        let end = start.checked_add(len).ok_or(FlashError::OutOfRange)?;
        if offset as usize + len > FLASH_BLOCK_SIZE as usize || end > self.data.len() {
            return Err(FlashError::OutOfRange);
        }
        Ok(start..end)
    }
}

impl BlockDevice for RamDevice {
    fn block_count(&self) -> u32 {
        (self.data.len() / FLASH_BLOCK_SIZE as usize) as u32
    }

    fn read(&mut self, block: u32, offset: u32, buf: &mut [u8]) -> Result<(), FlashError> {
        let r = self.range(block, offset, buf.len())?;
        buf.copy_from_slice(&self.data[r]);
        Ok(())
    }

    fn program(&mut self, block: u32, offset: u32, data: &[u8]) -> Result<(), FlashError> {
        let r = self.range(block, offset, data.len())?;
        self.data[r].copy_from_slice(data);
        Ok(())
    }

    fn erase(&mut self, block: u32) -> Result<(), FlashError> {
        let r = self.range(block, 0, FLASH_BLOCK_SIZE as usize)?;
        self.data[r].fill(0xFF);
        Ok(())
    }

    fn sync(&mut self) -> Result<(), FlashError> {
        Ok(())
    }
}
