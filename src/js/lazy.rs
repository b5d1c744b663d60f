//! Names defined on first use: an exotic object put in front of a target
//! object's prototype answers the names whose code has not run yet.
//!
//! A context has dozens of such names (`Blob`, `ReadableStream`,
//! `setTimeout`... on the global object, and the glue's own on `internal`).
//! An accessor per name costs a function object, its data and its atom in
//! every context, about 230 bytes each on the boards; the one object here
//! costs the same for all names together, and names it is asked about are
//! looked up by the caller's [`LazyNames`] only when a lookup missed the
//! target itself (so never on the hot path once a name is loaded).
//!
//! The target's prototype chain becomes `target -> holder -> old prototype`.
//! Reading a pending name through the target runs the code that defines it
//! on the target (a real own data property from then on) and answers its
//! value; `in` and `typeof` answer without loading; assigning a pending
//! name defines it on the target without loading (a file's own
//! `global.NAME = ...` does that while it runs). Every other assignment
//! that reaches the holder continues as an ordinary one would from the old
//! prototype. Departures: `Object.getOwnPropertyNames(globalThis)` and
//! `hasOwnProperty` see a name only once it is loaded, and
//! `Object.getPrototypeOf(globalThis)` is the holder.

use core::ffi::c_int;

use rquickjs_sys as qjs;

use super::engine::{Class, Ctx, Thrown, Value};

/// What a context's lazily defined names are, and how they load.
pub struct LazyNames {
    /// Whether `name` on the target tagged `tag` is still to be defined
    /// (false once its code ran or while it runs).
    pub pending: fn(ctx: &Ctx, tag: i32, name: &str) -> bool,
    /// Runs the code that defines `name` on the target tagged `tag` and
    /// returns the value it got.
    pub load: for<'c> fn(ctx: &'c Ctx, tag: i32, name: &str) -> Result<Value<'c>, Thrown>,
}

/// The state of one holder object.
struct Holder {
    tag: i32,
    names: &'static LazyNames,
}

static EXOTIC: qjs::JSClassExoticMethods = qjs::JSClassExoticMethods {
    get_own_property: Some(get_own_property),
    get_own_property_names: None,
    delete_property: None,
    define_own_property: None,
    has_property: None,
    get_property: None,
    set_property: Some(set_property),
};

fn holder_class(ctx: &Ctx) -> Result<Class<Holder>, Thrown> {
    Class::of_exotic(ctx, c"Object", &EXOTIC)
}

/// Puts a holder answering `names` (with `tag`) in front of `target`'s
/// prototype.
pub fn install(
    ctx: &Ctx,
    target: &Value<'_>,
    tag: i32,
    names: &'static LazyNames,
) -> Result<(), Thrown> {
    let class = holder_class(ctx)?;
    // SAFETY: the values are live; JS_GetPrototype returns a new reference
    // (or an exception), which `Value` owns.
    unsafe {
        let old = Value::from_raw(ctx, qjs::JS_GetPrototype(ctx.raw(), target.raw()));
        if is_exception(&old) {
            return Err(Thrown);
        }
        let holder = class.instance_with_proto(ctx, &old, Holder { tag, names })?;
        if qjs::JS_SetPrototype(ctx.raw(), target.raw(), holder.raw()) < 0 {
            return Err(Thrown);
        }
    }
    Ok(())
}

/// The name an atom stands for, unless it is a symbol (or not valid UTF-8).
///
/// # Safety
/// `ctx` must be live.
unsafe fn atom_name(ctx: &Ctx, atom: qjs::JSAtom) -> Option<alloc::string::String> {
    // SAFETY: JS_AtomToValue returns a new reference that `Value` owns.
    let v = unsafe { Value::from_raw(ctx, qjs::JS_AtomToValue(ctx.raw(), atom)) };
    if !v.is_string() {
        return None;
    }
    v.to_string().ok()
}

/// The holder's state and, when `atom` is one of its pending names, that name.
///
/// # Safety
/// `ctx` and `obj` must be live; the holder outlives the returned reference's
/// use within the callback.
unsafe fn pending<'h>(
    ctx: &Ctx,
    obj: qjs::JSValue,
    atom: qjs::JSAtom,
) -> Option<(&'h Holder, alloc::string::String)> {
    let class = holder_class(ctx).ok()?;
    // SAFETY: the caller's contract.
    let holder: &'h Holder = unsafe { class.get_raw(obj) }?;
    // SAFETY: the caller's contract.
    let name = unsafe { atom_name(ctx, atom) }?;
    (holder.names.pending)(ctx, holder.tag, &name).then_some((holder, name))
}

unsafe extern "C" fn get_own_property(
    ctx: *mut qjs::JSContext,
    desc: *mut qjs::JSPropertyDescriptor,
    obj: qjs::JSValue,
    atom: qjs::JSAtom,
) -> c_int {
    // SAFETY: QuickJS passes a live context and holder.
    unsafe {
        let ctx = Ctx::from_raw(ctx);
        let Some((holder, name)) = pending(ctx, obj, atom) else {
            return 0;
        };
        // Asked whether it exists (`in`, `typeof`): yes, without loading.
        if desc.is_null() {
            return 1;
        }
        match (holder.names.load)(ctx, holder.tag, &name) {
            Ok(value) => {
                *desc = qjs::JSPropertyDescriptor {
                    flags: (qjs::JS_PROP_CONFIGURABLE | qjs::JS_PROP_WRITABLE) as c_int,
                    value: value.into_raw(),
                    getter: undefined(),
                    setter: undefined(),
                };
                1
            }
            Err(Thrown) => -1,
        }
    }
}

unsafe extern "C" fn set_property(
    ctx: *mut qjs::JSContext,
    obj: qjs::JSValue,
    atom: qjs::JSAtom,
    value: qjs::JSValue,
    receiver: qjs::JSValue,
    flags: c_int,
) -> c_int {
    // SAFETY: QuickJS passes a live context, holder, value and receiver; it
    // keeps its references to `value` and `receiver` (we duplicate what we
    // keep).
    unsafe {
        let ctx = Ctx::from_raw(ctx);
        if pending(ctx, obj, atom).is_some() {
            return qjs::JS_DefinePropertyValue(
                ctx.raw(),
                receiver,
                atom,
                qjs::JS_DupValue(ctx.raw(), value),
                (qjs::JS_PROP_C_W_E | qjs::JS_PROP_THROW) as c_int,
            );
        }
        ordinary_set(ctx, obj, atom, value, receiver, flags)
    }
}

#[allow(unused_unsafe, reason = "JS_MKVAL is unsafe on some targets")]
fn undefined() -> qjs::JSValue {
    // SAFETY: builds a tag word.
    unsafe { qjs::JS_MKVAL(qjs::JS_TAG_UNDEFINED, 0) }
}

fn is_exception(v: &Value<'_>) -> bool {
    // SAFETY: reads the tag word.
    unsafe { qjs::JS_IsException(v.raw()) }
}

/// Frees a descriptor's values.
///
/// # Safety
/// `desc` was filled by `JS_GetOwnProperty` in `ctx`.
unsafe fn free_desc(ctx: &Ctx, desc: &qjs::JSPropertyDescriptor) {
    for v in [desc.value, desc.getter, desc.setter] {
        // SAFETY: the caller's contract.
        unsafe { qjs::JS_FreeValue(ctx.raw(), v) };
    }
}

/// A failed assignment: a TypeError when the caller asked for one (strict
/// code), else false.
fn refuse(ctx: &Ctx, flags: c_int) -> c_int {
    if flags & (qjs::JS_PROP_THROW | qjs::JS_PROP_THROW_STRICT) as c_int != 0 {
        ctx.throw_type_error("cannot assign to a read-only property");
        -1
    } else {
        0
    }
}

/// OrdinarySet (ECMA-262 10.1.9) from the holder's prototype on, for the
/// assignments that reach the holder but are not to a pending name.
///
/// # Safety
/// The values must be live in `ctx`.
unsafe fn ordinary_set(
    ctx: &Ctx,
    holder: qjs::JSValue,
    atom: qjs::JSAtom,
    value: qjs::JSValue,
    receiver: qjs::JSValue,
    flags: c_int,
) -> c_int {
    // SAFETY: every value below is owned by a `Value` or freed on each path;
    // the descriptors are freed with `free_desc`.
    unsafe {
        let mut proto = Value::from_raw(ctx, qjs::JS_GetPrototype(ctx.raw(), holder));
        while proto.is_object() {
            let mut desc: qjs::JSPropertyDescriptor = core::mem::zeroed();
            match qjs::JS_GetOwnProperty(ctx.raw(), &mut desc, proto.raw(), atom) {
                r if r < 0 => return -1,
                0 => {}
                _ => {
                    if desc.flags & qjs::JS_PROP_GETSET as c_int != 0 {
                        let setter = Value::from_raw(ctx, qjs::JS_DupValue(ctx.raw(), desc.setter));
                        free_desc(ctx, &desc);
                        if !setter.is_function() {
                            return refuse(ctx, flags);
                        }
                        let mut arg = value;
                        let r = qjs::JS_Call(ctx.raw(), setter.raw(), receiver, 1, &mut arg);
                        return if is_exception(&Value::from_raw(ctx, r)) {
                            -1
                        } else {
                            1
                        };
                    }
                    let writable = desc.flags & qjs::JS_PROP_WRITABLE as c_int != 0;
                    free_desc(ctx, &desc);
                    if !writable {
                        return refuse(ctx, flags);
                    }
                    break;
                }
            }
            let next = Value::from_raw(ctx, qjs::JS_GetPrototype(ctx.raw(), proto.raw()));
            if is_exception(&next) {
                return -1;
            }
            proto = next;
        }
        if !qjs::JS_IsObject(receiver) {
            return refuse(ctx, flags);
        }
        let mut desc: qjs::JSPropertyDescriptor = core::mem::zeroed();
        match qjs::JS_GetOwnProperty(ctx.raw(), &mut desc, receiver, atom) {
            r if r < 0 => -1,
            0 => qjs::JS_DefinePropertyValue(
                ctx.raw(),
                receiver,
                atom,
                qjs::JS_DupValue(ctx.raw(), value),
                qjs::JS_PROP_C_W_E as c_int | (flags & qjs::JS_PROP_THROW as c_int),
            ),
            _ => {
                let plain = desc.flags & qjs::JS_PROP_GETSET as c_int == 0
                    && desc.flags & qjs::JS_PROP_WRITABLE as c_int != 0;
                free_desc(ctx, &desc);
                if !plain {
                    return refuse(ctx, flags);
                }
                qjs::JS_DefineProperty(
                    ctx.raw(),
                    receiver,
                    atom,
                    value,
                    undefined(),
                    undefined(),
                    qjs::JS_PROP_HAS_VALUE as c_int | (flags & qjs::JS_PROP_THROW as c_int),
                )
            }
        }
    }
}
