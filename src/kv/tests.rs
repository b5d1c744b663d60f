use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::*;
use crate::fs::ram::RamDevice;
use crate::port::{BlockDevice, FLASH_BLOCK_SIZE, FlashError};

/// A clock the tests move by hand.
struct TestClock(AtomicU64);
impl Clock for TestClock {
    fn unix_time(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

fn clock() -> &'static TestClock {
    Box::leak(Box::new(TestClock(AtomicU64::new(1_700_000_000))))
}

fn store(blocks: u32) -> (Fs, Kv, &'static TestClock) {
    let mut fs = Fs::format(Box::new(RamDevice::new(blocks))).unwrap();
    let c = clock();
    let kv = Kv::open(&mut fs, "test", KvLimits::default(), c).unwrap();
    (fs, kv, c)
}

fn put(kv: &Kv, fs: &mut Fs, key: &str, value: &str) {
    kv.put(fs, key, value.as_bytes(), &PutOptions::default())
        .unwrap();
}

fn value(kv: &Kv, fs: &mut Fs, key: &str) -> Option<String> {
    kv.get(fs, key)
        .unwrap()
        .map(|e| String::from_utf8(e.value).unwrap())
}

fn names(r: &ListResult) -> Vec<&str> {
    r.keys.iter().map(|k| k.name.as_str()).collect()
}

#[test]
fn get_put_delete_with_metadata_and_any_utf8_key() {
    let (mut fs, kv, _) = store(64);
    assert_eq!(kv.get(&mut fs, "missing").unwrap(), None);
    put(&kv, &mut fs, "a", "1");
    put(&kv, &mut fs, "a", "2");
    assert_eq!(value(&kv, &mut fs, "a").as_deref(), Some("2"));
    let odd = "dir/with%percent\n\u{0}Ünïcødé 🚀";
    kv.put(
        &mut fs,
        odd,
        b"\x00\xffbin",
        &PutOptions {
            metadata: Some(r#"{"n":1}"#.into()),
            ..Default::default()
        },
    )
    .unwrap();
    let e = kv.get(&mut fs, odd).unwrap().unwrap();
    assert_eq!(e.value, b"\x00\xffbin");
    assert_eq!(e.metadata.as_deref(), Some(r#"{"n":1}"#));
    assert_eq!(e.expiration, None);
    let long = "é".repeat(256); // 512 bytes: stored under a hashed name
    put(&kv, &mut fs, &long, "long");
    assert_eq!(value(&kv, &mut fs, &long).as_deref(), Some("long"));
    let all = kv.list(&mut fs, &ListOptions::default()).unwrap();
    assert_eq!(names(&all), ["a", odd, long.as_str()]);
    assert!(all.list_complete);
    assert_eq!(all.cursor, None);
    assert_eq!(all.keys[1].metadata.as_deref(), Some(r#"{"n":1}"#));
    kv.delete(&mut fs, odd).unwrap();
    kv.delete(&mut fs, odd).unwrap();
    kv.delete(&mut fs, &long).unwrap();
    assert_eq!(kv.get(&mut fs, odd).unwrap(), None);
    assert_eq!(
        names(&kv.list(&mut fs, &ListOptions::default()).unwrap()),
        ["a"]
    );
}

#[test]
fn bad_arguments_are_refused_with_a_reason() {
    let (mut fs, kv, _) = store(32);
    let none = PutOptions::default();
    assert_eq!(kv.put(&mut fs, "", b"", &none), Err(KvError::InvalidKey));
    assert_eq!(kv.put(&mut fs, "..", b"", &none), Err(KvError::InvalidKey));
    let key = "k".repeat(513);
    assert_eq!(kv.get(&mut fs, &key), Err(KvError::KeyTooLong(513)));
    let small = Kv::open(&mut fs, "small", KvLimits { max_value_bytes: 4 }, clock()).unwrap();
    assert_eq!(
        small.put(&mut fs, "x", b"12345", &none),
        Err(KvError::ValueTooLarge { size: 5, limit: 4 })
    );
    let meta = PutOptions {
        metadata: Some("x".repeat(1025)),
        ..Default::default()
    };
    assert_eq!(
        kv.put(&mut fs, "x", b"", &meta),
        Err(KvError::MetadataTooLarge(1025))
    );
    let ttl = PutOptions {
        expiration_ttl: Some(59),
        ..Default::default()
    };
    assert_eq!(
        kv.put(&mut fs, "x", b"", &ttl),
        Err(KvError::ExpirationTooSoon)
    );
    let past = PutOptions {
        expiration: Some(1),
        ..Default::default()
    };
    assert_eq!(
        kv.put(&mut fs, "x", b"", &past),
        Err(KvError::ExpirationTooSoon)
    );
    let opts = |limit, cursor: Option<&str>| ListOptions {
        limit,
        cursor: cursor.map(String::from),
        ..Default::default()
    };
    assert_eq!(
        kv.list(&mut fs, &opts(0, None)),
        Err(KvError::InvalidLimit(0))
    );
    assert_eq!(
        kv.list(&mut fs, &opts(1001, None)),
        Err(KvError::InvalidLimit(1001))
    );
    assert_eq!(
        kv.list(&mut fs, &opts(10, Some("zz"))),
        Err(KvError::InvalidCursor)
    );
    assert!(matches!(
        Kv::open(&mut fs, "a/b", KvLimits::default(), clock()),
        Err(KvError::InvalidNamespace)
    ));
    assert!(KvError::KeyTooLong(513).to_string().contains("512"));
    // Nothing was written by the refused calls.
    assert!(
        kv.list(&mut fs, &ListOptions::default())
            .unwrap()
            .keys
            .is_empty()
    );
}

#[test]
fn expired_keys_read_as_absent_and_are_removed() {
    let (mut fs, kv, c) = store(32);
    let now = c.unix_time();
    kv.put(
        &mut fs,
        "ttl",
        b"v",
        &PutOptions {
            expiration_ttl: Some(60),
            ..Default::default()
        },
    )
    .unwrap();
    kv.put(
        &mut fs,
        "abs",
        b"v",
        &PutOptions {
            expiration: Some(now + 120),
            expiration_ttl: Some(600),
            ..Default::default()
        },
    )
    .unwrap();
    put(&kv, &mut fs, "forever", "v");
    assert_eq!(
        kv.get(&mut fs, "ttl").unwrap().unwrap().expiration,
        Some(now + 60)
    );
    let listed = kv.list(&mut fs, &ListOptions::default()).unwrap();
    assert_eq!(listed.keys[0].name, "abs");
    assert_eq!(
        listed.keys[0].expiration,
        Some(now + 120),
        "the earlier expiration wins"
    );
    c.0.store(now + 60, Ordering::Relaxed);
    assert_eq!(kv.get(&mut fs, "ttl").unwrap(), None);
    assert!(
        !fs.exists(&kv.path_of_key("ttl")).unwrap(),
        "removed when met"
    );
    c.0.store(now + 120, Ordering::Relaxed);
    assert_eq!(
        names(&kv.list(&mut fs, &ListOptions::default()).unwrap()),
        ["forever"]
    );
    assert!(!fs.exists(&kv.path_of_key("abs")).unwrap());
}

#[test]
fn list_pages_with_prefix_limit_and_cursor() {
    let (mut fs, kv, _) = store(128);
    let mut keys: Vec<String> = (0..25).map(|i| alloc::format!("user:{i:02}")).collect();
    keys.push("other".into());
    keys.push("user".into());
    keys.push(alloc::format!("user:{}", "z".repeat(300)));
    for k in keys.iter().rev() {
        put(&kv, &mut fs, k, "v");
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = kv
            .list(
                &mut fs,
                &ListOptions {
                    prefix: Some("user:".into()),
                    limit: 10,
                    cursor: cursor.clone(),
                },
            )
            .unwrap();
        assert!(page.keys.len() <= 10);
        seen.extend(page.keys.into_iter().map(|k| k.name));
        if page.list_complete {
            assert_eq!(page.cursor, None);
            break;
        }
        cursor = Some(page.cursor.expect("a cursor on incomplete pages"));
    }
    let mut expected: Vec<String> = keys
        .iter()
        .filter(|k| k.starts_with("user:"))
        .cloned()
        .collect();
    expected.sort();
    assert_eq!(seen, expected);
    // Exactly `limit` keys left: complete on that page.
    let page = kv
        .list(
            &mut fs,
            &ListOptions {
                prefix: Some("o".into()),
                limit: 1,
                cursor: None,
            },
        )
        .unwrap();
    assert_eq!(names(&page), ["other"]);
    assert!(page.list_complete);
}

#[test]
fn an_interrupted_new_key_leaves_nothing_readable_and_is_cleaned_up() {
    let (mut fs, kv, c) = store(32);
    // What a power cut after LittleFS created the file but before it
    // committed the contents leaves: an empty file under the key's name.
    let path = kv.path_of_key("half");
    let f = fs
        .open(&path, OpenOptions::new().write(true).create(true))
        .unwrap();
    fs.close(f).unwrap();
    assert_eq!(kv.get(&mut fs, "half").unwrap(), None);
    assert!(
        kv.list(&mut fs, &ListOptions::default())
            .unwrap()
            .keys
            .is_empty()
    );
    let kv = Kv::open(&mut fs, "test", KvLimits::default(), c).unwrap();
    assert!(!fs.exists(&path).unwrap());
    put(&kv, &mut fs, "half", "whole");
    assert_eq!(value(&kv, &mut fs, "half").as_deref(), Some("whole"));
}

// ---------------------------------------------------------------------------
// Power cuts
// ---------------------------------------------------------------------------

/// NOR flash in RAM whose power is cut at the `cut_at`-th operation (reads,
/// programs, erases and syncs all count): that operation is torn (a
/// program writes only part of its bytes, an erase erases only part of the
/// block) and fails, and every later one fails too, until the test mounts
/// the same bytes again. Programs can only clear bits, as on real flash.
struct CutDevice {
    data: Arc<Mutex<Vec<u8>>>,
    ops: usize,
    cut_at: usize,
}

impl CutDevice {
    fn step(&mut self) -> Result<bool, FlashError> {
        self.ops += 1;
        if self.ops > self.cut_at {
            return Err(FlashError::Io);
        }
        Ok(self.ops == self.cut_at)
    }

    fn at(block: u32, offset: u32) -> usize {
        (block * FLASH_BLOCK_SIZE + offset) as usize
    }
}

impl BlockDevice for CutDevice {
    fn block_count(&self) -> u32 {
        (self.data.lock().unwrap().len() / FLASH_BLOCK_SIZE as usize) as u32
    }

    fn read(&mut self, block: u32, offset: u32, buf: &mut [u8]) -> Result<(), FlashError> {
        if self.step()? {
            return Err(FlashError::Io);
        }
        let start = Self::at(block, offset);
        buf.copy_from_slice(&self.data.lock().unwrap()[start..start + buf.len()]);
        Ok(())
    }

    fn program(&mut self, block: u32, offset: u32, data: &[u8]) -> Result<(), FlashError> {
        let cut = self.step()?;
        let start = Self::at(block, offset);
        // A torn program gets a prefix of its bytes out, varying with the cut.
        let len = if cut {
            self.cut_at * 7 % (data.len() + 1)
        } else {
            data.len()
        };
        let mut flash = self.data.lock().unwrap();
        for (cell, &b) in flash[start..start + len].iter_mut().zip(data) {
            *cell &= b;
        }
        if cut { Err(FlashError::Io) } else { Ok(()) }
    }

    fn erase(&mut self, block: u32) -> Result<(), FlashError> {
        let cut = self.step()?;
        let start = Self::at(block, 0);
        let len = if cut {
            self.cut_at * 13 % (FLASH_BLOCK_SIZE as usize + 1)
        } else {
            FLASH_BLOCK_SIZE as usize
        };
        self.data.lock().unwrap()[start..start + len].fill(0xFF);
        if cut { Err(FlashError::Io) } else { Ok(()) }
    }

    fn sync(&mut self) -> Result<(), FlashError> {
        if self.step()? {
            return Err(FlashError::Io);
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
enum Op {
    Put(String, Vec<u8>, Option<String>),
    Delete(String),
}

/// Puts and deletes over inline values, multi-block values, long (hashed)
/// keys and metadata: every kind of LittleFS commit a KV write makes.
fn workload() -> Vec<Op> {
    let long = "L".repeat(400);
    let big = |seed: u8, len: usize| {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31) ^ seed)
            .collect::<Vec<u8>>()
    };
    let put = |k: &str, v: Vec<u8>| Op::Put(k.into(), v, None);
    alloc::vec![
        put("alpha", b"1".to_vec()),
        put("beta", big(1, 9000)),
        Op::Put("gamma".into(), b"g".to_vec(), Some(r#"{"m":true}"#.into())),
        put("alpha", b"2".to_vec()),
        put(&long, big(2, 300)),
        Op::Delete("beta".into()),
        put("beta", big(3, 5000)),
        put("delta", b"d".repeat(200)),
        put("alpha", big(4, 6000)),
        Op::Delete("gamma".into()),
        put(&long, b"short now".to_vec()),
        Op::Delete("alpha".into()),
        put("epsilon", b"e".to_vec()),
        put("beta", b"b".to_vec()),
    ]
}

type Model = BTreeMap<String, (Vec<u8>, Option<String>)>;

fn apply(model: &mut Model, op: &Op) {
    match op {
        Op::Put(k, v, m) => {
            model.insert(k.clone(), (v.clone(), m.clone()));
        }
        Op::Delete(k) => {
            model.remove(k);
        }
    }
}

fn run(kv: &Kv, fs: &mut Fs, op: &Op) -> Result<(), KvError> {
    match op {
        Op::Put(k, v, m) => kv.put(
            fs,
            k,
            v,
            &PutOptions {
                metadata: m.clone(),
                ..Default::default()
            },
        ),
        Op::Delete(k) => kv.delete(fs, k),
    }
}

/// The store after a cut: every acknowledged write is there; the write in
/// flight is either done or not; `list` and `get` agree; it takes writes.
fn check_after_cut(
    image: Vec<u8>,
    acked: &Model,
    in_flight: Option<&Op>,
    clock: &'static TestClock,
    cut_at: usize,
) {
    let device = CutDevice {
        data: Arc::new(Mutex::new(image)),
        ops: 0,
        cut_at: usize::MAX,
    };
    let mut fs = Fs::mount(Box::new(device))
        .unwrap_or_else(|e| panic!("cut at {cut_at}: the file system does not mount: {e}"));
    let kv = Kv::open(&mut fs, "test", KvLimits::default(), clock)
        .unwrap_or_else(|e| panic!("cut at {cut_at}: the namespace does not open: {e}"));
    let mut done = acked.clone();
    if let Some(op) = in_flight {
        apply(&mut done, op);
    }
    let listed = kv
        .list(&mut fs, &ListOptions::default())
        .unwrap_or_else(|e| panic!("cut at {cut_at}: list fails: {e}"));
    let listed_names: Vec<String> = listed.keys.iter().map(|k| k.name.clone()).collect();
    let acked_names: Vec<String> = acked.keys().cloned().collect();
    let done_names: Vec<String> = done.keys().cloned().collect();
    assert!(
        listed_names == acked_names || listed_names == done_names,
        "cut at {cut_at}: list shows {listed_names:?}, expected {acked_names:?} or {done_names:?}"
    );
    let in_flight_key = in_flight.map(|op| match op {
        Op::Put(k, ..) | Op::Delete(k) => k.clone(),
    });
    for key in acked.keys().chain(done.keys()) {
        let got = kv
            .get(&mut fs, key)
            .unwrap_or_else(|e| panic!("cut at {cut_at}: get {key}: {e}"))
            .map(|e| (e.value, e.metadata));
        let old = acked.get(key).cloned();
        let new = done.get(key).cloned();
        if in_flight_key.as_deref() == Some(key.as_str()) {
            assert!(
                got == old || got == new,
                "cut at {cut_at}: {key} is neither its old nor its new value"
            );
        } else {
            assert_eq!(
                got, old,
                "cut at {cut_at}: acknowledged {key} lost or changed"
            );
        }
        assert_eq!(
            got.is_some(),
            listed_names.contains(key),
            "cut at {cut_at}: get and list disagree on {key}"
        );
    }
    kv.put(&mut fs, "after", b"recovered", &PutOptions::default())
        .unwrap_or_else(|e| panic!("cut at {cut_at}: no write after recovery: {e}"));
    assert_eq!(
        kv.get(&mut fs, "after").unwrap().unwrap().value,
        b"recovered"
    );
}

#[test]
fn no_acknowledged_write_is_lost_to_a_power_cut_at_any_device_operation() {
    let clock = clock();
    // A formatted store: the starting point of every run.
    let blocks = 48;
    let base = Arc::new(Mutex::new(
        alloc::vec![0xFFu8; (blocks * FLASH_BLOCK_SIZE) as usize],
    ));
    {
        let device = CutDevice {
            data: base.clone(),
            ops: 0,
            cut_at: usize::MAX,
        };
        let mut fs = Fs::format(Box::new(device)).unwrap();
        Kv::open(&mut fs, "test", KvLimits::default(), clock).unwrap();
    }
    let base = base.lock().unwrap().clone();
    let ops = workload();
    // The uncut run: how many device operations the workload takes.
    let total = count_ops(&base, &ops, clock);
    assert!(total > 100, "the workload takes {total} device operations");
    let mut cuts = 0;
    for cut_at in 1..=total {
        let data = Arc::new(Mutex::new(base.clone()));
        let device = CutDevice {
            data: data.clone(),
            ops: 0,
            cut_at,
        };
        let mut acked = Model::new();
        let mut in_flight = None;
        // A cut while mounting or opening leaves nothing in flight.
        if let Ok(mut fs) = Fs::mount(Box::new(device))
            && let Ok(kv) = Kv::open(&mut fs, "test", KvLimits::default(), clock)
        {
            for op in &ops {
                if run(&kv, &mut fs, op).is_err() {
                    in_flight = Some(op.clone());
                    break;
                }
                apply(&mut acked, op);
            }
        }
        let image = data.lock().unwrap().clone();
        check_after_cut(image, &acked, in_flight.as_ref(), clock, cut_at);
        cuts += 1;
    }
    std::eprintln!(
        "KV durability: {cuts} power cuts over {} writes, each remounted and checked",
        ops.len()
    );
    assert_eq!(cuts, total);
}

/// Device operations of the uncut workload from `base`.
fn count_ops(base: &[u8], ops: &[Op], clock: &'static TestClock) -> usize {
    struct Counting {
        inner: CutDevice,
        count: Arc<Mutex<usize>>,
    }
    impl BlockDevice for Counting {
        fn block_count(&self) -> u32 {
            self.inner.block_count()
        }
        fn read(&mut self, b: u32, o: u32, buf: &mut [u8]) -> Result<(), FlashError> {
            *self.count.lock().unwrap() += 1;
            self.inner.read(b, o, buf)
        }
        fn program(&mut self, b: u32, o: u32, d: &[u8]) -> Result<(), FlashError> {
            *self.count.lock().unwrap() += 1;
            self.inner.program(b, o, d)
        }
        fn erase(&mut self, b: u32) -> Result<(), FlashError> {
            *self.count.lock().unwrap() += 1;
            self.inner.erase(b)
        }
        fn sync(&mut self) -> Result<(), FlashError> {
            *self.count.lock().unwrap() += 1;
            self.inner.sync()
        }
    }
    let count = Arc::new(Mutex::new(0));
    let device = Counting {
        inner: CutDevice {
            data: Arc::new(Mutex::new(base.to_vec())),
            ops: 0,
            cut_at: usize::MAX,
        },
        count: count.clone(),
    };
    let mut fs = Fs::mount(Box::new(device)).unwrap();
    let kv = Kv::open(&mut fs, "test", KvLimits::default(), clock).unwrap();
    for op in ops {
        run(&kv, &mut fs, op).unwrap();
    }
    drop(fs);
    *count.lock().unwrap()
}
