use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use super::ram::RamDevice;
use super::*;

fn fresh(blocks: u32) -> Fs {
    Fs::format(Box::new(RamDevice::new(blocks))).expect("format")
}

#[test]
fn files_round_trip_and_survive_a_remount() {
    let mut fs = fresh(64);
    fs.create_dir_all("/www/css").unwrap();
    fs.write_file("/www/index.html", b"<h1>hi</h1>").unwrap();
    let big: Vec<u8> = (0..20_000u32).map(|i| (i * 7) as u8).collect();
    fs.write_file("/www/css/big.bin", &big).unwrap();
    assert_eq!(
        fs.read_file("/www/index.html", 100).unwrap(),
        b"<h1>hi</h1>"
    );
    assert_eq!(fs.read_file("/www/css/big.bin", 1 << 20).unwrap(), big);
    assert_eq!(
        fs.read_file("/www/css/big.bin", 100),
        Err(FsError::FileTooLarge)
    );
    let image = take_image(fs);
    let mut fs = Fs::mount(Box::new(RamDevice::from_image(image))).expect("remount");
    assert_eq!(fs.read_file("/www/css/big.bin", 1 << 20).unwrap(), big);
    assert_eq!(
        fs.stat("/www/css").unwrap(),
        Metadata {
            kind: FileKind::Dir,
            size: 0
        }
    );
    assert_eq!(fs.stat("/www/index.html").unwrap().size, 11);
}

/// Unmounts and returns the device's bytes (through a second mount's view:
/// the RAM device is inside the `Fs`).
fn take_image(fs: Fs) -> Vec<u8> {
    // SAFETY: the device of an `Fs` made by `fresh` is a RamDevice.
    let p = fs.mounted.as_ptr();
    let image = unsafe {
        let dev: &dyn BlockDevice = &*(*p).device;
        let ram = dev as *const dyn BlockDevice as *const RamDevice;
        (*ram).image().to_vec()
    };
    drop(fs);
    image
}

#[test]
fn unformatted_devices_are_refused_by_mount_and_formatted_by_mount_or_format() {
    assert_eq!(
        Fs::mount(Box::new(RamDevice::new(16))).err(),
        Some(FsError::Corrupt)
    );
    let mut fs = Fs::mount_or_format(Box::new(RamDevice::new(16))).unwrap();
    assert!(fs.read_dir("/").unwrap().is_empty());
    let usage = fs.usage().unwrap();
    assert_eq!(usage.block_count, 16);
    assert!(usage.blocks_used >= 2);
}

#[test]
fn directories_rename_remove_and_errors() {
    let mut fs = fresh(32);
    fs.mkdir("/a").unwrap();
    assert_eq!(fs.mkdir("/a"), Err(FsError::Exists));
    assert_eq!(fs.mkdir("/x/y"), Err(FsError::NotFound));
    fs.write_file("/a/one", b"1").unwrap();
    fs.write_file("/a/two", b"22").unwrap();
    let mut names: Vec<String> = fs
        .read_dir("/a")
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    names.sort();
    assert_eq!(names, ["one", "two"]);
    fs.rename("/a/one", "/a/two").unwrap();
    assert_eq!(fs.read_file("/a/two", 10).unwrap(), b"1");
    assert!(!fs.exists("/a/one").unwrap());
    assert_eq!(fs.remove("/a"), Err(FsError::NotEmpty));
    fs.remove("/a/two").unwrap();
    fs.remove("/a").unwrap();
    assert_eq!(fs.stat("/a"), Err(FsError::NotFound));
    assert_eq!(fs.stat("/a\0b"), Err(FsError::Invalid));
    let long = "x".repeat(300);
    assert_eq!(
        fs.write_file(&alloc::format!("/{long}"), b""),
        Err(FsError::NameTooLong)
    );
    assert_eq!(
        fs.open("/nope", OpenOptions::new().read(true)),
        Err(FsError::NotFound)
    );
    assert_eq!(
        fs.open("/", OpenOptions::new().read(true)),
        Err(FsError::IsADirectory)
    );
}

#[test]
fn handles_seek_truncate_and_stale_handles() {
    let mut fs = fresh(32);
    let f = fs
        .open("/f", OpenOptions::new().read(true).write(true).create(true))
        .unwrap();
    fs.write(&f, b"hello world").unwrap();
    assert_eq!(fs.seek(&f, SeekFrom::Start(6)).unwrap(), 6);
    let mut buf = [0u8; 5];
    assert_eq!(fs.read_full(&f, &mut buf).unwrap(), 5);
    assert_eq!(&buf, b"world");
    assert_eq!(fs.seek(&f, SeekFrom::End(-5)).unwrap(), 6);
    fs.write(&f, b"there").unwrap();
    fs.truncate(&f, 8).unwrap();
    assert_eq!(fs.file_size(&f).unwrap(), 8);
    let stale = File {
        slot: f.slot,
        generation: f.generation,
    };
    fs.close(f).unwrap();
    assert_eq!(fs.read(&stale, &mut buf), Err(FsError::BadHandle));
    assert_eq!(fs.close(stale), Err(FsError::BadHandle));
    assert_eq!(fs.read_file("/f", 100).unwrap(), b"hello th");
    // Written with a seek: no content hash.
    assert_eq!(fs.stamp("/f").unwrap().content_hash, None);
}

struct FixedClock;
impl Clock for FixedClock {
    fn unix_time(&self) -> u64 {
        1_700_000_000
    }
}
static CLOCK: FixedClock = FixedClock;

#[test]
fn stamps_record_time_and_content_hash_atomically_with_the_contents() {
    let mut fs = fresh(32);
    fs.set_clock(&CLOCK);
    fs.write_file("/s", b"abc").unwrap();
    let mut h = Fnv1a::new();
    h.update(b"abc");
    assert_eq!(
        fs.stamp("/s").unwrap(),
        Stamp {
            mtime: Some(1_700_000_000),
            content_hash: Some(h.finish())
        }
    );
    // Appends in one pass keep the hash valid.
    let f = fs
        .open("/s2", OpenOptions::new().write(true).create(true))
        .unwrap();
    fs.write(&f, b"ab").unwrap();
    fs.write(&f, b"c").unwrap();
    fs.set_mtime(&f, 42).unwrap();
    fs.close(f).unwrap();
    let s2 = fs.stamp("/s2").unwrap();
    assert_eq!(s2.content_hash, Some(h.finish()));
    assert_eq!(s2.mtime, Some(42));
    let r = fs.open("/s2", OpenOptions::new().read(true)).unwrap();
    assert_eq!(fs.file_stamp(&r).unwrap(), s2);
    fs.close(r).unwrap();
    // A directory made by hand has no stamp.
    fs.mkdir("/d").unwrap();
    assert_eq!(fs.stamp("/d").unwrap(), Stamp::default());
    fs.set_attr("/d", 7, b"x").unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(fs.get_attr("/d", 7, &mut buf).unwrap(), 1);
    fs.remove_attr("/d", 7).unwrap();
    assert_eq!(fs.get_attr("/d", 7, &mut buf), Err(FsError::NoAttribute));
}

#[test]
fn a_full_device_reports_no_space_and_keeps_the_old_contents() {
    let mut fs = fresh(8);
    fs.write_file("/keep", b"old").unwrap();
    let huge = alloc::vec![1u8; 64 * 1024];
    assert_eq!(fs.write_file("/keep", &huge), Err(FsError::NoSpace));
    assert_eq!(fs.read_file("/keep", 100).unwrap(), b"old");
}

#[test]
fn ram_cost_stays_as_documented() {
    // Host sizes (64-bit pointers) bound the 32-bit boards' from above.
    let mounted = core::mem::size_of::<Mounted>();
    let open = core::mem::size_of::<OpenSlot>();
    std::eprintln!("mounted file system: {mounted} bytes; per open file: {open} bytes");
    assert!(mounted <= 1024, "Mounted is {mounted} bytes");
    assert!(open <= 512, "OpenSlot is {open} bytes");
}
